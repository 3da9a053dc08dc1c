// `required` rules: inside the schedule, `when` may not be absent for longer than `max_gap`.
import { ViolationKind, type Verdict } from '../../core/contracts.ts';
import { describeCondition, SCENE, type FrameFacts } from '../condition.ts';
import type { RequiredRule } from '../compiled.ts';
import { ScheduleWindows, type TimeWindow } from '../schedule.ts';
import { Hysteresis } from '../smoothing.ts';
import { parts } from '../message-text.ts';
import { formatDuration, violation, violationEnd, type RuleContext, type RuleRunner } from './common.ts';

const ALWAYS: TimeWindow = { startMs: Number.NEGATIVE_INFINITY, endMs: Number.POSITIVE_INFINITY };

interface Gap {
  /** Start of the window the gap is in (stream ms): a new window starts a new gap. */
  windowStartMs: number;
  startMs: number;
  /** Id of the violation once raised while still open. */
  ongoingId?: string;
  raised: boolean;
}

/**
 * The smoother decides with a delay, so the condition's timeline is only known up to a frontier:
 * while on, up to its last true frame; while off, up to now; while a raw-true stretch waits for
 * `enterMs`, up to that stretch's first frame. Gaps are judged on that known timeline only.
 */
export function requiredRunner(ctx: RuleContext<RequiredRule>): RuleRunner {
  const { rule } = ctx;
  const smoother = new Hysteresis(rule.smoothing);
  const what = describeCondition(rule.when);
  const origin = ctx.clockOriginMs;
  const schedule = rule.schedule !== undefined && origin !== undefined ? new ScheduleWindows(rule.schedule) : undefined;
  let started = false;
  /** Start of the current known-off stretch (last raw-true frame, or the stream start). */
  let offStartMs = 0;
  let frontierMs = 0;
  let gap: Gap | undefined;

  function windows(fromMs: number, toMs: number): TimeWindow[] {
    if (schedule === undefined || origin === undefined) return [ALWAYS];
    return schedule.between(origin + fromMs, origin + toMs)
      .map((w) => ({ startMs: w.startMs - origin, endMs: w.endMs - origin }));
  }

  function raise(g: Gap, endMs: number, ongoing: boolean): Verdict {
    g.raised = true;
    const v = violation(ctx, {
      kind: ViolationKind.Gap, subject: SCENE, startMs: g.startMs, endMs, ongoing,
      message: ongoing
        ? `${what}: not seen for more than ${formatDuration(rule.maxGapMs)}, the longest gap the SOP allows`
        : `${what}: not seen for ${formatDuration(endMs - g.startMs)}, the SOP allows at most ${formatDuration(rule.maxGapMs)}`,
      parts: ongoing
        ? parts('gap_ongoing', { what: rule.when, maxGapMs: rule.maxGapMs })
        : parts('gap', { what: rule.when, durationMs: endMs - g.startMs, maxGapMs: rule.maxGapMs }),
    });
    if (ongoing && v.type === 'violation') g.ongoingId = v.violation.id;
    return v;
  }

  /** The condition is known to be off over [fromMs, toMs]; `closes`: it is known on from `toMs`. */
  function off(fromMs: number, toMs: number, closes: boolean): Verdict[] {
    const out: Verdict[] = [];
    const list = windows(fromMs, toMs);
    for (const [i, w] of list.entries()) {
      if (gap !== undefined && gap.windowStartMs !== w.startMs) {
        // Defensive: a gap whose window was never seen to end is closed where the known timeline resumed.
        if (gap.ongoingId !== undefined) out.push(violationEnd(gap.ongoingId, fromMs));
        gap = undefined;
      }
      gap ??= { windowStartMs: w.startMs, startMs: Math.max(offStartMs, w.startMs), raised: false };
      const endMs = Math.min(toMs, w.endMs);
      const windowEnds = w.endMs <= toMs;
      const closed = windowEnds || closes;
      const next = list[i + 1];
      // Back-to-back windows (a 24/7 schedule) do not split a gap, unless the condition returns right there.
      const carried = windowEnds && next !== undefined && next.startMs === w.endMs && !(closes && toMs === w.endMs);
      if (!gap.raised && endMs - gap.startMs > rule.maxGapMs) out.push(raise(gap, endMs, !closed || carried));
      if (carried) {
        gap.windowStartMs = next.startMs;
      } else if (closed) {
        if (gap.ongoingId !== undefined) out.push(violationEnd(gap.ongoingId, endMs));
        gap = undefined;
      }
    }
    return out;
  }

  return {
    push(tMs: number, facts: FrameFacts): Verdict[] {
      if (!started) {
        started = true;
        offStartMs = tMs;
        frontierMs = tMs;
      }
      const step = smoother.update(tMs, facts.subjects(rule.when).size > 0 ? new Set([SCENE]) : new Set<string>());
      const ended = step.ended[0];
      if (ended !== undefined) {
        offStartMs = ended.endMs;
        frontierMs = ended.endMs;
      }
      const h = smoother.get(SCENE);
      if (h?.on === true) {
        return step.started.length > 0 ? off(frontierMs, h.startMs, true) : [];
      }
      const to = h?.runStartMs ?? tMs;
      const out = off(frontierMs, to, false);
      frontierMs = to;
      return out;
    },
    finish(endMs: number): Verdict[] {
      if (!started) return [];
      const h = smoother.get(SCENE);
      smoother.finish(endMs);
      if (h?.on === true) {
        offStartMs = h.lastTrueMs;
        return off(h.lastTrueMs, endMs, true);
      }
      // A raw-true stretch still waiting for `enterMs` gets the benefit of the doubt.
      return off(frontierMs, h?.runStartMs ?? endMs, true);
    },
    resolve(): Verdict[] {
      return [];
    },
  };
}
