// The SOP library (`sop-rules/`) as a read-only gallery, and the values a form may change in a copy of one file.
import { Type, type Static } from '@sinclair/typebox';
import { DURATION_PATTERN } from '../../rules/duration.ts';

const nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);
const Severity = Type.Union([Type.Literal('low'), Type.Literal('medium'), Type.Literal('high')]);
const Duration = Type.String({ maxLength: 20, pattern: DURATION_PATTERN, description: 'A duration: 500ms, 20s, 2m, 1h or 1m30s' });
const Durations = Type.Object({
  min: Type.Optional(Duration), max: Type.Optional(Duration), for: Type.Optional(Duration), max_gap: Type.Optional(Duration), within: Type.Optional(Duration),
}, { additionalProperties: false });
const Day = Type.Union(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'].map((d) => Type.Literal(d)));
export const GallerySchedule = Type.Object({
  days: Type.Union([Type.Array(Day, { minItems: 1, maxItems: 7, uniqueItems: true }), Type.Null()]),
  from: Type.String({ pattern: '^\\d{1,2}:\\d{2}$' }),
  to: Type.String({ pattern: '^\\d{1,2}:\\d{2}$' }),
  tz: nullable(Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_+/-]+$' })),
}, { additionalProperties: false });

export const GalleryRule = Type.Object({
  id: Type.String(), title: Type.String(), titleZh: nullable(Type.String()), kind: Type.String(), severity: Severity, durations: Durations, schedule: Type.Union([GallerySchedule, Type.Null()]),
});

export const GalleryEntry = Type.Object({
  name: Type.String({ description: 'File name in sop-rules/' }),
  sopId: Type.String(),
  title: Type.String(),
  titleZh: nullable(Type.String({ description: '`title_zh` of the file, when given' })),
  description: Type.Union([Type.String(), Type.Null()]),
  explanation: Type.String({ description: 'What the file checks, in plain words' }),
  explanationZh: Type.String({ description: 'The same in Simplified Chinese, line for line' }),
  camera: Type.String({ description: 'The camera its zones are drawn for' }),
  zones: Type.Array(Type.String()),
  rules: Type.Array(GalleryRule, { description: 'The values people change: severity, durations, schedule' }),
  yaml: Type.String(),
});
export type GalleryEntry = Static<typeof GalleryEntry>;

export const GalleryFillBody = Type.Object({
  file: Type.String({ minLength: 1, maxLength: 100, pattern: '^[a-z0-9][a-z0-9-]*\\.ya?ml$', description: 'The library file, e.g. hand-washing.yaml' }),
  camera: Type.Optional(Type.String({ minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9][A-Za-z0-9_-]*$', description: 'The store camera the copy is for' })),
  sopId: Type.Optional(Type.String({ minLength: 1, maxLength: 100, pattern: '^[a-z0-9][a-z0-9-]*$' })),
  rules: Type.Optional(Type.Record(Type.String({ maxLength: 100 }), Type.Object({
    severity: Type.Optional(Severity),
    durations: Type.Optional(Durations),
    schedule: Type.Optional(Type.Union([GallerySchedule, Type.Null()])),
  }, { additionalProperties: false }), { maxProperties: 50 })),
}, { additionalProperties: false });
export type GalleryFillBody = Static<typeof GalleryFillBody>;

export const GalleryFilled = Type.Object({ yaml: Type.String(), fileName: Type.String() });
