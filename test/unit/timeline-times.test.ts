// The timeline's thumbnail times: ten over a long clip, at most one per second of a short one, always inside the clip.
import { describe, expect, it } from 'vitest';
import { THUMBNAIL_WIDTH, thumbnailWidth, timelineTimes } from '../../services/analysis/evidence.ts';
import { thumbnailDrawWidth } from '../../services/evidence/index.ts';

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

describe('timeline thumbnail width', () => {
  it('is at least twice what the strip draws, in 32 px steps, at most 320 px', () => {
    // Ten thumbnails are drawn 97 px wide: scrubbed at 224. Eight at 123: 256. Five or fewer are drawn 200 px or more.
    expect(thumbnailDrawWidth(10)).toBe(97);
    expect(thumbnailWidth(10)).toBe(224);
    expect(thumbnailWidth(8)).toBe(256);
    for (const n of [1, 2, 5]) expect(thumbnailWidth(n)).toBe(THUMBNAIL_WIDTH);
    for (let n = 1; n <= 12; n++) {
      const w = thumbnailWidth(n);
      expect(w % 32).toBe(0);
      expect(w).toBeLessThanOrEqual(THUMBNAIL_WIDTH);
      expect(w === THUMBNAIL_WIDTH || w >= 2 * thumbnailDrawWidth(n)).toBe(true);
    }
  });
});
