// A person's decision on a case the engine could not decide alone: a confirmed violation, or no violation.
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { callerOf } from '../access.ts';
import { conflict, notFound } from '../http-errors.ts';
import { ViolationKind, type Violation as EngineViolation } from '../../core/contracts.ts';
import type { ReviewItemRecord } from '../../core/storage/review-items.repository.ts';
import { errorResponses } from '../schemas/common.ts';
import { ReviewItemDecided, ReviewItemDecision, ReviewItemParams } from '../schemas/violation.ts';
import { reviewItemView, violationView } from '../views.ts';

/**
 * The item does not keep the rule's kind: a model question that a person now answers "violation" is a failed
 * check (a step, or a forbidden action when there is no step); without a question the run or episode fell short.
 */
function kindOf(item: ReviewItemRecord): ViolationKind {
  if (item.question !== null) return item.step === null ? ViolationKind.Forbidden : ViolationKind.VerifyFailed;
  return item.step === null ? ViolationKind.TooShort : ViolationKind.MissingStep;
}

/** The violation a person confirms: keyed by the item, so deciding it twice lands on the same row. */
function violationOf(item: ReviewItemRecord, engineId: string, evidence: string[]): EngineViolation {
  const v: EngineViolation = {
    id: `human/${engineId}`, sop: item.sopId, rule: item.rule, kind: kindOf(item), cameraId: item.cameraId,
    startMs: (item.startS ?? 0) * 1000, endMs: (item.endS ?? item.startS ?? 0) * 1000, severity: item.severity,
    message: `confirmed by a person: ${item.reason}`, decidedBy: 'human', confidence: 1, evidence, subject: '*',
  };
  if (item.step !== null) v.step = item.step;
  // A case of a rule in shadow mode stays in shadow once a person calls it: it still alerts nobody and counts nowhere.
  if (item.shadow) v.shadow = true;
  return v;
}

export async function reviewItemRoutes(app: FastifyInstance): Promise<void> {
  const { repos, deps } = app.sopwatch;

  app.post<{ Params: ReviewItemParams; Body: ReviewItemDecision }>('/api/review-items/:reviewItemId/decision', {
    schema: {
      tags: ['reviews'], summary: 'Decide a case: violation (creates a confirmed violation) or no_violation (closes it); deciding again changes nothing',
      params: ReviewItemParams, body: ReviewItemDecision, response: { 200: ReviewItemDecided, ...errorResponses },
    },
  }, async (req) => {
    const item = await repos.reviewItems.get(req.params.reviewItemId, callerOf(req).storeIds);
    if (!item) throw notFound('review item');
    const caller = callerOf(req);
    const { decision, comment } = req.body;
    if (item.status === 'resolved') {
      // The same decision again is answered with what it did the first time; the other one is a conflict.
      if ((decision === 'violation') !== (item.violationId !== null)) throw conflict('this case was already decided the other way');
      const v = item.violationId === null ? undefined : await repos.violations.get(item.violationId);
      return { item: reviewItemView(item), violation: v === undefined ? null : violationView(v) };
    }

    let violationId: string | null = null;
    if (decision === 'violation') {
      // Clip items are stored as clip/<clipId>/<engine id>; a deleted clip leaves no time base for the violation.
      const prefix = `clip/${item.clipId ?? ''}/`;
      if (item.clipId === null || !item.id.startsWith(prefix)) throw conflict('the clip of this case was deleted; it can only be closed');
      const engineId = item.id.slice(prefix.length);
      const answered = item.answer as { evidence?: unknown } | null;
      const names = Array.isArray(answered?.evidence) ? answered.evidence.filter((e): e is string => typeof e === 'string') : [];
      const found: Array<{ name: string; path: string; bytes: number }> = [];
      for (const name of names) {
        const path = `evidence/${item.clipId}/${name}`;
        const bytes = await stat(join(deps.dataDir, path)).then((s) => s.size, () => -1);
        if (bytes >= 0) found.push({ name, path, bytes });
      }
      const { violation } = await repos.violations.upsert({
        storeId: item.storeId, clipId: item.clipId, violation: violationOf(item, engineId, found.map((e) => e.name)),
      });
      for (const e of found) await repos.evidence.record({ violationId: violation.id, path: e.path, kind: 'keyframe', bytes: e.bytes });
      violationId = violation.id;
    }
    const resolved = await repos.reviewItems.resolve(item.id, violationId);
    if (resolved === undefined) {
      // A concurrent decision closed it first: answer with its outcome.
      const now = await repos.reviewItems.get(item.id, [item.storeId]);
      if (!now) throw notFound('review item');
      const v = now.violationId === null ? undefined : await repos.violations.get(now.violationId);
      return { item: reviewItemView(now), violation: v === undefined ? null : violationView(v) };
    }
    const confirmed = violationId === null ? null : await repos.violations.review({
      violationId, userId: caller.userId, decision: 'confirmed', ...(comment === undefined ? {} : { comment }),
    });
    await repos.audit.append({ actor: caller.userId, storeId: item.storeId, action: 'review_item.decide', target: item.id, detail: { decision, violationId, comment: comment ?? null } });
    return { item: reviewItemView(resolved), violation: confirmed === null ? null : violationView(confirmed) };
  });
}
