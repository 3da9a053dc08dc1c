// Gaps in packet timestamps, and how the analysis skips and restarts across them.
import { describe, expect, it } from 'vitest';
import { damageSegments } from '../../services/analysis/damaged-spans.ts';
import { gapsIn } from '../../services/ingester/stream-gaps.ts';

describe('gapsIn', () => {
  const at25 = (from: number, to: number): number[] => Array.from({ length: Math.round((to - from) / 40) }, (_, i) => 1400 + from + i * 40);
  it('finds a hole in the timestamps, relative to the first picture, whatever the packet order', () => {
    const pts = [...at25(0, 4840), ...at25(7160, 12000)].reverse();
    expect(gapsIn(pts, 25)).toEqual([{ startMs: 4800, endMs: 7160 }]);
  });
  it('a dropped frame or two is no damage; a slow frame rate needs 5 intervals', () => {
    expect(gapsIn([0, 40, 80, 200, 240], 25)).toEqual([]);
    expect(gapsIn([0, 1000, 2000, 3000], 1)).toEqual([]);
    expect(gapsIn([0, 1000, 7000], 1)).toEqual([{ startMs: 1000, endMs: 7000 }]);
  });
});

describe('damageSegments', () => {
  it('hides the repeated frames inside a gap and reports each gap once when crossed', () => {
    const d = damageSegments([{ startMs: 4800, endMs: 7200 }, { startMs: 9000, endMs: 10000 }]);
    expect([4800, 5000, 7000, 7200].map((t) => d.hides(t))).toEqual([false, true, true, false]);
    expect(d.crossed(4800)).toBeUndefined();
    expect(d.crossed(7400)).toEqual({ startMs: 4800, endMs: 7200 });
    expect(d.crossed(7600)).toBeUndefined();
    expect(d.crossed(10000)).toEqual({ startMs: 9000, endMs: 10000 });
    expect(d.spans.map((s) => [s.start, s.end])).toEqual([[4.8, 7.2], [9, 10]]);
    expect(d.spans[0]?.reason).toMatch(/not analysed/);
  });
});
