// Per-rule accuracy from decisions and labels: precision, misses and recall, share decided, the trend, flags with hints;
// and what rules in shadow mode would have done.
import { Type, type Static } from '@sinclair/typebox';
import { ReportQuery } from './report.ts';

const Ratio = (description: string) => Type.Union([Type.Number(), Type.Null()], { description });
const Flag = Type.Union([Type.Literal('low_precision'), Type.Literal('many_missed'), Type.Literal('few_decided')]);

export const AccuracyQuery = Type.Object({
  ...ReportQuery.properties,
  bucket: Type.Optional(Type.Union([Type.Literal('day'), Type.Literal('week')], { description: 'Trend buckets: days, or weeks from Monday (default: days up to a month, weeks beyond)' })),
}, { additionalProperties: false, description: 'Default: the last 7 days' });
export type AccuracyQuery = Static<typeof AccuracyQuery>;

export const TrendPoint = Type.Object({
  start: Type.String({ description: 'First day of the bucket (a Monday for weeks)' }),
  violations: Type.Integer(),
  confirmed: Type.Integer(),
  dismissed: Type.Integer(),
  missed: Type.Integer(),
  precision: Ratio('confirmed / decided in the bucket'),
  recall: Ratio('confirmed / (confirmed + missed) in the bucket, where misses are labelled'),
});

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
  missed: Type.Integer({ description: 'Violations people marked "missed here" on a clip\'s timeline' }),
  decided: Type.Integer({ description: 'Confirmed plus dismissed' }),
  decidedShare: Ratio('decided / violations; null without alerts'),
  precision: Ratio('confirmed / decided; null before any decision'),
  recall: Ratio('confirmed / (confirmed + missed), once anyone marked a miss of this SOP in the store; null before'),
  flag: Type.Union([Flag, Type.Null()], { description: 'The most pressing of flags' }),
  flags: Type.Array(Flag),
  hint: Type.Union([Type.String(), Type.Null()], { description: 'What usually helps, for a flagged rule' }),
  trend: Type.Array(TrendPoint, { description: 'The same figures per bucket, oldest first, empty buckets included' }),
});

export const ShadowRuleRow = Type.Object({
  storeId: Type.String(),
  storeName: Type.String(),
  sopId: Type.String(),
  rule: Type.String(),
  wouldHaveAlerted: Type.Integer({ description: 'Violations recorded in shadow mode: alerts, had the rule been live' }),
  onLiveCameras: Type.Integer({ description: 'Of those, on live cameras (the rest on uploaded clips)' }),
  days: Type.Integer({ description: 'Days with at least one' }),
  perDay: Type.Number({ description: 'Alerts per day of the period' }),
  open: Type.Integer(),
  needsReview: Type.Integer(),
  confirmed: Type.Integer(),
  dismissed: Type.Integer(),
  decided: Type.Integer(),
  precision: Ratio('confirmed / decided: how often its alerts would have been right; null before any decision'),
});

export const AccuracyReport = Type.Object({
  from: Type.String(),
  to: Type.String(),
  bucket: Type.Union([Type.Literal('day'), Type.Literal('week')]),
  thresholds: Type.Object({ minDecided: Type.Integer(), minPrecision: Type.Number(), minDecidedShare: Type.Number(), minMissed: Type.Integer(), minRecall: Type.Number() }),
  rules: Type.Array(RuleAccuracyRow),
  shadow: Type.Array(ShadowRuleRow, { description: 'Rules in shadow mode: what they would have done, before anyone makes them live' }),
}, { description: 'How often each rule was right and what it missed, as decided and labelled by people, over the days of the report' });
export type AccuracyReport = Static<typeof AccuracyReport>;
