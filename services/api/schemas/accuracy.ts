// Per-rule accuracy from decisions: precision, share decided, flags with hints, per store, SOP and rule.
import { Type, type Static } from '@sinclair/typebox';

export const RuleAccuracyRow = Type.Object({
  storeId: Type.String(),
  storeName: Type.String(),
  sopId: Type.String(),
  rule: Type.String(),
  violations: Type.Integer(),
  open: Type.Integer(),
  needsReview: Type.Integer(),
  confirmed: Type.Integer(),
  dismissed: Type.Integer(),
  decided: Type.Integer({ description: 'Confirmed plus dismissed' }),
  decidedShare: Type.Union([Type.Number(), Type.Null()], { description: 'decided / violations; null without alerts' }),
  precision: Type.Union([Type.Number(), Type.Null()], { description: 'confirmed / decided; null before any decision' }),
  flag: Type.Union([Type.Literal('low_precision'), Type.Literal('few_decided'), Type.Null()]),
  hint: Type.Union([Type.String(), Type.Null()], { description: 'What usually helps, for a flagged rule' }),
});

export const AccuracyReport = Type.Object({
  from: Type.String(),
  to: Type.String(),
  thresholds: Type.Object({ minDecided: Type.Integer(), minPrecision: Type.Number(), minDecidedShare: Type.Number() }),
  rules: Type.Array(RuleAccuracyRow),
}, { description: 'How often each rule was right, as decided by people, over the days of the report' });
export type AccuracyReport = Static<typeof AccuracyReport>;
