// What an edited SOP would change on a clip (pure): the stored alerts and their decisions vs a dry run, by the eval match rule.
import { matchEpisodes, matchRuleText, type Episode } from './match.ts';

export interface StoredAlert extends Episode {
  id: string;
  status: 'open' | 'confirmed' | 'dismissed' | 'needs_review';
}

export interface AlertRef {
  id: string;
  rule: string;
  kind: string;
  start: number;
  end: number;
}

export interface DecisionChanges {
  toleranceS: number;
  matchRule: string;
  /** Confirmed alerts the edit would still raise (true alerts kept). */
  confirmedKept: number;
  /** Confirmed alerts the edit would no longer raise: true alerts lost. */
  confirmedGone: AlertRef[];
  /** Dismissed alerts the edit would still raise: false alarms kept. */
  dismissedKept: number;
  /** Dismissed alerts the edit would no longer raise: false alarms removed. */
  dismissedGone: AlertRef[];
  /** Alerts nobody decided yet, kept and gone. */
  undecidedKept: number;
  undecidedGone: number;
  /** What the edit would raise that matches no stored alert. */
  added: Episode[];
}

const ref = (a: StoredAlert): AlertRef => ({ id: a.id, rule: a.rule, kind: a.kind, start: a.start, end: a.end });

/**
 * Matches the stored alerts of a clip (one SOP) with what a dry run of an edited version finds, one-to-one with
 * the eval rule (same rule and kind, both edges within the tolerance), and counts what would change per decision.
 */
export function compareWithDecisions(stored: readonly StoredAlert[], dryRun: readonly Episode[], toleranceS: number): DecisionChanges {
  const m = matchEpisodes(stored, dryRun, toleranceS);
  const kept = m.pairs.map(([s]) => stored[s] as StoredAlert);
  const gone = m.unmatchedLeft.map((s) => stored[s] as StoredAlert);
  const decided = (status: StoredAlert['status']) => (a: StoredAlert) => a.status === status;
  const undecided = (a: StoredAlert) => a.status === 'open' || a.status === 'needs_review';
  return {
    toleranceS,
    matchRule: matchRuleText(toleranceS),
    confirmedKept: kept.filter(decided('confirmed')).length,
    confirmedGone: gone.filter(decided('confirmed')).map(ref),
    dismissedKept: kept.filter(decided('dismissed')).length,
    dismissedGone: gone.filter(decided('dismissed')).map(ref),
    undecidedKept: kept.filter(undecided).length,
    undecidedGone: gone.filter(undecided).length,
    added: m.unmatchedRight.map((d) => {
      const e = dryRun[d] as Episode;
      return { rule: e.rule, kind: e.kind, start: e.start, end: e.end };
    }),
  };
}
