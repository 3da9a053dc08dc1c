// Resumable uploads (the tus protocol): the upload's address under its store.
import { Type, type Static } from '@sinclair/typebox';

export const UploadParams = Type.Object({
  storeId: Type.String({ minLength: 1, maxLength: 200 }),
  uploadId: Type.String({ minLength: 1, maxLength: 64, description: 'The id the server gave in the Location of its 201' }),
});
export type UploadParams = Static<typeof UploadParams>;
