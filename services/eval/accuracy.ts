// Per-rule accuracy from people's decisions and labels (pure): precision, misses and recall, share decided, the trend
// over day or week buckets, and a flag with a hint for weak rules.
import type { ComplianceRow } from '../core/storage/violation-queries.repository.ts';

/** Alert counts of one store, SOP and rule (one compliance row, or several summed); `missed` from "missed here" labels. */
export type DecisionCounts = Omit<ComplianceRow, 'day' | 'high' | 'ruleTitle' | 'ruleTitleZh'> & {
  /** Violations people marked on a clip's timeline that the rule did not raise. */
  missed?: number;
  /** The store's local day (YYYY-MM-DD) the row is about, for the trend. */
  day?: string;
};

export type AccuracyFlag = 'low_precision' | 'many_missed' | 'few_decided';
export type Bucket = 'day' | 'week';

export interface TrendPoint {
  /** First day of the bucket (a Monday for weeks). */
  start: string;
  violations: number;
  confirmed: number;
  dismissed: number;
  missed: number;
  precision: number | null;
  recall: number | null;
}

export interface RuleAccuracy extends Omit<DecisionCounts, 'day' | 'missed'> {
  missed: number;
  decided: number;
  /** decided / violations; null without alerts. */
  decidedShare: number | null;
  /** confirmed / decided: how often an alert a person looked at was right; null before any decision. */
  precision: number | null;
  /** confirmed / (confirmed + missed), where the store labels misses of this SOP; null where nobody marked any. */
  recall: number | null;
  /** The most pressing of `flags`. */
  flag: AccuracyFlag | null;
  flags: AccuracyFlag[];
  hint: string | null;
  trend: TrendPoint[];
}

export interface AccuracyThresholds {
  /** Decisions needed before precision is judged. */
  minDecided: number;
  /** Below this precision a rule is flagged. */
  minPrecision: number;
  /** Below this share of alerts decided (with at least `minDecided` alerts) precision is not yet worth much. */
  minDecidedShare: number;
  /** Misses needed before recall is judged. */
  minMissed: number;
  /** Below this recall (with at least `minMissed` misses) a rule is flagged. */
  minRecall: number;
}

export const DEFAULT_THRESHOLDS: AccuracyThresholds = { minDecided: 5, minPrecision: 0.6, minDecidedShare: 0.3, minMissed: 2, minRecall: 0.7 };

export const LOW_PRECISION_HINT = 'Most alerts of this rule were dismissed. What usually helps: redraw the zone on a fresh snapshot so it '
  + 'covers only the working area, give the condition more time (for, max_gap, min/max), or move the camera so the zone is seen whole and unobstructed. '
  + 'Shadow mode and the dry run show the effect of an edit before it alerts anyone.';
export const MANY_MISSED_HINT = 'People marked violations this rule did not catch. What usually helps: widen the zone to where the work really '
  + 'happens (draw it on a fresh snapshot), loosen the timing (a shorter for or min, a longer max_gap), or move the camera so hands and objects at the '
  + 'station are in view and not hidden behind people or equipment. Check the edit with the dry run on the labelled clips.';
export const FEW_DECIDED_HINT = 'Too few alerts of this rule were confirmed or dismissed to tell how often it is right: deciding them in the review queue measures it.';

const HINTS: Record<AccuracyFlag, string> = { low_precision: LOW_PRECISION_HINT, many_missed: MANY_MISSED_HINT, few_decided: FEW_DECIDED_HINT };
const DAY_MS = 86_400_000;

const ratio = (n: number, d: number): number | null => (d === 0 ? null : Math.round((n / d) * 1000) / 1000);
const dayMs = (day: string): number => Date.parse(`${day}T00:00:00Z`);
const isoDay = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

/** The first day of the bucket a day falls in: the day itself, or the Monday of its week. */
export function bucketStart(day: string, bucket: Bucket): string {
  if (bucket === 'day') return day;
  const ms = dayMs(day);
  return isoDay(ms - ((new Date(ms).getUTCDay() + 6) % 7) * DAY_MS);
}

/** Every bucket from `from` to `to`, empty ones included, so that a trend shows quiet stretches. */
export function bucketStarts(from: string, to: string, bucket: Bucket): string[] {
  const out: string[] = [];
  for (let ms = dayMs(bucketStart(from, bucket)); ms <= dayMs(to); ms += (bucket === 'day' ? 1 : 7) * DAY_MS) out.push(isoDay(ms));
  return out;
}

/** Days for ranges up to a month, weeks beyond. */
export const defaultBucket = (from: string, to: string): Bucket => ((dayMs(to) - dayMs(from)) / DAY_MS >= 31 ? 'week' : 'day');

interface Sum { violations: number; open: number; needsReview: number; confirmed: number; dismissed: number; missed: number }
const zero = (): Sum => ({ violations: 0, open: 0, needsReview: 0, confirmed: 0, dismissed: 0, missed: 0 });
const add = (s: Sum, r: DecisionCounts): void => {
  s.violations += r.violations; s.open += r.open; s.needsReview += r.needsReview; s.confirmed += r.confirmed; s.dismissed += r.dismissed; s.missed += r.missed ?? 0;
};

function judge(s: Sum, labelled: boolean, t: AccuracyThresholds): Pick<RuleAccuracy, 'decided' | 'decidedShare' | 'precision' | 'recall' | 'flag' | 'flags' | 'hint'> {
  const decided = s.confirmed + s.dismissed;
  const precision = ratio(s.confirmed, decided);
  const decidedShare = ratio(decided, s.violations);
  const recall = labelled ? ratio(s.confirmed, s.confirmed + s.missed) : null;
  const flags: AccuracyFlag[] = [];
  const low = decided >= t.minDecided && precision !== null && precision < t.minPrecision;
  if (low) flags.push('low_precision');
  if (s.missed >= t.minMissed && recall !== null && recall < t.minRecall) flags.push('many_missed');
  if (!low && s.violations >= t.minDecided && (decidedShare ?? 0) < t.minDecidedShare) flags.push('few_decided');
  return { decided, decidedShare, precision, recall, flag: flags[0] ?? null, flags, hint: flags.length === 0 ? null : flags.map((f) => HINTS[f]).join(' ') };
}

/**
 * Sums rows per store, SOP and rule (e.g. the days of a compliance report and of the missed labels) and judges each.
 * Recall is given for the rules of a store's SOP once anyone marked a miss of that SOP in the period: the person was
 * looking at its clips, so a rule with confirmed alerts and no misses there has recall 1.
 */
export function ruleAccuracy(
  rows: readonly DecisionCounts[],
  t: AccuracyThresholds = DEFAULT_THRESHOLDS,
  trend?: { from: string; to: string; bucket: Bucket },
): RuleAccuracy[] {
  const sums = new Map<string, { head: DecisionCounts; total: Sum; buckets: Map<string, Sum> }>();
  const labelledSops = new Set<string>();
  for (const r of rows) {
    const key = JSON.stringify([r.storeId, r.sopId, r.rule]);
    let s = sums.get(key);
    if (s === undefined) {
      s = { head: r, total: zero(), buckets: new Map() };
      sums.set(key, s);
    }
    add(s.total, r);
    if ((r.missed ?? 0) > 0) labelledSops.add(JSON.stringify([r.storeId, r.sopId]));
    if (trend !== undefined && r.day !== undefined) {
      const b = bucketStart(r.day, trend.bucket);
      const sum = s.buckets.get(b) ?? zero();
      add(sum, r);
      s.buckets.set(b, sum);
    }
  }
  const starts = trend === undefined ? [] : bucketStarts(trend.from, trend.to, trend.bucket);
  return [...sums.values()]
    .map(({ head, total, buckets }): RuleAccuracy => {
      const labelled = labelledSops.has(JSON.stringify([head.storeId, head.sopId]));
      return {
        storeId: head.storeId, storeName: head.storeName, sopId: head.sopId, rule: head.rule,
        violations: total.violations, open: total.open, needsReview: total.needsReview, confirmed: total.confirmed, dismissed: total.dismissed, missed: total.missed,
        ...judge(total, labelled, t),
        trend: starts.map((start) => {
          const b = buckets.get(start) ?? zero();
          return {
            start, violations: b.violations, confirmed: b.confirmed, dismissed: b.dismissed, missed: b.missed,
            precision: ratio(b.confirmed, b.confirmed + b.dismissed), recall: labelled && b.confirmed + b.missed > 0 ? ratio(b.confirmed, b.confirmed + b.missed) : null,
          };
        }),
      };
    })
    .sort((a, b) => a.storeName.localeCompare(b.storeName) || a.sopId.localeCompare(b.sopId) || a.rule.localeCompare(b.rule));
}
