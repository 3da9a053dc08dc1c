// Uploaded clips and the state of their analysis.
import { Type, type Static } from '@sinclair/typebox';
import { Page, StoreFilter } from './common.ts';

export const ClipStatus = Type.Union(['accepted', 'analysing', 'done', 'failed'].map((s) => Type.Literal(s)));

export const Clip = Type.Object({
  id: Type.String(),
  storeId: Type.String(),
  cameraId: Type.Union([Type.String(), Type.Null()]),
  filename: Type.String({ description: 'Name given by the uploader, for display only (never a path)' }),
  bytes: Type.Integer(),
  status: ClipStatus,
  progress: Type.Number({ minimum: 0, maximum: 1 }),
  error: Type.Union([Type.String(), Type.Null()]),
  attempts: Type.Integer(),
  sha256: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
  startedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  finishedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  recordedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], {
    description: 'Wall-clock instant of the first frame: from the recorder header, the file name, the container or the upload form; null when unknown',
  }),
  recordedAtSource: Type.Union([Type.Literal('recorder_header'), Type.Literal('file_name'), Type.Literal('container'), Type.Literal('form'), Type.Literal('cli'), Type.Null()]),
  notAnalysed: Type.Array(Type.Object({
    start: Type.Number({ description: 'Seconds from the clip start' }),
    end: Type.Number(),
    reason: Type.String(),
  }), { description: 'Stretches that could not be analysed (a damaged middle, or what never arrived of an upload): not analysed, never compliant' }),
  arrival: Type.Optional(Type.Object({
    state: Type.Union([Type.Literal('arriving'), Type.Literal('abandoned'), Type.Literal('expired')], {
      description: '`arriving`: the upload is still coming and the analysis reads what has arrived; `abandoned` or `expired`: the upload stopped and only the part that came was analysed',
    }),
    receivedBytes: Type.Integer(),
    totalBytes: Type.Integer({ description: 'The size the upload declared' }),
  }, { description: 'Present while a streamable upload (MPEG-TS, raw H.264/H.265, FLV) is analysed as it arrives, and when that upload stopped early; absent once the file is whole' })),
});
export type Clip = Static<typeof Clip>;

export const ClipUploadQuery = Type.Object({
  cameraId: Type.String({ minLength: 1, maxLength: 200, description: 'The camera that filmed the clip: its SOP files apply' }),
  recordedAt: Type.Optional(Type.String({
    maxLength: 40,
    description: 'When the clip was recorded: `2024-12-03T14:30` in the store\'s time zone, or an ISO instant with its offset. Wins over what the file says; also accepted as a form field before the file part',
  })),
}, { additionalProperties: false });
export type ClipUploadQuery = Static<typeof ClipUploadQuery>;

export const ClipListQuery = Type.Object({
  ...StoreFilter,
  status: Type.Optional(ClipStatus),
  cameraId: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  limit: Page.limit,
}, { additionalProperties: false });
export type ClipListQuery = Static<typeof ClipListQuery>;

export const ClipParams = Type.Object({ clipId: Type.String({ minLength: 1, maxLength: 200 }) });
export type ClipParams = Static<typeof ClipParams>;

export const ClipQueued = Type.Object({
  clip: Clip,
  queued: Type.Boolean({ description: 'false: the queue was unreachable; the clip is kept and queued again within a minute' }),
});
