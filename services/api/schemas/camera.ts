// Cameras: SOP files name them by `name` (or a tag) in `cameras:` and `zones:`.
import { Type, type Static } from '@sinclair/typebox';

export const Camera = Type.Object({
  id: Type.String(),
  storeId: Type.String(),
  name: Type.String(),
  host: Type.Union([Type.String(), Type.Null()]),
  tags: Type.Array(Type.String()),
  createdAt: Type.String({ format: 'date-time' }),
});
export type Camera = Static<typeof Camera>;

export const NewCamera = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9][A-Za-z0-9_-]*$', description: 'The camera id SOP files use' }),
  host: Type.Optional(Type.String({ minLength: 1, maxLength: 255, pattern: '^[^@\\s/]+$', description: 'Host name or address, without credentials' })),
  tags: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 50, pattern: '^[A-Za-z0-9][A-Za-z0-9_-]*$' }), { maxItems: 20 })),
}, { additionalProperties: false });
export type NewCamera = Static<typeof NewCamera>;

export const CameraParams = Type.Object({
  storeId: Type.String({ minLength: 1, maxLength: 200 }),
  cameraId: Type.String({ minLength: 1, maxLength: 200 }),
});
export type CameraParams = Static<typeof CameraParams>;
