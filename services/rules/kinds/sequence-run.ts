// One run of a sequence rule: which step holds it has seen, how they count in order, and how it is judged.
import { ViolationKind, type SequenceRun, type StepSeen, type Verdict } from '../../core/contracts.ts';
import { isPersonKey, SCENE } from '../condition.ts';
import type { SequenceRule } from '../compiled.ts';
import type { Hysteresis } from '../smoothing.ts';
import { parts, type StepRef } from '../message-text.ts';
import { formatDuration, review, stepName, stepRef, violation, violationId, type RuleContext } from './common.ts';

/** Remembered holds per step and run: enough for any real procedure, bounded for a stuck stream. */
const MAX_HOLDS = 32;

export interface Run {
  id: string;
  subject: string;
  /** The step trackers' key for this run: the person, or `*` for any other subject. */
  key: string;
  startMs: number;
  deadlineMs: number;
  /** False while the trigger still waits for `enterMs`: the run only collects holds. */
  confirmed: boolean;
  /** Per step: holds that reached `min` inside the run (started at or after its start, done by its deadline). */
  holds: StepSeen[][];
  /** Per step: the hold that counts (in order, for `order: strict`). */
  counted: Array<StepSeen | undefined>;
  lastActiveMs: number;
  idleSinceMs: number | undefined;
  closed: boolean;
  endMs: number;
  violated: boolean;
  reviewed: boolean;
  /** Verify requests whose answers the run's outcome waits for. */
  waiting: Set<string>;
}

export type CloseReason = 'completed' | 'deadline' | 'idle' | 'end';

export function newRun(ctx: RuleContext<SequenceRule>, subject: string, startMs: number, confirmed: boolean): Run {
  const n = ctx.rule.steps.length;
  return {
    id: violationId(ctx, 'run', undefined, subject, startMs),
    subject, key: isPersonKey(subject) ? subject : SCENE, startMs,
    deadlineMs: startMs + ctx.rule.withinMs, confirmed,
    holds: Array.from({ length: n }, () => []), counted: Array.from({ length: n }, () => undefined),
    lastActiveMs: startMs, idleSinceMs: undefined, closed: false, endMs: startMs,
    violated: false, reviewed: false, waiting: new Set(),
  };
}

/** Adds each step's current hold for this run once it has held for the step's `min`. */
export function recordHolds(ctx: RuleContext<SequenceRule>, run: Run, trackers: Hysteresis[]): void {
  ctx.rule.steps.forEach((step, k) => {
    const h = trackers[k]?.get(run.key);
    const list = run.holds[k];
    if (h?.on !== true || h.heldMs === undefined || list === undefined) return;
    if (h.startMs < run.startMs || h.heldMs > run.deadlineMs) return;
    if (list.at(-1)?.startMs === h.startMs) return;
    list.push({ step: step.id, startMs: h.startMs, doneMs: h.heldMs });
    if (list.length > MAX_HOLDS) list.shift();
  });
}

/**
 * Counts what can be counted and returns the newly counted step indexes. Strict order: step k counts
 * with its first hold that started at or after the start of step k-1's counted hold.
 */
export function countSteps(rule: SequenceRule, run: Run): number[] {
  const fresh: number[] = [];
  for (let k = 0; k < rule.steps.length; k++) {
    if (run.counted[k] !== undefined) continue;
    const prev = k === 0 ? undefined : run.counted[k - 1];
    if (rule.order === 'strict' && k > 0 && prev === undefined) break;
    const minStart = rule.order === 'strict' && prev !== undefined ? prev.startMs : run.startMs;
    const hold = run.holds[k]?.find((s) => s.startMs >= minStart);
    if (hold === undefined) {
      if (rule.order === 'strict') break;
      continue;
    }
    run.counted[k] = hold;
    fresh.push(k);
  }
  return fresh;
}

/** Per step: the counted hold, else the first hold seen (out of order), else nothing. */
function seen(run: Run): Array<StepSeen | undefined> {
  return run.counted.map((c, k) => c ?? run.holds[k]?.[0]);
}

/** Closes the run and returns its violations (or, when the stream cut it short, a review item). */
export function judgeRun(ctx: RuleContext<SequenceRule>, run: Run, reason: CloseReason, endMs: number): Verdict[] {
  const { rule } = ctx;
  run.closed = true;
  run.endMs = endMs;
  if (reason === 'completed') return [];
  const steps = rule.steps;
  const s = seen(run);
  const unseen = steps.flatMap((_, k) => (s[k] === undefined ? [k] : []));
  const base = { subject: run.subject, startMs: run.startMs, endMs };
  const name = (k: number): string => {
    const step = steps[k];
    return step === undefined ? `step ${k + 1}` : stepName(step);
  };
  const observed = (): string => s.flatMap((x, k) => (x === undefined ? [] : [{ x, k }]))
    .sort((a, b) => a.x.startMs - b.x.startMs || a.x.doneMs - b.x.doneMs || a.k - b.k)
    .map(({ k }) => name(k)).join(', ');
  const asked = steps.map((_, k) => name(k)).join(', ');
  const ref = (k: number): StepRef => {
    const step = steps[k];
    return step === undefined ? { id: `step ${k + 1}` } : stepRef(step);
  };
  const observedRefs = (): StepRef[] => s.flatMap((x, k) => (x === undefined ? [] : [{ x, k }]))
    .sort((a, b) => a.x.startMs - b.x.startMs || a.x.doneMs - b.x.doneMs || a.k - b.k)
    .map(({ k }) => ref(k));
  const firstUncounted = run.counted.findIndex((c) => c === undefined);
  const outOfOrder = (): Verdict => violation(ctx, {
    ...base, kind: ViolationKind.OutOfOrder, step: steps[firstUncounted]?.id,
    message: `steps out of order: seen ${observed()}; the SOP asks ${asked}`,
    parts: parts('out_of_order', { seen: observedRefs(), asked: steps.map((_, k) => ref(k)) }),
  });

  if (reason === 'end') {
    run.reviewed = true;
    const missing = unseen.map(name).join(', ');
    return [review(ctx, {
      ...base,
      reason: `the recording ended ${formatDuration(endMs - run.startMs)} into the run; ` +
        (missing !== '' ? `not seen yet: ${missing}` : `steps seen out of order so far: ${observed()}`),
      reasonParts: parts('recording_ended_run', { afterMs: endMs - run.startMs, missing: unseen.map(ref), seen: observedRefs() }),
    })];
  }
  run.violated = true;
  if (reason === 'deadline') {
    const skipped = unseen.filter((k) => s.some((x, j) => j > k && x !== undefined));
    if (skipped.length > 0) {
      return skipped.map((k) => {
        const later = s.findIndex((x, j) => j > k && x !== undefined);
        return violation(ctx, {
          ...base, kind: ViolationKind.MissingStep, step: steps[k]?.id,
          message: `${name(k)}: not seen, though ${name(later)} was (within ${formatDuration(rule.withinMs)})`,
          parts: parts('missing_step_skipped', { step: ref(k), later: ref(later), withinMs: rule.withinMs }),
        });
      });
    }
    if (unseen.length === 0) return [outOfOrder()];
    const k = unseen[0] ?? 0;
    return [violation(ctx, {
      ...base, kind: ViolationKind.Timeout, step: steps[k]?.id,
      message: `${name(k)}: not seen within ${formatDuration(rule.withinMs)}`,
      parts: parts('timeout', { step: ref(k), withinMs: rule.withinMs }),
    })];
  }
  if (unseen.length === 0) return [outOfOrder()];
  return unseen.map((k) => violation(ctx, {
    ...base, kind: ViolationKind.MissingStep, step: steps[k]?.id,
    message: `${name(k)}: not seen before the run ended (no activity for ${formatDuration(rule.idleMs)})`,
    parts: parts('missing_step_idle', { step: ref(k), idleMs: rule.idleMs }),
  }));
}

export function runVerdict(ctx: RuleContext<SequenceRule>, run: Run): Verdict {
  const r: SequenceRun = {
    id: run.id, sop: ctx.sop.id, rule: ctx.rule.id, cameraId: ctx.cameraId, subject: run.subject,
    startMs: run.startMs, endMs: run.endMs,
    outcome: run.violated ? 'violation' : run.reviewed ? 'needs_review' : 'completed',
    steps: seen(run).filter((x): x is StepSeen => x !== undefined),
  };
  return { type: 'run', run: r };
}
