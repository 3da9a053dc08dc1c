// Per-rule accuracy from decisions: sums over days, precision, decided share, flags and hints.
import { describe, expect, it } from 'vitest';
import { FEW_DECIDED_HINT, LOW_PRECISION_HINT, MANY_MISSED_HINT, bucketStart, bucketStarts, defaultBucket, ruleAccuracy, shadowSummary, type DecisionCounts } from '../../services/eval/index.ts';

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

describe('misses, recall and the trend', () => {
  it('gives recall for the rules of a store\'s SOP once a miss of it is labelled, and flags many misses', () => {
    const out = ruleAccuracy([
      row('caught', { violations: 4, confirmed: 4 }),
      row('leaky', { violations: 1, confirmed: 1 }),
      row('leaky', { missed: 2 }),
      row('elsewhere', { violations: 3, confirmed: 3 }, 's2'),
    ]);
    const by = Object.fromEntries(out.map((r) => [`${r.storeId}/${r.rule}`, r]));
    expect(by['s1/leaky']).toMatchObject({ missed: 2, recall: 0.333, flag: 'many_missed', flags: ['many_missed'], hint: MANY_MISSED_HINT });
    // The same store's SOP was labelled: a rule with no misses there caught everything people saw.
    expect(by['s1/caught']).toMatchObject({ missed: 0, recall: 1, flag: null });
    // Nobody labelled store s2's clips: recall unknown, not 1.
    expect(by['s2/elsewhere']).toMatchObject({ recall: null, flag: null });
  });

  it('flags misses at the thresholds (two misses, recall under 0.7) and joins the hints of two flags', () => {
    expect(ruleAccuracy([row('r', { confirmed: 1, violations: 1, missed: 1 })])[0]?.flags).toEqual([]);
    expect(ruleAccuracy([row('r', { confirmed: 7, violations: 7, missed: 3 })])[0]?.flags).toEqual([]);
    expect(ruleAccuracy([row('r', { confirmed: 4, violations: 4, missed: 2 })])[0]?.flags).toEqual(['many_missed']);
    const both = ruleAccuracy([row('r', { violations: 6, confirmed: 1, dismissed: 5, missed: 2 })])[0];
    expect(both).toMatchObject({ flag: 'low_precision', flags: ['low_precision', 'many_missed'], hint: `${LOW_PRECISION_HINT} ${MANY_MISSED_HINT}` });
  });

  it('buckets by day or by the Monday of the week, empty buckets included', () => {
    expect(bucketStart('2026-11-08', 'week')).toBe('2026-11-02'); // a Sunday
    expect(bucketStart('2026-11-09', 'week')).toBe('2026-11-09'); // a Monday
    expect(bucketStarts('2026-11-01', '2026-11-15', 'week')).toEqual(['2026-10-26', '2026-11-02', '2026-11-09']);
    expect(bucketStarts('2026-11-30', '2026-12-02', 'day')).toEqual(['2026-11-30', '2026-12-01', '2026-12-02']);
    expect(defaultBucket('2026-11-01', '2026-12-02')).toBe('week');
    expect(defaultBucket('2026-11-01', '2026-12-01')).toBe('day'); // 31 days: a month
    const [r] = ruleAccuracy([
      row('r', { day: '2026-11-03', violations: 2, confirmed: 1, dismissed: 1 }),
      row('r', { day: '2026-11-08', missed: 1 }),
      row('r', { day: '2026-11-10', violations: 1, confirmed: 1 }),
    ], undefined, { from: '2026-11-02', to: '2026-11-15', bucket: 'week' });
    expect(r?.trend).toEqual([
      { start: '2026-11-02', violations: 2, confirmed: 1, dismissed: 1, missed: 1, precision: 0.5, recall: 0.5 },
      { start: '2026-11-09', violations: 1, confirmed: 1, dismissed: 0, missed: 0, precision: 1, recall: 1 },
    ]);
  });
});

describe('shadow rules', () => {
  it('sums the days in the period per store and rule, with alerts per day and precision from decisions', () => {
    const day = (d: string, c: Partial<Parameters<typeof shadowSummary>[0][number]>) => ({
      day: d, storeId: 's1', storeName: 'S1', sopId: 'sop', rule: 'strict', wouldHaveAlerted: 0, onLiveCameras: 0, open: 0, needsReview: 0, confirmed: 0, dismissed: 0, ...c,
    });
    const out = shadowSummary([
      day('2026-11-01', { wouldHaveAlerted: 3, onLiveCameras: 2, confirmed: 1, dismissed: 1, open: 1 }),
      day('2026-11-04', { wouldHaveAlerted: 1, onLiveCameras: 1, dismissed: 1 }),
      day('2026-11-11', { wouldHaveAlerted: 9 }),
    ], '2026-11-01', '2026-11-10');
    expect(out).toEqual([{
      storeId: 's1', storeName: 'S1', sopId: 'sop', rule: 'strict', wouldHaveAlerted: 4, onLiveCameras: 3, open: 1, needsReview: 0, confirmed: 1, dismissed: 2,
      days: 2, perDay: 0.4, decided: 3, precision: 0.333,
    }]);
  });
});
