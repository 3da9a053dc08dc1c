// Lays out a clip's timeline: one lane per rule, violation and review spans, and the steps of sequence runs. Pure.

export interface LaneRule {
  sop: string;
  rule: string;
  title: string;
  kind: string;
  shadow: boolean;
}

export interface SpanIn {
  sop: string;
  rule: string;
  step?: string | null;
  start: number;
  end: number;
  severity?: string;
  kind?: string;
  /** Violation id (opens the alert) or review item id. */
  id?: string;
  label?: string;
}

export interface RunIn {
  sop: string;
  rule: string;
  start: number;
  end: number;
  outcome: string;
  steps: Array<{ step: string; start: number; done: number }>;
}

export interface Lane {
  key: string;
  rule: LaneRule;
  violations: SpanIn[];
  reviews: SpanIn[];
  runs: RunIn[];
}

export interface Timeline {
  durationS: number;
  lanes: Lane[];
}

/**
 * Rules come from the SOP files in force; a span of a rule that is no longer in them still gets a lane (named by
 * its ids) rather than being dropped. Without a known length, the timeline ends at the last span.
 */
export function layoutTimeline(input: { durationS: number | null; rules: readonly LaneRule[]; violations: readonly SpanIn[]; reviews?: readonly SpanIn[]; runs?: readonly RunIn[] }): Timeline {
  const lanes = new Map<string, Lane>();
  const keyOf = (sop: string, rule: string): string => `${sop}/${rule}`;
  const lane = (sop: string, rule: string): Lane => {
    const key = keyOf(sop, rule);
    let l = lanes.get(key);
    if (!l) {
      l = { key, rule: { sop, rule, title: rule, kind: '', shadow: false }, violations: [], reviews: [], runs: [] };
      lanes.set(key, l);
    }
    return l;
  };
  for (const r of input.rules) lane(r.sop, r.rule).rule = { ...r };
  for (const v of input.violations) lane(v.sop, v.rule).violations.push(v);
  for (const r of input.reviews ?? []) lane(r.sop, r.rule).reviews.push(r);
  for (const r of input.runs ?? []) lane(r.sop, r.rule).runs.push(r);
  const ends = [...(input.violations ?? []), ...(input.reviews ?? []), ...(input.runs ?? [])].map((s) => s.end);
  const durationS = input.durationS !== null && input.durationS > 0 ? input.durationS : Math.max(1, ...ends);
  return { durationS, lanes: [...lanes.values()] };
}

/** Left and width of a span as percentages of the timeline, at least a sliver so that instants stay visible. */
export function place(start: number, end: number, durationS: number): { left: number; width: number } {
  const left = Math.min(100, Math.max(0, (start / durationS) * 100));
  const right = Math.min(100, Math.max(left, (end / durationS) * 100));
  return { left, width: Math.max(0.6, right - left) };
}
