// Violations as stored (the spec's JSON plus store, clip and review status), their filters and counts.
import { Type, type Static } from '@sinclair/typebox';
import { IsoTime, Page, StoreFilter } from './common.ts';

const Severity = Type.Union([Type.Literal('low'), Type.Literal('medium'), Type.Literal('high')]);
export const ViolationStatus = Type.Union(['open', 'confirmed', 'dismissed', 'needs_review'].map((s) => Type.Literal(s)));

/** Lists leave out what rules in shadow mode found unless asked: `only` is the "would have alerted" view. */
export const ShadowFilter = Type.Union([Type.Literal('exclude'), Type.Literal('only'), Type.Literal('include')], {
  description: 'Rules in shadow mode: exclude (default: real alerts only), only (what would have alerted), include (both)',
});
export type ShadowFilter = Static<typeof ShadowFilter>;

/** A generated message as data, rendered in the reader's language by services/rules/message-text.ts. */
export const MessageParts = Type.Union([
  Type.Object({
    code: Type.String({ description: 'What the message says, e.g. too_short, gap, model_unsure' }),
    values: Type.Record(Type.String(), Type.Unknown(), { description: 'Its values: durations in ms, the condition, step names' }),
  }),
  Type.Null(),
], { description: 'The message as a code and its values, for any language; null for records written before it was kept' });
const NormalisedBox = Type.Array(Type.Number({ minimum: 0, maximum: 1 }), { minItems: 4, maxItems: 4, description: '[x, y, w, h], normalised to the image (0..1, origin top-left)' });

/** Who took part in an episode several subjects could share (forbidden rules judged per episode). */
export const ViolationSubjects = Type.Object({
  count: Type.Integer({ minimum: 1, description: 'The most subjects seen at once' }),
  tracks: Type.Array(Type.Object({
    id: Type.String({ description: 'Tracked subject (`p:3` a person track): a station and a time, never a named person' }),
    inS: Type.Number({ minimum: 0, description: 'First seen: seconds after the violation\'s start' }),
    outS: Type.Number({ minimum: 0, description: 'Last seen: seconds after the violation\'s start' }),
  }), { description: 'Every subject, in order of arrival' }),
  keyframes: Type.Array(Type.Object({
    evidence: Type.String({ description: 'Keyframe name, as in evidence' }),
    boxes: Type.Array(Type.Object({ id: Type.String(), box: NormalisedBox })),
  }), { description: 'Where the subjects are on each evidence keyframe' }),
}, { description: 'The subjects of the episode' });
export type ViolationSubjects = Static<typeof ViolationSubjects>;

export const Violation = Type.Object({
  id: Type.String({ description: 'Stable id (contains /: percent-encode it in URLs)' }),
  storeId: Type.String(),
  cameraId: Type.String(),
  clipId: Type.Union([Type.String(), Type.Null()]),
  sop: Type.String(),
  sopVersion: Type.Union([Type.Integer(), Type.Null()]),
  rule: Type.String(),
  title: Type.Union([Type.String(), Type.Null()], { description: 'The rule\'s title in its SOP file, for people' }),
  titleZh: Type.Union([Type.String(), Type.Null()], { description: 'The rule\'s title in Simplified Chinese (`title_zh` in its SOP file), when given' }),
  step: Type.Union([Type.String(), Type.Null()]),
  kind: Type.String(),
  severity: Severity,
  start: Type.Union([Type.Number(), Type.Null()], { description: 'Clips: seconds from the clip start' }),
  end: Type.Union([Type.Number(), Type.Null()]),
  startAt: Type.Union([IsoTime, Type.Null()], { description: 'Live cameras: wall-clock start' }),
  endAt: Type.Union([IsoTime, Type.Null()]),
  message: Type.String({ description: 'The message in English' }),
  messageParts: MessageParts,
  decidedBy: Type.String(),
  confidence: Type.Number(),
  evidence: Type.Array(Type.String(), { description: 'Keyframe names: GET /api/violations/{id}/evidence/{name}' }),
  status: ViolationStatus,
  shadow: Type.Boolean({ description: 'Found by a rule in shadow mode: recorded, never alerted, not counted in reports' }),
  subjects: Type.Union([ViolationSubjects, Type.Null()], { description: 'Who took part, when several could (null: a rule judged per subject, or a scene condition)' }),
  createdAt: IsoTime,
  happenedAt: IsoTime,
});
export type Violation = Static<typeof Violation>;

export const ViolationQuery = Type.Object({
  ...StoreFilter,
  cameraId: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  clipId: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  sop: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
  rule: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
  severity: Type.Optional(Severity),
  status: Type.Optional(ViolationStatus),
  shadow: Type.Optional(ShadowFilter),
  from: Type.Optional(Type.String({ format: 'date-time', description: 'When it happened, inclusive' })),
  to: Type.Optional(Type.String({ format: 'date-time', description: 'When it happened, exclusive' })),
  q: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'Words that must each appear in the rule, step, SOP, camera name, message or clip file name' })),
  ...Page,
}, { additionalProperties: false });
export type ViolationQuery = Static<typeof ViolationQuery>;

export const ViolationCounts = Type.Object({
  total: Type.Integer(),
  byStatus: Type.Record(Type.String(), Type.Integer()),
  bySeverity: Type.Record(Type.String(), Type.Integer()),
});

export const ViolationParams = Type.Object({ violationId: Type.String({ minLength: 1, maxLength: 512 }) });
export type ViolationParams = Static<typeof ViolationParams>;

export const EvidenceParams = Type.Object({
  violationId: Type.String({ minLength: 1, maxLength: 512 }),
  name: Type.String({ minLength: 1, maxLength: 255, pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*\\.jpg$' }),
});
export type EvidenceParams = Static<typeof EvidenceParams>;

const ReviewAnswer = Type.Object({
  answer: Type.Union([Type.Literal('yes'), Type.Literal('no'), Type.Literal('unsure')]),
  confidence: Type.Number(),
  reason: Type.String(),
  decidedBy: Type.String({ description: '`vlm:<provider>/<model>`, or `none` when no model could be asked' }),
});

export const ReviewItem = Type.Object({
  id: Type.String(),
  storeId: Type.String(),
  cameraId: Type.String(),
  clipId: Type.Union([Type.String(), Type.Null()]),
  sop: Type.String(),
  rule: Type.String(),
  title: Type.Union([Type.String(), Type.Null()], { description: 'The rule\'s title in its SOP file' }),
  titleZh: Type.Union([Type.String(), Type.Null()], { description: 'The rule\'s title in Simplified Chinese (`title_zh`), when given' }),
  step: Type.Union([Type.String(), Type.Null()]),
  severity: Severity,
  start: Type.Union([Type.Number(), Type.Null()]),
  end: Type.Union([Type.Number(), Type.Null()]),
  reason: Type.String({ description: 'Why a person must decide, in English' }),
  reasonParts: MessageParts,
  question: Type.Union([Type.String(), Type.Null()], { description: 'The closed question the model was asked' }),
  answer: Type.Union([ReviewAnswer, Type.Null()], { description: 'What the model answered, when one was asked' }),
  status: Type.Union([Type.Literal('open'), Type.Literal('resolved')]),
  violationId: Type.Union([Type.String(), Type.Null()], { description: 'The violation a person confirmed from this item' }),
  resolvedAt: Type.Union([IsoTime, Type.Null()]),
  shadow: Type.Boolean({ description: 'A case of a rule in shadow mode: out of the review queue unless asked for' }),
  createdAt: IsoTime,
}, { description: 'A case the engine could not decide alone: a person decides' });
export type ReviewItem = Static<typeof ReviewItem>;

export const ReviewItemParams = Type.Object({ reviewItemId: Type.String({ minLength: 1, maxLength: 512 }) });
export type ReviewItemParams = Static<typeof ReviewItemParams>;

export const ReviewItemDecision = Type.Object({
  decision: Type.Union([Type.Literal('violation'), Type.Literal('no_violation')]),
  comment: Type.Optional(Type.String({ maxLength: 2000 })),
}, { additionalProperties: false });
export type ReviewItemDecision = Static<typeof ReviewItemDecision>;

export const ReviewItemDecided = Type.Object({
  item: ReviewItem,
  violation: Type.Union([Violation, Type.Null()], { description: 'The confirmed violation, for a decision of violation' }),
});

export const ReviewItemQuery = Type.Object({
  ...StoreFilter,
  clipId: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  status: Type.Optional(Type.Union([Type.Literal('open'), Type.Literal('resolved')])),
  shadow: Type.Optional(ShadowFilter),
  limit: Page.limit,
}, { additionalProperties: false });
export type ReviewItemQuery = Static<typeof ReviewItemQuery>;

/** The most violations one bulk decision may name. */
export const BULK_MAX = 200;

export const BulkIds = Type.Object({
  ids: Type.Array(Type.String({ minLength: 1, maxLength: 512 }), { minItems: 1, maxItems: BULK_MAX, uniqueItems: true }),
}, { additionalProperties: false, description: 'Several violations: all or none (one unknown or read-only id refuses the whole call)' });
export type BulkIds = Static<typeof BulkIds>;

export const BulkResult = Type.Object({
  violations: Type.Array(Violation, { description: 'The violations as they are now, in the order asked' }),
});
export type BulkResult = Static<typeof BulkResult>;
