// The span a video around an alert shows, and how a live camera's uneven frames land on the video's regular grid.
import { describe, expect, it } from 'vitest';
import { DEFAULT_VIDEO_WINDOW, momentSpan, onGrid } from '../../services/analysis/moment-video.ts';

const W = { ...DEFAULT_VIDEO_WINDOW, beforeMs: 3000, afterMs: 3000, maxMs: 15_000 };

describe('momentSpan', () => {
  it('shows the seconds before the start and after the end, never before the clip starts', () => {
    expect(momentSpan(10_000, 14_000, W)).toEqual({ fromMs: 7000, toMs: 17_000 });
    expect(momentSpan(1000, 2000, W)).toEqual({ fromMs: 0, toMs: 5000 });
  });

  it("cuts a long episode after the cap, and a clip's end when its length is known", () => {
    expect(momentSpan(10_000, 100_000, W)).toEqual({ fromMs: 7000, toMs: 22_000 });
    expect(momentSpan(10_000, 12_000, W, 13_000)).toEqual({ fromMs: 7000, toMs: 13_000 });
    // An end before the start (a bad row) is read as an instant.
    expect(momentSpan(10_000, 5000, W)).toEqual({ fromMs: 7000, toMs: 13_000 });
  });
});

describe('onGrid', () => {
  const frames = [{ tMs: 100 }, { tMs: 900 }, { tMs: 1000 }, { tMs: 2300 }];
  it('takes the newest frame at or before each grid time (the first one before any)', () => {
    expect(onGrid(frames, 0, 2500, 2).map((f) => f.tMs)).toEqual([100, 100, 1000, 1000, 1000]);
    expect(onGrid(frames, 2000, 3000, 4).map((f) => f.tMs)).toEqual([1000, 1000, 2300, 2300]);
  });

  it('gives nothing without frames, and ignores their order', () => {
    expect(onGrid([], 0, 1000, 4)).toEqual([]);
    expect(onGrid([...frames].reverse(), 900, 1100, 10).map((f) => f.tMs)).toEqual([900, 1000]);
  });
});
