// Sign-in, sign-out and "who am I".
import { Type, type Static } from '@sinclair/typebox';

export const LoginBody = Type.Object({
  email: Type.String({ minLength: 3, maxLength: 320 }),
  password: Type.String({ minLength: 1, maxLength: 1024 }),
}, { additionalProperties: false, description: 'Credentials; the answer is the same for an unknown email and a wrong password' });
export type LoginBody = Static<typeof LoginBody>;

export const Me = Type.Object({
  id: Type.String(),
  email: Type.String(),
  role: Type.Union([Type.Literal('owner'), Type.Literal('manager'), Type.Literal('auditor')]),
  franchise: Type.Union([Type.String(), Type.Null()]),
  storeIds: Type.Array(Type.String()),
  csrfToken: Type.String({ description: 'Send it back in the X-CSRF-Token header of every POST, PUT, PATCH and DELETE' }),
  expiresAt: Type.String({ format: 'date-time' }),
}, { description: 'The signed-in user' });
export type Me = Static<typeof Me>;
