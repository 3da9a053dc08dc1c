// The eval scorer (pure): labelled episodes vs detected ones -> found / missed / extra, precision and recall per rule.
import { matchEpisodes, matchRuleText, type Episode } from './match.ts';

export interface LabelEpisode extends Episode {
  /** A case the labeller could not call: neither a miss when absent nor an extra when detected. */
  may?: boolean;
}

export interface Counts {
  labels: number;
  found: number;
  missed: number;
  extra: number;
  /** Detections that matched a may-item: counted neither way. */
  may: number;
  /** found / (found + extra); null when nothing was detected. */
  precision: number | null;
  /** found / (found + missed); null when nothing was labelled. */
  recall: number | null;
}

export interface ClipScore {
  /** Per rule id (`<sop>/<rule>` when `sop` is given), sorted by key. */
  rules: Record<string, Counts>;
  found: Array<{ label: LabelEpisode; detected: Episode }>;
  missed: LabelEpisode[];
  extra: Episode[];
  /** Detections absorbed by may-items. */
  may: Array<{ label: LabelEpisode; detected: Episode }>;
}

export interface RuleRow extends Counts {
  rule: string;
  clips: number;
}

export interface EvalSummary {
  toleranceS: number;
  matchRule: string;
  rules: RuleRow[];
  total: Counts & { clips: number };
}

function ratio(n: number, d: number): number | null {
  return d === 0 ? null : Math.round((n / d) * 1000) / 1000;
}

export function counts(c: Pick<Counts, 'labels' | 'found' | 'missed' | 'extra' | 'may'>): Counts {
  return { ...c, precision: ratio(c.found, c.found + c.extra), recall: ratio(c.found, c.found + c.missed) };
}

const zero = (): Counts => counts({ labels: 0, found: 0, missed: 0, extra: 0, may: 0 });

/**
 * Scores one clip. Certain labels are matched first (see `matchEpisodes`); detections left over are then
 * matched, by the same rule, against may-items, and those are counted neither way. `labels` counts the
 * certain labels only. Rules that appear only in `ruleIds` (labelled clean) get a row of zeros.
 */
export function scoreClip(labels: readonly LabelEpisode[], detected: readonly Episode[], toleranceS: number, ruleIds: readonly string[] = []): ClipScore {
  const certain = labels.filter((l) => l.may !== true);
  const maybe = labels.filter((l) => l.may === true);
  const first = matchEpisodes(certain, detected, toleranceS);
  const left = first.unmatchedRight.map((i) => detected[i] as Episode);
  const second = matchEpisodes(maybe, left, toleranceS);
  const score: ClipScore = {
    rules: {},
    found: first.pairs.map(([l, d]) => ({ label: certain[l] as LabelEpisode, detected: detected[d] as Episode })),
    missed: first.unmatchedLeft.map((i) => certain[i] as LabelEpisode),
    extra: second.unmatchedRight.map((i) => left[i] as Episode),
    may: second.pairs.map(([l, d]) => ({ label: maybe[l] as LabelEpisode, detected: left[d] as Episode })),
  };
  const raw = new Map<string, { labels: number; found: number; missed: number; extra: number; may: number }>();
  const row = (rule: string) => {
    let r = raw.get(rule);
    if (!r) raw.set(rule, (r = { labels: 0, found: 0, missed: 0, extra: 0, may: 0 }));
    return r;
  };
  for (const id of ruleIds) row(id);
  for (const l of labels) row(l.rule);
  for (const d of detected) row(d.rule);
  for (const l of certain) row(l.rule).labels++;
  for (const f of score.found) row(f.label.rule).found++;
  for (const m of score.missed) row(m.rule).missed++;
  for (const e of score.extra) row(e.rule).extra++;
  for (const m of score.may) row(m.label.rule).may++;
  for (const key of [...raw.keys()].sort()) score.rules[key] = counts(raw.get(key) as Counts);
  return score;
}

/** Sums clip scores per rule and in total; `clips` counts the clips in which the rule was scored. */
export function summarise(clips: readonly ClipScore[], toleranceS: number): EvalSummary {
  const rows = new Map<string, RuleRow>();
  for (const clip of clips) {
    for (const [rule, c] of Object.entries(clip.rules)) {
      const r = rows.get(rule) ?? { rule, clips: 0, ...zero() };
      rows.set(rule, { rule, clips: r.clips + 1, ...add(r, c) });
    }
  }
  const rules = [...rows.values()].sort((a, b) => a.rule.localeCompare(b.rule));
  const total = rules.reduce<Counts>((acc, r) => add(acc, r), zero());
  return { toleranceS, matchRule: matchRuleText(toleranceS), rules, total: { clips: clips.length, ...total } };
}

function add(a: Counts, b: Counts): Counts {
  return counts({ labels: a.labels + b.labels, found: a.found + b.found, missed: a.missed + b.missed, extra: a.extra + b.extra, may: a.may + b.may });
}
