// `forbidden` rules: `when` must not hold for `for`; with `verify`, the model confirms before anything is raised.
import { ViolationKind, type Verdict, type VerifyAnswer, type VerifyRequest } from '../../core/contracts.ts';
import { describeCondition, type FrameFacts } from '../condition.ts';
import type { ForbiddenRule } from '../compiled.ts';
import { Hysteresis, type Episode } from '../smoothing.ts';
import {
  formatDuration, normaliseAnswer, requestId, review, violation, violationEnd, type RuleContext, type RuleRunner,
} from './common.ts';

interface EpisodeRecord {
  startMs: number;
  /** Set once a violation for this episode is ongoing. */
  violationId?: string;
}

interface Pending {
  subject: string;
  startMs: number;
  /** The episode's end, once it ended. */
  endMs?: number;
  request: VerifyRequest;
}

export function forbiddenRunner(ctx: RuleContext<ForbiddenRule>): RuleRunner {
  const { rule } = ctx;
  const smoother = new Hysteresis(rule.smoothing, rule.forMs);
  const what = describeCondition(rule.when);
  const episodes = new Map<string, EpisodeRecord>();
  const pending = new Map<string, Pending>();

  function close(ep: Episode): Verdict[] {
    const rec = episodes.get(ep.key);
    episodes.delete(ep.key);
    for (const p of pending.values()) if (p.subject === ep.key && p.startMs === ep.startMs) p.endMs = ep.endMs;
    return rec?.violationId === undefined ? [] : [violationEnd(rec.violationId, ep.endMs)];
  }

  function held(key: string, startMs: number, lastTrueMs: number): Verdict {
    const rec: EpisodeRecord = { startMs };
    episodes.set(key, rec);
    const heldFor = lastTrueMs - startMs;
    if (rule.verify === undefined) {
      const v = violation(ctx, {
        kind: ViolationKind.Forbidden, subject: key, startMs, endMs: lastTrueMs, ongoing: true,
        message: rule.forMs > 0 ? `${what} for ${formatDuration(heldFor)}: not allowed` : `${what}: not allowed`,
      });
      if (v.type === 'violation') rec.violationId = v.violation.id;
      return v;
    }
    const request: VerifyRequest = {
      id: requestId(ctx, undefined, key, startMs),
      sop: ctx.sop.id, rule: rule.id, cameraId: ctx.cameraId, subject: key,
      question: rule.verify.question, expect: rule.verify.expect, frames: rule.verify.frames,
      startMs, endMs: lastTrueMs,
      facts: [`the detector saw ${what} for ${formatDuration(heldFor)}`, `the rule: ${rule.title}`],
      severity: rule.severity, failKind: ViolationKind.Forbidden,
      violationStartMs: startMs, violationEndMs: lastTrueMs,
    };
    if (rule.shadow) request.shadow = true;
    pending.set(request.id, { subject: key, startMs, request });
    return { type: 'pending_verify', request };
  }

  return {
    push(tMs: number, facts: FrameFacts): Verdict[] {
      const step = smoother.update(tMs, facts.subjects(rule.when));
      const out = step.ended.flatMap(close);
      for (const key of step.held) {
        const h = smoother.get(key);
        if (h !== undefined) out.push(held(key, h.startMs, h.lastTrueMs));
      }
      return out;
    },
    finish(endMs: number): Verdict[] {
      return smoother.finish(endMs).flatMap(close);
    },
    resolve(id: string, answer: VerifyAnswer): Verdict[] {
      const p = pending.get(id);
      if (p === undefined) return [];
      pending.delete(id);
      const a = normaliseAnswer(answer);
      const live = episodes.get(p.subject);
      const ongoing = p.endMs === undefined && live?.startMs === p.startMs;
      const endMs = p.endMs ?? smoother.get(p.subject)?.lastTrueMs ?? p.request.endMs;
      if (a.answer === 'unsure') {
        return [review(ctx, {
          subject: p.subject, startMs: p.startMs, endMs,
          reason: a.decidedBy === 'none' ? `no model could answer: ${a.reason}` : `the model was unsure: ${a.reason}`,
          question: p.request.question, answer: a,
        })];
      }
      if (a.answer === p.request.expect) return [];
      const v = violation(ctx, {
        kind: ViolationKind.Forbidden, subject: p.subject, startMs: p.startMs, endMs, ongoing, answer: a,
        message: `${what} for ${formatDuration(endMs - p.startMs)}: the model answered ${a.answer} (${a.reason})`,
      });
      if (ongoing && live !== undefined && v.type === 'violation') live.violationId = v.violation.id;
      return [v];
    },
  };
}
