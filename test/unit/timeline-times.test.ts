// The timeline's thumbnail times: ten over a long clip, at most one per second of a short one, always inside the clip.
import { describe, expect, it } from 'vitest';
import { timelineTimes } from '../../services/analysis/evidence.ts';

describe('timeline thumbnail times', () => {
  it('spreads ten over a 40 s clip, at the middle of each tenth', () => {
    expect(timelineTimes(40_000)).toEqual([2000, 6000, 10_000, 14_000, 18_000, 22_000, 26_000, 30_000, 34_000, 38_000]);
  });

  it('takes at most one per started second of a short clip', () => {
    expect(timelineTimes(3000)).toEqual([500, 1500, 2500]);
    expect(timelineTimes(2500)).toEqual([417, 1250, 2083]);
    expect(timelineTimes(10_000)).toHaveLength(10);
    expect(timelineTimes(9001)).toHaveLength(10);
    expect(timelineTimes(9000)).toHaveLength(9);
  });

  it('gives one thumbnail for a clip under a second, and never more than asked', () => {
    expect(timelineTimes(400)).toEqual([200]);
    expect(timelineTimes(0)).toEqual([0]);
    expect(timelineTimes(60_000, 4)).toEqual([7500, 22_500, 37_500, 52_500]);
  });
});
