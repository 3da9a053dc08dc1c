// Test builders for the rule engine: observation streams at a fixed frame rate and CompiledSop objects.
import type {
  FrameObservations, Observation, ReviewItem, SequenceRun, Verdict, VerifyAnswer, VerifyRequest, Violation,
} from '../../services/core/contracts.ts';
import type {
  CompiledSop, Condition, DurationRule, ForbiddenRule, RequiredRule, Rule, SequenceRule, SequenceStep, Smoothing,
} from '../../services/rules/compiled.ts';
import { createRuleEngine, type EngineOptions, type RuleEngine } from '../../services/rules/engine.ts';

export const CAMERA = 'bar-1';
export const NO_SMOOTHING: Smoothing = { enterMs: 0, exitMs: 0 };

function seenAt(kind: Observation['kind'], label: string, subject: string, zone: string, score: number): Observation[] {
  // The observer reports a thing once per zone that holds it, plus once for "anywhere".
  const where = zone === '*' ? ['*'] : [zone, '*'];
  return where.map((z) => ({ kind, label, zone: z, subject, score }));
}

export const person = (subject: string, zone: string): Observation[] => seenAt('person', 'person', subject, zone, 0.9);
export const hand = (subject: string, zone: string): Observation[] => seenAt('hand', 'hand', subject, zone, 0.8);
export const thing = (label: string, zone: string, subject = `o:${label}`, score = 0.7): Observation[] =>
  seenAt('object', label, subject, zone, score);

export const personIn = (zone: string): Condition => ({ type: 'person_in', zone });
export const handsIn = (zone: string): Condition => ({ type: 'hands_in', zone });
export const objectIn = (label: string, zone = '*', minScore?: number): Condition =>
  minScore === undefined ? { type: 'object', label, zone } : { type: 'object', label, zone, minScore };

export interface Segment {
  /** Inclusive bounds, ms. */
  from: number;
  to: number;
  obs: Observation[][] | Observation[];
}

export interface StreamOptions {
  /** Frame interval; default 200 ms (5 fps). */
  stepMs?: number;
  from?: number;
  /** Last frame time; default the last segment's end. */
  to?: number;
}

/** Frames every `stepMs` from `from` to `to`; each carries the observations of the segments covering it. */
export function stream(segments: Segment[], opts: StreamOptions = {}): FrameObservations[] {
  const step = opts.stepMs ?? 200;
  const from = opts.from ?? 0;
  const to = opts.to ?? Math.max(from, ...segments.map((s) => s.to));
  const frames: FrameObservations[] = [];
  for (let t = from, i = 0; t <= to; t += step, i++) {
    const observations = segments.filter((s) => s.from <= t && t <= s.to).flatMap((s) => s.obs.flat());
    frames.push({ cameraId: CAMERA, frameIndex: i, tMs: t, observations });
  }
  return frames;
}

interface Base { id?: string; title?: string; severity?: Rule['severity']; enabled?: boolean; shadow?: boolean; smoothing?: Smoothing }

function base(b: Base, kind: string): Omit<DurationRule, 'kind' | 'when'> {
  return {
    id: b.id ?? `${kind}-rule`, title: b.title ?? `A ${kind} rule`, severity: b.severity ?? 'medium',
    enabled: b.enabled ?? true, shadow: b.shadow ?? false, smoothing: b.smoothing ?? NO_SMOOTHING,
  };
}

export function durationRule(p: Base & { when: Condition; minMs?: number; maxMs?: number }): DurationRule {
  const r: DurationRule = { ...base(p, 'duration'), kind: 'duration', when: p.when };
  if (p.minMs !== undefined) r.minMs = p.minMs;
  if (p.maxMs !== undefined) r.maxMs = p.maxMs;
  return r;
}

export function forbiddenRule(p: Base & { when: Condition; forMs?: number; verify?: ForbiddenRule['verify'] }): ForbiddenRule {
  const r: ForbiddenRule = { ...base(p, 'forbidden'), kind: 'forbidden', when: p.when, forMs: p.forMs ?? 0 };
  if (p.verify !== undefined) r.verify = p.verify;
  return r;
}

export function requiredRule(p: Base & { when: Condition; maxGapMs: number; schedule?: RequiredRule['schedule'] }): RequiredRule {
  const r: RequiredRule = { ...base(p, 'required'), kind: 'required', when: p.when, maxGapMs: p.maxGapMs };
  if (p.schedule !== undefined) r.schedule = p.schedule;
  return r;
}

export type StepSpec = Omit<Partial<SequenceStep>, 'id' | 'detect'> & { id: string; detect: Condition };

export function sequenceRule(p: Base & {
  trigger: Condition; steps: StepSpec[]; withinMs?: number; order?: SequenceRule['order']; idleMs?: number;
}): SequenceRule {
  return {
    ...base(p, 'sequence'), kind: 'sequence', trigger: p.trigger,
    steps: p.steps.map((s) => ({ title: s.title ?? s.id, minMs: s.minMs ?? 0, ...s })),
    withinMs: p.withinMs ?? 90_000, order: p.order ?? 'strict', idleMs: p.idleMs ?? 10_000,
  };
}

export function sop(rules: Rule[], over: Partial<CompiledSop> = {}): CompiledSop {
  return {
    id: 'test-sop', title: 'Test SOP', version: 1, cameras: [CAMERA],
    zones: { [CAMERA]: { sink: [[0, 0], [0.5, 0], [0.5, 0.5]] } }, rules, source: 'sop-rules/test-sop.yaml',
    ...over,
  };
}

export interface Outcome {
  verdicts: Verdict[];
  violations: Violation[];
  ends: Array<{ id: string; endMs: number }>;
  reviews: ReviewItem[];
  requests: VerifyRequest[];
  runs: SequenceRun[];
  engine: RuleEngine;
}

export function split(verdicts: Verdict[]): Omit<Outcome, 'engine' | 'verdicts'> {
  const o: Omit<Outcome, 'engine' | 'verdicts'> = { violations: [], ends: [], reviews: [], requests: [], runs: [] };
  for (const v of verdicts) {
    switch (v.type) {
      case 'violation': o.violations.push(v.violation); break;
      case 'violation_end': o.ends.push({ id: v.id, endMs: v.endMs }); break;
      case 'needs_review': o.reviews.push(v.item); break;
      case 'pending_verify': o.requests.push(v.request); break;
      case 'run': o.runs.push(v.run); break;
    }
  }
  return o;
}

/** Runs a whole stream; `endMs` defaults to the last frame's time. */
export function run(
  rules: Rule[] | CompiledSop[], frames: FrameObservations[],
  opts: Partial<EngineOptions> & { endMs?: number } = {},
): Outcome {
  const sops = rules.length > 0 && 'rules' in (rules[0] as object) ? (rules as CompiledSop[]) : [sop(rules as Rule[])];
  const engine = createRuleEngine(sops, { cameraId: CAMERA, ...opts });
  const verdicts = frames.flatMap((f) => engine.push(f));
  verdicts.push(...engine.finish(opts.endMs ?? frames.at(-1)?.tMs ?? 0));
  return { verdicts, ...split(verdicts), engine };
}

/** Pushes frames one by one and records the frame time at which each verdict appeared. */
export function timeline(engine: RuleEngine, frames: FrameObservations[]): Array<{ atMs: number; verdict: Verdict }> {
  return frames.flatMap((f) => engine.push(f).map((verdict) => ({ atMs: f.tMs, verdict })));
}

export function answer(a: VerifyAnswer['answer'], over: Partial<VerifyAnswer> = {}): VerifyAnswer {
  return { answer: a, confidence: 0.8, reason: `the model says ${a}`, decidedBy: 'vlm:test/model-1', evidence: ['kf-1'], ...over };
}
