// Per-rule accuracy from people's decisions (pure): precision, share decided, and a flag with a hint for weak rules.

/** Alert counts of one store, SOP and rule (one compliance row, or several summed). */
export interface DecisionCounts {
  storeId: string;
  storeName: string;
  sopId: string;
  rule: string;
  violations: number;
  open: number;
  needsReview: number;
  confirmed: number;
  dismissed: number;
}

export interface RuleAccuracy extends DecisionCounts {
  decided: number;
  /** decided / violations; null without alerts. */
  decidedShare: number | null;
  /** confirmed / decided: how often an alert a person looked at was right; null before any decision. */
  precision: number | null;
  flag: 'low_precision' | 'few_decided' | null;
  hint: string | null;
}

export interface AccuracyThresholds {
  /** Decisions needed before precision is judged. */
  minDecided: number;
  /** Below this precision a rule is flagged. */
  minPrecision: number;
  /** Below this share of alerts decided (with at least `minDecided` alerts) precision is not yet worth much. */
  minDecidedShare: number;
}

export const DEFAULT_THRESHOLDS: AccuracyThresholds = { minDecided: 5, minPrecision: 0.6, minDecidedShare: 0.3 };

export const LOW_PRECISION_HINT = 'Most alerts of this rule were dismissed. What usually helps: redraw the zone on a fresh snapshot so it '
  + 'covers only the working area, give the condition more time (for, max_gap, min/max), or move the camera so the zone is seen whole and unobstructed. '
  + 'Shadow mode and the dry run show the effect of an edit before it alerts anyone.';
export const FEW_DECIDED_HINT = 'Too few alerts of this rule were confirmed or dismissed to tell how often it is right: deciding them in the review queue measures it.';

const ratio = (n: number, d: number): number | null => (d === 0 ? null : Math.round((n / d) * 1000) / 1000);

/** Sums rows per store, SOP and rule (e.g. the days of a compliance report) and judges each. */
export function ruleAccuracy(rows: readonly DecisionCounts[], t: AccuracyThresholds = DEFAULT_THRESHOLDS): RuleAccuracy[] {
  const sums = new Map<string, DecisionCounts>();
  for (const r of rows) {
    const key = JSON.stringify([r.storeId, r.sopId, r.rule]);
    const s = sums.get(key);
    sums.set(key, s === undefined
      ? { storeId: r.storeId, storeName: r.storeName, sopId: r.sopId, rule: r.rule, violations: r.violations, open: r.open, needsReview: r.needsReview, confirmed: r.confirmed, dismissed: r.dismissed }
      : { ...s, violations: s.violations + r.violations, open: s.open + r.open, needsReview: s.needsReview + r.needsReview, confirmed: s.confirmed + r.confirmed, dismissed: s.dismissed + r.dismissed });
  }
  return [...sums.values()]
    .map((s): RuleAccuracy => {
      const decided = s.confirmed + s.dismissed;
      const precision = ratio(s.confirmed, decided);
      const decidedShare = ratio(decided, s.violations);
      const low = decided >= t.minDecided && precision !== null && precision < t.minPrecision;
      const few = !low && s.violations >= t.minDecided && (decidedShare ?? 0) < t.minDecidedShare;
      return { ...s, decided, decidedShare, precision, flag: low ? 'low_precision' : few ? 'few_decided' : null, hint: low ? LOW_PRECISION_HINT : few ? FEW_DECIDED_HINT : null };
    })
    .sort((a, b) => a.storeName.localeCompare(b.storeName) || a.sopId.localeCompare(b.sopId) || a.rule.localeCompare(b.rule));
}
