// Stores and their cameras.
import { Type, type Static } from '@sinclair/typebox';

export const Store = Type.Object({
  id: Type.String(),
  name: Type.String(),
  franchise: Type.Union([Type.String(), Type.Null()]),
  tz: Type.String({ description: 'IANA time zone; report days are local days' }),
  retentionDays: Type.Integer(),
  keepVideo: Type.Boolean({ description: 'Video around alerts is cut, kept and served (privacy setting)' }),
  allowClipExport: Type.Boolean({ description: 'An owner may download the original clips, faces not blurred (privacy setting, default false)' }),
  createdAt: Type.String({ format: 'date-time' }),
});
export type Store = Static<typeof Store>;

export const NewStore = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 200 }),
  tz: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'IANA time zone, default UTC' })),
  retentionDays: Type.Optional(Type.Integer({ minimum: 1, maximum: 3650, description: 'Days footage is kept (default 3)' })),
  keepVideo: Type.Optional(Type.Boolean({ description: 'Video around alerts (default true); false forbids cutting, keeping and serving it' })),
}, { additionalProperties: false });
export type NewStore = Static<typeof NewStore>;

export const StorePrivacy = Type.Object({
  keepVideo: Type.Optional(Type.Boolean({ description: 'Video around alerts is cut, kept and served' })),
  allowClipExport: Type.Optional(Type.Boolean({ description: 'An owner may download the original clips (faces not blurred)' })),
}, { additionalProperties: false, minProperties: 1 });
export type StorePrivacy = Static<typeof StorePrivacy>;

export const StoreParams = Type.Object({ storeId: Type.String({ minLength: 1, maxLength: 200 }) });
export type StoreParams = Static<typeof StoreParams>;

export const AuditEntry = Type.Object({
  id: Type.Integer(),
  at: Type.String({ format: 'date-time' }),
  actor: Type.String(),
  action: Type.String(),
  target: Type.Union([Type.String(), Type.Null()]),
  detail: Type.Record(Type.String(), Type.Unknown()),
});
