// The owner's view: compliance score per store and rule with its trend and ranking; and the daily digest of one store.
import { Type, type Static } from '@sinclair/typebox';
import { Day } from './common.ts';
import { ReportQuery } from './report.ts';

const Score = Type.Union([Type.Number({ minimum: 0, maximum: 1 }), Type.Null()], {
  description: 'compliant / (compliant + violated), 3 decimals; null when nothing was checked',
});

const counts = {
  checked: Type.Integer({ description: 'Checks in the period: an analysed clip per rule that applies to its camera, or a watched clock hour of a live camera per rule' }),
  compliant: Type.Integer({ description: 'Checks without a standing violation (dismissed ones count as compliant)' }),
  violated: Type.Integer({ description: 'Checks with an open or confirmed violation of the rule' }),
  needsReview: Type.Integer({ description: 'Checks whose only violations await a person: shown, not scored' }),
  score: Score,
};

export const ScoreQuery = Type.Object({
  ...ReportQuery.properties,
  bucket: Type.Optional(Type.Union([Type.Literal('day'), Type.Literal('week')], { description: 'Trend buckets: days, or weeks from Monday (default: days up to a month, weeks beyond)' })),
}, { additionalProperties: false, description: 'Default: the last 7 days' });
export type ScoreQuery = Static<typeof ScoreQuery>;

export const ScoreTrendPoint = Type.Object({ start: Type.String({ description: 'First day of the bucket (a Monday for weeks)' }), ...counts });

export const StoreScore = Type.Object({
  storeId: Type.String(),
  storeName: Type.String(),
  rank: Type.Union([Type.Integer({ minimum: 1 }), Type.Null()], { description: '1 = best; equal scores share a rank; null without a score' }),
  ...counts,
  clips: Type.Integer({ description: 'Uploaded clips analysed in the period' }),
  watchedHours: Type.Integer({ description: 'Live camera clock hours watched in the period' }),
  notMonitoredSeconds: Type.Integer({ description: 'Live camera time not watched: no check, excluded from the score' }),
  trend: Type.Array(ScoreTrendPoint),
});

export const RuleScore = Type.Object({
  storeId: Type.String(),
  storeName: Type.String(),
  sopId: Type.String(),
  rule: Type.String(),
  title: Type.String(),
  titleZh: Type.Union([Type.String(), Type.Null()]),
  ...counts,
});

export const ComplianceScoreReport = Type.Object({
  from: Type.String(),
  to: Type.String(),
  bucket: Type.Union([Type.Literal('day'), Type.Literal('week')]),
  stores: Type.Array(StoreScore, { description: 'Ranked, best first; stores without checks last' }),
  rules: Type.Array(RuleScore, { description: 'Per store and rule, worst first' }),
  trend: Type.Array(ScoreTrendPoint, { description: 'All the stores asked for together' }),
});

export const DigestQuery = Type.Object({
  storeId: Type.String({ minLength: 1, maxLength: 200, description: 'The store' }),
  day: Day,
}, { additionalProperties: false });
export type DigestQuery = Static<typeof DigestQuery>;

const Count = Type.Integer({ minimum: 0 });

export const DailyDigest = Type.Object({
  storeId: Type.String(),
  storeName: Type.String(),
  day: Type.String(),
  tz: Type.String(),
  fromIso: Type.String({ description: 'Local midnight starting the day' }),
  toIso: Type.String({ description: 'Local midnight ending it' }),
  summary: Type.Object({
    total: Count,
    bySeverity: Type.Object({ low: Count, medium: Count, high: Count }),
    needsReview: Type.Integer({ description: 'Doubtful cases a person should look at' }),
    unreviewed: Type.Integer({ description: 'Recorded that day and still neither confirmed nor dismissed' }),
    topRules: Type.Array(Type.Object({ sop: Type.String(), rule: Type.String(), count: Count }), { description: 'The most frequent rules, most first (at most 5)' }),
    suppressed: Type.Integer({ description: 'Violations whose message a cooldown held back' }),
  }, { description: 'Exactly what the shift digest notification carries for the same window' }),
  ruleTitles: Type.Array(Type.Object({ sop: Type.String(), rule: Type.String(), title: Type.String(), titleZh: Type.Union([Type.String(), Type.Null()]) })),
  notMonitored: Type.Array(Type.Object({
    cameraId: Type.String(),
    cameraName: Type.Union([Type.String(), Type.Null()]),
    seconds: Count,
  }), { description: 'Live camera time not watched that local day' }),
});
