// Per-rule accuracy from decisions: sums over days, precision, decided share, flags and hints.
import { describe, expect, it } from 'vitest';
import { FEW_DECIDED_HINT, LOW_PRECISION_HINT, ruleAccuracy, type DecisionCounts } from '../../services/eval/index.ts';

const row = (rule: string, c: Partial<DecisionCounts>, storeId = 's1'): DecisionCounts => ({
  storeId, storeName: storeId.toUpperCase(), sopId: 'sop', rule, violations: 0, open: 0, needsReview: 0, confirmed: 0, dismissed: 0, ...c,
});

describe('rule accuracy from decisions', () => {
  it('sums days per store and rule, and judges each', () => {
    const out = ruleAccuracy([
      row('weak', { violations: 4, confirmed: 1, dismissed: 3 }),
      row('weak', { violations: 3, dismissed: 2, open: 1 }),
      row('good', { violations: 6, confirmed: 5, dismissed: 1 }),
      row('unknown', { violations: 10, open: 9, confirmed: 1 }),
      row('weak', { violations: 1, dismissed: 1 }, 's2'),
    ]);
    expect(out.map((r) => `${r.storeId}/${r.rule}`)).toEqual(['s1/good', 's1/unknown', 's1/weak', 's2/weak']);
    const [good, unknown, weak, other] = out;
    expect(weak).toMatchObject({ violations: 7, decided: 6, confirmed: 1, dismissed: 5, precision: 0.167, decidedShare: 0.857, flag: 'low_precision', hint: LOW_PRECISION_HINT });
    expect(good).toMatchObject({ precision: 0.833, decidedShare: 1, flag: null, hint: null });
    expect(unknown).toMatchObject({ precision: 1, decidedShare: 0.1, flag: 'few_decided', hint: FEW_DECIDED_HINT });
    // One dismissal is not enough to judge a rule.
    expect(other).toMatchObject({ precision: 0, decided: 1, flag: null });
  });

  it('just at the thresholds is not flagged, just under is', () => {
    expect(ruleAccuracy([row('r', { violations: 5, confirmed: 3, dismissed: 2 })])[0]?.flag).toBeNull();
    expect(ruleAccuracy([row('r', { violations: 5, confirmed: 2, dismissed: 3 })])[0]?.flag).toBe('low_precision');
    expect(ruleAccuracy([row('r', { violations: 10, confirmed: 3, open: 7 })])[0]?.flag).toBeNull();
    expect(ruleAccuracy([row('r', { violations: 10, confirmed: 2, open: 8 })])[0]?.flag).toBe('few_decided');
  });
});
