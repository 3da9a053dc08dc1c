// The eval scorer on hand-made reports: tolerance edges, split and merged episodes, may-items, per-rule sums.
import { describe, expect, it } from 'vitest';
import { matchEpisodes, matchRuleText, scoreClip, summarise, type Episode, type LabelEpisode } from '../../services/eval/index.ts';

const ep = (rule: string, start: number, end: number, kind = 'too_short'): Episode => ({ rule, kind, start, end });

describe('eval scorer', () => {
  it('matches when both edges are within the tolerance, inclusive, and not just outside it', () => {
    const label = [ep('r', 10, 20)];
    expect(scoreClip(label, [ep('r', 12.9, 17.1)], 3).rules.r).toMatchObject({ found: 1, missed: 0, extra: 0, precision: 1, recall: 1 });
    expect(scoreClip(label, [ep('r', 13, 23)], 3).rules.r).toMatchObject({ found: 1, missed: 0, extra: 0 });
    // Start just outside.
    expect(scoreClip(label, [ep('r', 13.01, 20)], 3).rules.r).toMatchObject({ found: 0, missed: 1, extra: 1, precision: 0, recall: 0 });
    // End just outside, start exact.
    expect(scoreClip(label, [ep('r', 10, 23.01)], 3).rules.r).toMatchObject({ found: 0, missed: 1, extra: 1 });
    // The tolerance is a parameter.
    expect(scoreClip(label, [ep('r', 13.01, 20)], 3.5).rules.r).toMatchObject({ found: 1 });
  });

  it('needs the same rule and kind', () => {
    const s = scoreClip([ep('r', 10, 20)], [ep('r', 10, 20, 'too_long'), ep('q', 10, 20)], 3);
    expect(s.rules.r).toMatchObject({ labels: 1, found: 0, missed: 1, extra: 1 });
    expect(s.rules.q).toMatchObject({ labels: 0, found: 0, missed: 0, extra: 1, precision: 0, recall: null });
  });

  it('a split episode (one label, two detected parts): at most one part is found, the other is extra', () => {
    // Neither part is within 3 s of both edges: one miss and two extras.
    const apart = scoreClip([ep('r', 10, 40)], [ep('r', 10, 24), ep('r', 26, 40)], 3);
    expect(apart.rules.r).toMatchObject({ labels: 1, found: 0, missed: 1, extra: 2, precision: 0, recall: 0 });
    // One part covers the label within the tolerance: found, and the sliver is extra.
    const sliver = scoreClip([ep('r', 10, 40)], [ep('r', 10, 38), ep('r', 39, 40)], 3);
    expect(sliver.rules.r).toMatchObject({ found: 1, missed: 0, extra: 1, precision: 0.5, recall: 1 });
    expect(sliver.found[0]?.detected).toEqual(ep('r', 10, 38));
    expect(sliver.extra).toEqual([ep('r', 39, 40)]);
  });

  it('a merged episode (two labels, one detection): at most one label is found, the other missed', () => {
    const wide = scoreClip([ep('r', 10, 20), ep('r', 22, 32)], [ep('r', 10, 32)], 3);
    expect(wide.rules.r).toMatchObject({ labels: 2, found: 0, missed: 2, extra: 1 });
    // Close labels: the detection is within the tolerance of both; the closer pair wins, the other label is missed.
    const close = scoreClip([ep('r', 10, 12), ep('r', 11, 13)], [ep('r', 10.5, 12.5)], 3);
    expect(close.rules.r).toMatchObject({ labels: 2, found: 1, missed: 1, extra: 0, precision: 1, recall: 0.5 });
    expect(close.found[0]?.label).toEqual(ep('r', 10, 12));
  });

  it('one-to-one matching takes the closest pairs first', () => {
    const m = matchEpisodes([ep('r', 0, 10), ep('r', 2, 12)], [ep('r', 2, 12), ep('r', 0.5, 10.5)], 3);
    expect(m.pairs).toEqual([[0, 1], [1, 0]]);
    expect(m.unmatchedLeft).toEqual([]);
    expect(m.unmatchedRight).toEqual([]);
  });

  it('may-items are counted neither way', () => {
    const labels: LabelEpisode[] = [ep('r', 10, 20), { ...ep('r', 50, 60), may: true }, { ...ep('r', 80, 90), may: true }];
    const s = scoreClip(labels, [ep('r', 10, 20), ep('r', 51, 59)], 3);
    // Detected may-item: not a find and not an extra; undetected may-item: not a miss.
    expect(s.rules.r).toMatchObject({ labels: 1, found: 1, missed: 0, extra: 0, may: 1, precision: 1, recall: 1 });
    // A certain label takes its detection before a may-item can.
    const both = scoreClip([{ ...ep('r', 10, 20), may: true }, ep('r', 10, 20)], [ep('r', 10, 20)], 3);
    expect(both.rules.r).toMatchObject({ found: 1, may: 0, missed: 0, extra: 0 });
    // A detection far from a may-item is still extra.
    expect(scoreClip([{ ...ep('r', 10, 20), may: true }], [ep('r', 30, 40)], 3).rules.r).toMatchObject({ labels: 0, extra: 1, precision: 0, recall: null });
  });

  it('sums per rule and in total over clips; rules labelled clean get a row', () => {
    const a = scoreClip([ep('s/a', 10, 20), ep('s/a', 30, 40)], [ep('s/a', 11, 21), ep('s/b', 5, 6)], 3, ['s/a', 's/b', 's/c']);
    const b = scoreClip([ep('s/a', 0, 5)], [ep('s/a', 0, 5), ep('s/a', 50, 60)], 3, ['s/a']);
    const sum = summarise([a, b], 3);
    expect(sum.rules.map((r) => r.rule)).toEqual(['s/a', 's/b', 's/c']);
    expect(sum.rules[0]).toMatchObject({ clips: 2, labels: 3, found: 2, missed: 1, extra: 1, precision: 0.667, recall: 0.667 });
    expect(sum.rules[1]).toMatchObject({ clips: 1, labels: 0, found: 0, missed: 0, extra: 1, precision: 0, recall: null });
    expect(sum.rules[2]).toMatchObject({ clips: 1, labels: 0, found: 0, extra: 0, precision: null, recall: null });
    expect(sum.total).toMatchObject({ clips: 2, labels: 3, found: 2, missed: 1, extra: 2, precision: 0.5, recall: 0.667 });
    expect(sum.matchRule).toBe(matchRuleText(3));
    expect(sum.matchRule).toContain('within 3 s');
  });
});
