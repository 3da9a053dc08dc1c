// A person's decision on a violation: confirm it, or dismiss it with a reason code.
import { Type, type Static } from '@sinclair/typebox';
import { BulkIds } from './violation.ts';

export const DISMISS_REASONS = ['false_alarm', 'not_applicable', 'camera_problem', 'other'] as const;

export const NewReview = Type.Object({
  decision: Type.Union([Type.Literal('confirmed'), Type.Literal('dismissed')]),
  reasonCode: Type.Optional(Type.Union(DISMISS_REASONS.map((r) => Type.Literal(r)), { description: 'Required to dismiss' })),
  comment: Type.Optional(Type.String({ maxLength: 2000 })),
}, { additionalProperties: false });
export type NewReview = Static<typeof NewReview>;

/** One decision for several violations (ids as in BulkIds): all are decided, or none. */
export const BulkReview = Type.Object({
  ...BulkIds.properties,
  ...NewReview.properties,
}, { additionalProperties: false });
export type BulkReview = Static<typeof BulkReview>;

export const Review = Type.Object({
  id: Type.String(),
  violationId: Type.String(),
  userId: Type.Union([Type.String(), Type.Null()]),
  userEmail: Type.Union([Type.String(), Type.Null()]),
  decision: Type.Union([Type.Literal('confirmed'), Type.Literal('dismissed')]),
  reasonCode: Type.Union([Type.String(), Type.Null()]),
  comment: Type.Union([Type.String(), Type.Null()]),
  at: Type.String({ format: 'date-time' }),
  undoneAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], { description: 'The person took this decision back' }),
});
export type Review = Static<typeof Review>;
