// `forbidden` rules: `when` must not hold for `for`; with `verify`, the model confirms before anything is raised.
// Judged per episode of the condition ("someone is on the lawn"): concurrent subjects make one episode, from the
// first one in to the last one out. `verify: { per: subject }` judges each subject apart instead.
import { ViolationKind, type Verdict, type VerifyAnswer, type VerifyRequest } from '../../core/contracts.ts';
import { describeCondition, SCENE, type FrameFacts } from '../condition.ts';
import type { ForbiddenRule } from '../compiled.ts';
import { Hysteresis, type Episode } from '../smoothing.ts';
import { parts } from '../message-text.ts';
import {
  formatDuration, judge, normaliseAnswer, review, unsureParts, unsureReason, verifyRequest, violation, violationEnd, type Group,
  type RuleContext, type RuleRunner,
} from './common.ts';

/** Who took part in the current stretch of one smoother key. */
interface Members {
  /** The stretch they belong to: the episode start once on, else the raw-true stretch's first frame. */
  sinceMs: number;
  subjects: string[];
  count: number;
  /** First and last frame each subject was seen in the stretch. */
  seen: Map<string, { firstMs: number; lastMs: number }>;
}

interface EpisodeRecord {
  startMs: number;
  /** Set once a violation for this episode is ongoing. */
  violationId?: string;
}

interface Pending {
  key: string;
  startMs: number;
  /** The episode's end and final group, once it ended. */
  endMs?: number;
  group?: Group;
  request: VerifyRequest;
}

export function forbiddenRunner(ctx: RuleContext<ForbiddenRule>): RuleRunner {
  const { rule } = ctx;
  const perEpisode = rule.verify?.per !== 'subject';
  const smoother = new Hysteresis(rule.smoothing, rule.forMs);
  const what = describeCondition(rule.when);
  const episodes = new Map<string, EpisodeRecord>();
  const members = new Map<string, Members>();
  const pending = new Map<string, Pending>();

  const groupOf = (key: string): Group | undefined => {
    const m = members.get(key);
    if (m === undefined) return undefined;
    const spans = m.subjects.flatMap((subject) => {
      const at = m.seen.get(subject);
      return at === undefined ? [] : [{ subject, ...at }];
    });
    return { subjects: [...m.subjects], count: m.count, spans };
  };

  /** Records who is in each key's stretch this frame (subjects are tracks; `*` is not a subject). */
  function track(tMs: number, set: ReadonlySet<string>, keys: ReadonlySet<string>): void {
    const present = [...set].filter((k) => k !== SCENE).sort();
    for (const key of keys) {
      const h = smoother.get(key);
      if (h === undefined) continue;
      const sinceMs = h.on ? h.startMs : (h.runStartMs ?? tMs);
      let m = members.get(key);
      if (m?.sinceMs !== sinceMs) {
        m = { sinceMs, subjects: [], count: 0, seen: new Map() };
        members.set(key, m);
      }
      const here = perEpisode ? present : present.filter((k) => k === key);
      for (const s of here) {
        if (!m.subjects.includes(s)) m.subjects.push(s);
        const at = m.seen.get(s);
        if (at === undefined) m.seen.set(s, { firstMs: tMs, lastMs: tMs });
        else at.lastMs = tMs;
      }
      m.count = Math.max(m.count, here.length);
    }
    for (const key of [...members.keys()]) if (smoother.get(key) === undefined) members.delete(key);
  }

  function close(ep: Episode): Verdict[] {
    const rec = episodes.get(ep.key);
    const group = groupOf(ep.key);
    episodes.delete(ep.key);
    members.delete(ep.key);
    for (const p of pending.values()) {
      // Only this episode's question: an answer arriving after a later episode must keep its own end.
      if (p.key !== ep.key || p.startMs !== ep.startMs) continue;
      p.endMs = ep.endMs;
      if (group !== undefined) p.group = group;
    }
    return rec?.violationId === undefined ? [] : [violationEnd(rec.violationId, ep.endMs, group)];
  }

  function atOnce(group: Group | undefined): string {
    return group !== undefined && group.count > 1 ? `, ${group.count} at once` : '';
  }

  function held(key: string, startMs: number, lastTrueMs: number): Verdict {
    const rec: EpisodeRecord = { startMs };
    episodes.set(key, rec);
    const heldFor = lastTrueMs - startMs;
    const group = groupOf(key);
    if (rule.verify === undefined) {
      const v = violation(ctx, {
        kind: ViolationKind.Forbidden, subject: key, startMs, endMs: lastTrueMs, ongoing: true, ...(group ? { group } : {}),
        message: rule.forMs > 0 ? `${what} for ${formatDuration(heldFor)}${atOnce(group)}: not allowed` : `${what}${atOnce(group)}: not allowed`,
        parts: parts('forbidden', { what: rule.when, ...(rule.forMs > 0 ? { durationMs: heldFor } : {}), ...(group !== undefined && group.count > 1 ? { count: group.count } : {}) }),
      });
      if (v.type === 'violation') rec.violationId = v.violation.id;
      return v;
    }
    const facts = [`the detector saw ${what} for ${formatDuration(heldFor)}`, `the rule: ${rule.title}`];
    if (group !== undefined && group.count > 1) facts.push(`the detector saw ${group.count} subjects at once: the question is about all of them`);
    const request = verifyRequest(ctx, rule.verify, {
      subject: key, startMs, endMs: lastTrueMs, facts, failKind: ViolationKind.Forbidden, ...(group ? { subjects: group.subjects } : {}),
    });
    pending.set(request.id, { key, startMs, request });
    return { type: 'pending_verify', request };
  }

  return {
    push(tMs: number, facts: FrameFacts): Verdict[] {
      const set = facts.subjects(rule.when);
      const keys = perEpisode ? new Set(set.size > 0 ? [SCENE] : []) : set;
      const step = smoother.update(tMs, keys);
      const out = step.ended.flatMap(close);
      track(tMs, set, keys);
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
      const live = episodes.get(p.key);
      const ongoing = p.endMs === undefined && live?.startMs === p.startMs;
      const endMs = p.endMs ?? smoother.get(p.key)?.lastTrueMs ?? p.request.endMs;
      const group = p.group ?? (ongoing ? groupOf(p.key) : undefined);
      const where = { subject: p.key, startMs: p.startMs, endMs, ...(group ? { group } : {}) };
      switch (judge(p.request, a)) {
        case 'pass':
          return [];
        case 'review':
          return [review(ctx, { ...where, reason: unsureReason(a), reasonParts: unsureParts(a), question: p.request.question, answer: a })];
        case 'fail': {
          const v = violation(ctx, {
            ...where, kind: ViolationKind.Forbidden, ongoing, answer: a,
            message: `${what} for ${formatDuration(endMs - p.startMs)}${atOnce(group)}: the model answered ${a.answer} (${a.reason})`,
            parts: parts('forbidden_answered', {
              what: rule.when, durationMs: endMs - p.startMs, answer: a.answer, reason: a.reason,
              ...(group !== undefined && group.count > 1 ? { count: group.count } : {}),
            }),
          });
          if (ongoing && live !== undefined && v.type === 'violation') live.violationId = v.violation.id;
          return [v];
        }
      }
    },
  };
}
