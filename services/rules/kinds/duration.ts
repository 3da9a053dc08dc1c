// `duration` rules: each subject's episode of `when` must last at least `min` and at most `max`.
import { ViolationKind, type Verdict } from '../../core/contracts.ts';
import { describeCondition, type FrameFacts } from '../condition.ts';
import type { DurationRule } from '../compiled.ts';
import { Hysteresis, type Episode } from '../smoothing.ts';
import { parts } from '../message-text.ts';
import { formatDuration, review, violation, violationEnd, type RuleContext, type RuleRunner } from './common.ts';

export function durationRunner(ctx: RuleContext<DurationRule>): RuleRunner {
  const { rule } = ctx;
  const smoother = new Hysteresis(rule.smoothing);
  const what = describeCondition(rule.when);
  /** Ongoing too_long violations by subject: id and the episode start they belong to. */
  const tooLong = new Map<string, { id: string; startMs: number }>();

  function raiseTooLong(key: string, startMs: number, endMs: number, ongoing: boolean): Verdict {
    const v = violation(ctx, {
      kind: ViolationKind.TooLong, subject: key, startMs, endMs, ongoing,
      message: ongoing
        ? `${what} for longer than the ${formatDuration(rule.maxMs ?? 0)} the SOP allows`
        : `${what} for ${formatDuration(endMs - startMs)}, the SOP allows at most ${formatDuration(rule.maxMs ?? 0)}`,
      parts: ongoing
        ? parts('too_long_ongoing', { what: rule.when, maxMs: rule.maxMs ?? 0 })
        : parts('too_long', { what: rule.when, durationMs: endMs - startMs, maxMs: rule.maxMs ?? 0 }),
    });
    if (ongoing && v.type === 'violation') tooLong.set(key, { id: v.violation.id, startMs });
    return v;
  }

  function judge(ep: Episode): Verdict[] {
    const out: Verdict[] = [];
    const durationMs = ep.endMs - ep.startMs;
    const raised = tooLong.get(ep.key);
    if (raised !== undefined) {
      tooLong.delete(ep.key);
      out.push(violationEnd(raised.id, ep.endMs));
    } else if (rule.maxMs !== undefined && durationMs > rule.maxMs) {
      out.push(raiseTooLong(ep.key, ep.startMs, ep.endMs, false));
    }
    if (rule.minMs !== undefined && durationMs < rule.minMs) {
      if (ep.truncated === true) {
        // Cut short by the end of the recording: the real length is unknown, so a person decides.
        out.push(review(ctx, {
          subject: ep.key, startMs: ep.startMs, endMs: ep.endMs,
          reason: `the recording ended during ${what} (${formatDuration(durationMs)} so far); the SOP asks at least ${formatDuration(rule.minMs)}`,
          reasonParts: parts('recording_ended_short', { what: rule.when, durationMs, minMs: rule.minMs }),
        }));
      } else {
        out.push(violation(ctx, {
          kind: ViolationKind.TooShort, subject: ep.key, startMs: ep.startMs, endMs: ep.endMs,
          message: `${what} for ${formatDuration(durationMs)}, the SOP asks at least ${formatDuration(rule.minMs)}`,
          parts: parts('too_short', { what: rule.when, durationMs, minMs: rule.minMs }),
        }));
      }
    }
    return out;
  }

  return {
    push(tMs: number, facts: FrameFacts): Verdict[] {
      const step = smoother.update(tMs, facts.subjects(rule.when));
      const out = step.ended.flatMap(judge);
      if (rule.maxMs !== undefined) {
        for (const [key, h] of smoother.active()) {
          if (h.lastTrueMs - h.startMs > rule.maxMs && !tooLong.has(key)) {
            out.push(raiseTooLong(key, h.startMs, h.lastTrueMs, true));
          }
        }
      }
      return out;
    },
    finish(endMs: number): Verdict[] {
      return smoother.finish(endMs).flatMap(judge);
    },
    resolve(): Verdict[] {
      return [];
    },
  };
}
