// The damaged stretches of a clip as the analysis uses them: which frames to skip, where the rules must start over,
// and the "not analysed" spans the report and the API show (never counted as compliant).
import type { StreamGap } from '../ingester/index.ts';

export interface NotAnalysed {
  /** Seconds from the clip start. */
  start: number;
  end: number;
  reason: string;
}

export interface DamageSegments {
  spans: NotAnalysed[];
  /** True for a frame inside a damaged stretch (a repeat of the last good picture). */
  hides(tMs: number): boolean;
  /** The gap a frame at `tMs` is the first one after, once per gap, in increasing time; else undefined. */
  crossed(tMs: number): StreamGap | undefined;
}

export function damageSegments(gaps: readonly StreamGap[]): DamageSegments {
  const sorted = [...gaps].sort((a, b) => a.startMs - b.startMs);
  let next = 0;
  return {
    spans: sorted.map((g) => ({
      start: g.startMs / 1000,
      end: g.endMs / 1000,
      reason: `no readable video from ${(g.startMs / 1000).toFixed(1)} s to ${(g.endMs / 1000).toFixed(1)} s (damaged or missing data): not analysed`,
    })),
    hides: (tMs) => sorted.some((g) => tMs > g.startMs && tMs < g.endMs),
    crossed: (tMs) => {
      let found: StreamGap | undefined;
      while (next < sorted.length && tMs >= (sorted[next]?.endMs ?? Infinity)) {
        found = sorted[next];
        next += 1;
      }
      return found;
    },
  };
}
