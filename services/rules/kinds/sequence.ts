// `sequence` rules: each rising edge of the trigger starts a run for its subject; the steps must follow in time.
import { ViolationKind, type Verdict, type VerifyAnswer, type VerifyRequest } from '../../core/contracts.ts';
import { describeCondition, isPersonKey, SCENE, type FrameFacts } from '../condition.ts';
import type { SequenceRule, SequenceStep } from '../compiled.ts';
import { Hysteresis } from '../smoothing.ts';
import { parts } from '../message-text.ts';
import {
  formatDuration, judge, normaliseAnswer, requestId, review, stepName, stepRef, unsureParts, unsureReason, verifyRequest, violation,
  type NormalAnswer, type RuleContext, type RuleRunner,
} from './common.ts';
import { countSteps, judgeRun, newRun, recordHolds, runVerdict, type CloseReason, type Run } from './sequence-run.ts';

interface Ask {
  request: VerifyRequest;
  step: SequenceStep;
  waiters: Run[];
  answer?: NormalAnswer;
}

/** Answered questions kept so that a later run counting the same hold reuses the answer. */
const MAX_ANSWERED = 256;

export function sequenceRunner(ctx: RuleContext<SequenceRule>): RuleRunner {
  const { rule } = ctx;
  const trigger = new Hysteresis(rule.smoothing);
  // Step truth for a person is "their key is in the set, or any non-person key is"; for every other
  // subject it is the latter alone: the `*` key. A person with no state of their own behaves as `*`.
  const trackers = rule.steps.map((s) => new Hysteresis(rule.smoothing, s.minMs, SCENE));
  /** Open runs (tentative or confirmed), one per subject. */
  const runs = new Map<string, Run>();
  const asks = new Map<string, Ask>();

  function ask(run: Run, k: number): Verdict[] {
    const step = rule.steps[k];
    const hold = run.counted[k];
    if (step?.verify === undefined || hold === undefined) return [];
    const id = requestId(ctx, step.id, run.subject, hold.startMs);
    const known = asks.get(id);
    if (known !== undefined) {
      if (known.answer === undefined) {
        known.waiters.push(run);
        run.waiting.add(id);
      } else {
        apply(run, known);
      }
      return [];
    }
    const request = verifyRequest(ctx, step.verify, {
      step: step.id, subject: run.subject, startMs: hold.startMs, endMs: hold.doneMs, failKind: ViolationKind.VerifyFailed,
      facts: [
        `the detector saw ${describeCondition(step.detect)} for ${formatDuration(hold.doneMs - hold.startMs)}`,
        `this is step ${k + 1} of ${rule.steps.length} (${rule.steps.map(stepName).join(', ')}) of "${rule.title}"`,
      ],
    });
    asks.set(id, { request, step, waiters: [run] });
    run.waiting.add(id);
    return [{ type: 'pending_verify', request }];
  }

  function apply(run: Run, a: Ask): void {
    if (a.answer === undefined) return;
    const j = judge(a.request, a.answer);
    if (j === 'review') run.reviewed = true;
    else if (j === 'fail') run.violated = true;
  }

  function close(run: Run, reason: CloseReason, endMs: number): Verdict[] {
    runs.delete(run.subject);
    const out = judgeRun(ctx, run, reason, endMs);
    if (run.waiting.size === 0) out.push(runVerdict(ctx, run));
    return out;
  }

  function onTrigger(started: string[]): void {
    for (const key of started) {
      const run = runs.get(key);
      const h = trigger.get(key);
      if (run === undefined && h !== undefined) runs.set(key, newRun(ctx, key, h.startMs, true));
      else if (run !== undefined && !run.confirmed) run.confirmed = true;
    }
    for (const key of trigger.keys()) {
      const h = trigger.get(key);
      if (h !== undefined && !h.on && h.runStartMs !== undefined && !runs.has(key)) {
        // Tentative from the trigger's first raw frame, so steps as short as the trigger's own
        // enter delay are not missed; dropped if the trigger never confirms.
        runs.set(key, newRun(ctx, key, h.runStartMs, false));
      }
    }
    for (const run of [...runs.values()]) {
      const h = trigger.get(run.subject);
      if (!run.confirmed && (h === undefined || h.on || h.runStartMs !== run.startMs)) runs.delete(run.subject);
    }
  }

  return {
    push(tMs: number, facts: FrameFacts): Verdict[] {
      const triggerSet = facts.subjects(rule.trigger);
      onTrigger(trigger.update(tMs, triggerSet).started);
      const stepSets = rule.steps.map((s) => facts.subjects(s.detect));
      const anyNonPerson = stepSets.map((set) => [...set].some((k) => !isPersonKey(k)));
      trackers.forEach((tracker, k) => {
        const set = stepSets[k] ?? new Set<string>();
        const keys = new Set([...set].filter(isPersonKey));
        if (anyNonPerson[k] === true) for (const key of [SCENE, ...tracker.keys()]) keys.add(key);
        tracker.update(tMs, keys);
      });
      const out: Verdict[] = [];
      for (const run of [...runs.values()]) {
        recordHolds(ctx, run, trackers);
        if (!run.confirmed) continue;
        const active = triggerSet.has(run.subject) ||
          stepSets.some((set, k) => set.has(run.key) || anyNonPerson[k] === true);
        if (active) {
          run.lastActiveMs = tMs;
          run.idleSinceMs = undefined;
        } else {
          run.idleSinceMs ??= tMs;
        }
        for (const k of countSteps(rule, run)) out.push(...ask(run, k));
        if (run.counted.every((c) => c !== undefined)) {
          out.push(...close(run, 'completed', Math.max(run.startMs, ...run.counted.map((c) => c?.doneMs ?? 0))));
        } else if (tMs >= run.deadlineMs) {
          out.push(...close(run, 'deadline', run.deadlineMs));
        } else if (run.idleSinceMs !== undefined && tMs - run.idleSinceMs >= rule.idleMs) {
          out.push(...close(run, 'idle', run.lastActiveMs));
        }
      }
      return out;
    },
    finish(endMs: number): Verdict[] {
      trigger.finish(endMs);
      for (const t of trackers) t.finish(endMs);
      const out: Verdict[] = [];
      for (const run of [...runs.values()]) {
        if (!run.confirmed) {
          runs.delete(run.subject);
        } else if (endMs >= run.deadlineMs) {
          out.push(...close(run, 'deadline', run.deadlineMs));
        } else if (run.idleSinceMs !== undefined && endMs - run.idleSinceMs >= rule.idleMs) {
          out.push(...close(run, 'idle', run.lastActiveMs));
        } else {
          out.push(...close(run, 'end', endMs));
        }
      }
      return out;
    },
    resolve(id: string, answer: VerifyAnswer): Verdict[] {
      const a = asks.get(id);
      if (a === undefined || a.answer !== undefined) return [];
      a.answer = normaliseAnswer(answer);
      const { request } = a;
      const out: Verdict[] = [];
      const where = { step: a.step.id, subject: request.subject, startMs: request.startMs, endMs: request.endMs };
      const j = judge(request, a.answer);
      if (j === 'review') {
        out.push(review(ctx, { ...where, question: request.question, answer: a.answer, reason: unsureReason(a.answer, stepName(a.step)), reasonParts: unsureParts(a.answer, stepRef(a.step)) }));
      } else if (j === 'fail') {
        out.push(violation(ctx, {
          ...where, kind: ViolationKind.VerifyFailed, answer: a.answer,
          message: `${stepName(a.step)}: the model answered ${a.answer.answer} (${a.answer.reason})`,
          parts: parts('step_answered', { step: stepRef(a.step), answer: a.answer.answer, reason: a.answer.reason }),
        }));
      }
      for (const run of a.waiters) {
        apply(run, a);
        run.waiting.delete(id);
        if (run.closed && run.waiting.size === 0) out.push(runVerdict(ctx, run));
      }
      a.waiters = [];
      pruneAnswered();
      return out;
    },
  };

  function pruneAnswered(): void {
    let answered = 0;
    for (const a of asks.values()) if (a.answer !== undefined) answered++;
    for (const [id, a] of asks) {
      if (answered <= MAX_ANSWERED) break;
      if (a.answer !== undefined) {
        asks.delete(id);
        answered--;
      }
    }
  }
}
