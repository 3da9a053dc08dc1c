// SOP files: uploaded as YAML, validated with positioned errors, stored as numbered versions, enabled per camera.
import { Type, type Static } from '@sinclair/typebox';

export const SopUpload = Type.Object({
  yaml: Type.String({ minLength: 1, maxLength: 200_000, description: 'The SOP file text (shared/spec/sop-rules.md)' }),
  fileName: Type.Optional(Type.String({ minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$', description: 'Name shown in error positions' })),
}, { additionalProperties: false });
export type SopUpload = Static<typeof SopUpload>;

export const SopFile = Type.Object({
  id: Type.String({ description: 'Row id of this version' }),
  storeId: Type.String(),
  sopId: Type.String({ description: 'The `id:` of the file' }),
  version: Type.Integer({ minimum: 1, description: 'Upload number of this SOP id in this store' }),
  title: Type.String(),
  titleZh: Type.Union([Type.String(), Type.Null()], { description: 'The title in Simplified Chinese (`title_zh`), when the file gives one' }),
  enabled: Type.Boolean(),
  cameraIds: Type.Union([Type.Array(Type.String()), Type.Null()], { description: 'null: every camera the file names' }),
  createdAt: Type.String({ format: 'date-time' }),
});
export type SopFile = Static<typeof SopFile>;

export const SopFileBody = Type.Composite([SopFile, Type.Object({ yaml: Type.String() })]);

export const SopProblem = Type.Object({
  file: Type.String(),
  line: Type.Integer(),
  column: Type.Integer(),
  message: Type.String(),
  path: Type.Optional(Type.String()),
});

export const SopUploaded = Type.Object({
  sop: SopFile,
  warnings: Type.Array(Type.String(), { description: 'E.g. cameras the file names that this store does not have' }),
});

export const SopParams = Type.Object({
  storeId: Type.String({ minLength: 1, maxLength: 200 }),
  sopId: Type.String({ minLength: 1, maxLength: 100 }),
});
export type SopParams = Static<typeof SopParams>;

export const SopVersionQuery = Type.Object({ version: Type.Optional(Type.Integer({ minimum: 1 })) }, { additionalProperties: false });

export const SopEnablement = Type.Object({
  enabled: Type.Boolean(),
  version: Type.Optional(Type.Integer({ minimum: 1, description: 'Which version to enable (default the newest)' })),
  cameraIds: Type.Optional(Type.Union([Type.Array(Type.String({ minLength: 1, maxLength: 200 }), { maxItems: 200 }), Type.Null()], {
    description: 'Cameras of this store it runs on; null: every camera the file names; absent: unchanged',
  })),
}, { additionalProperties: false });
export type SopEnablement = Static<typeof SopEnablement>;
