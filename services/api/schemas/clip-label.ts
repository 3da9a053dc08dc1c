// Labels on a clip's timeline: "missed here" spans and dismissed alerts kept as "not a violation".
import { Type, type Static } from '@sinclair/typebox';

const KINDS = ['too_short', 'too_long', 'forbidden', 'gap', 'missing_step', 'out_of_order', 'timeout', 'verify_failed'] as const;
const Seconds = (description: string) => Type.Number({ minimum: 0, maximum: 86_400, description: `${description}, in seconds from the clip's first frame` });
const Note = Type.String({ maxLength: 500, description: 'What the person saw (free text)' });

export const ClipLabelParams = Type.Object({ clipId: Type.String({ minLength: 1, maxLength: 200 }), labelId: Type.String({ minLength: 1, maxLength: 200 }) });
export type ClipLabelParams = Static<typeof ClipLabelParams>;

export const NewMissedLabel = Type.Object({
  sopId: Type.String({ minLength: 1, maxLength: 200, pattern: '^[a-z0-9][a-z0-9-]*$', description: 'An SOP of the clip\'s store' }),
  rule: Type.String({ minLength: 1, maxLength: 200, description: 'A rule of that SOP' }),
  kind: Type.Optional(Type.Union(KINDS.map((k) => Type.Literal(k)), { description: 'The violation kind; default the first the rule raises (too_short, forbidden, gap, missing_step)' })),
  start: Seconds('Where the missed violation begins'),
  end: Seconds('Where it ends (after start)'),
  note: Type.Optional(Note),
}, { additionalProperties: false, description: 'A violation the analysis did not raise' });
export type NewMissedLabel = Static<typeof NewMissedLabel>;

export const NewNotViolationLabel = Type.Object({
  violationId: Type.String({ minLength: 1, maxLength: 512, description: 'A dismissed alert of this clip' }),
  note: Type.Optional(Type.String({ maxLength: 500, description: 'Default: "this was not a violation: " and the dismissal\'s reason and comment' })),
}, { additionalProperties: false, description: 'A dismissed alert\'s reason kept as a label' });
export type NewNotViolationLabel = Static<typeof NewNotViolationLabel>;

export const ClipLabel = Type.Object({
  id: Type.String(),
  storeId: Type.String(),
  clipId: Type.String(),
  sopId: Type.String(),
  rule: Type.String(),
  kind: Type.String(),
  label: Type.Union([Type.Literal('missed'), Type.Literal('not_violation')]),
  start: Type.Number(),
  end: Type.Number(),
  note: Type.Union([Type.String(), Type.Null()]),
  violationId: Type.Union([Type.String(), Type.Null()], { description: 'The dismissed alert a not_violation label came from' }),
  createdBy: Type.Union([Type.String(), Type.Null()]),
  createdByEmail: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String({ format: 'date-time' }),
  canDelete: Type.Boolean({ description: 'The caller made it, or is an owner' }),
});
export type ClipLabel = Static<typeof ClipLabel>;
