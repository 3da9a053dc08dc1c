// One-to-one matching of episodes (labelled vs detected, or stored alerts vs a dry run) by the edge-tolerance rule.

/** An episode in clip seconds, for one rule. */
export interface Episode {
  rule: string;
  kind: string;
  start: number;
  end: number;
}

export const DEFAULT_TOLERANCE_S = 3;

/** The rule in words, printed with every score so that a figure never travels without it. */
export function matchRuleText(toleranceS: number): string {
  return `a detection matches a label when both have the same rule and kind and both its start and its end are within ${toleranceS} s `
    + 'of the label\'s; matching is one-to-one, closest pairs first (smallest |Δstart| + |Δend|, ties by earlier label, then earlier detection)';
}

/** True when `b` may stand for `a`: same rule and kind, both edges within the tolerance (inclusive). */
export function edgesMatch(a: Episode, b: Episode, toleranceS: number): boolean {
  return a.rule === b.rule && a.kind === b.kind
    && Math.abs(a.start - b.start) <= toleranceS + 1e-9 && Math.abs(a.end - b.end) <= toleranceS + 1e-9;
}

export interface Matching {
  /** Index pairs [left, right]. */
  pairs: Array<[number, number]>;
  unmatchedLeft: number[];
  unmatchedRight: number[];
}

/**
 * Greedy one-to-one matching: every admissible pair (see `edgesMatch`) sorted by edge error, taken when
 * neither side is used yet. Each episode matches at most one other: a label split into two detected parts
 * matches at most one part (the other is extra), and two labels merged into one detection match at most
 * one of them (the other is missed).
 */
export function matchEpisodes(left: readonly Episode[], right: readonly Episode[], toleranceS: number): Matching {
  const candidates: Array<{ l: number; r: number; error: number }> = [];
  left.forEach((a, l) => right.forEach((b, r) => {
    if (edgesMatch(a, b, toleranceS)) candidates.push({ l, r, error: Math.abs(a.start - b.start) + Math.abs(a.end - b.end) });
  }));
  candidates.sort((x, y) => x.error - y.error || x.l - y.l || x.r - y.r);
  const usedL = new Set<number>();
  const usedR = new Set<number>();
  const pairs: Array<[number, number]> = [];
  for (const c of candidates) {
    if (usedL.has(c.l) || usedR.has(c.r)) continue;
    usedL.add(c.l);
    usedR.add(c.r);
    pairs.push([c.l, c.r]);
  }
  pairs.sort((a, b) => a[0] - b[0]);
  return {
    pairs,
    unmatchedLeft: left.flatMap((_, i) => (usedL.has(i) ? [] : [i])),
    unmatchedRight: right.flatMap((_, i) => (usedR.has(i) ? [] : [i])),
  };
}
