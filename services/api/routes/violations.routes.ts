// Violations: filtered lists and counts within the caller's stores, one violation, its evidence images, its reviews.
import { join } from 'node:path';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { callerOf, storeScope } from '../access.ts';
import { badRequest, conflict, notFound } from '../http-errors.ts';
import type { ViolationQuery as Query } from '../../core/storage/violation-queries.repository.ts';
import type { ViolationStatus } from '../../core/storage/index.ts';
import { errorResponses } from '../schemas/common.ts';
import { BulkReview, NewReview, Review } from '../schemas/review.ts';
import {
  BulkIds, BulkResult, EvidenceParams, ReviewItem, ReviewItemQuery, Violation, ViolationCounts, ViolationParams, ViolationQuery, type ShadowFilter,
} from '../schemas/violation.ts';
import { reviewItemView, reviewView, violationView } from '../views.ts';
import { sendEvidenceFile } from './evidence-file.ts';

/** `exclude` (the default) and `only` pick one side; `include` both. */
export function shadowOf(f: ShadowFilter | undefined): { shadow?: boolean } {
  return f === 'include' ? {} : { shadow: f === 'only' };
}

function toQuery(req: FastifyRequest, q: ViolationQuery): Query {
  return {
    ...shadowOf(q.shadow),
    storeIds: storeScope(req, q.storeId),
    ...(q.cameraId === undefined ? {} : { cameraId: q.cameraId }),
    ...(q.clipId === undefined ? {} : { clipId: q.clipId }),
    ...(q.sop === undefined ? {} : { sopId: q.sop }),
    ...(q.rule === undefined ? {} : { rule: q.rule }),
    ...(q.severity === undefined ? {} : { severity: q.severity }),
    ...(q.status === undefined ? {} : { status: [q.status as ViolationStatus] }),
    ...(q.from === undefined ? {} : { from: new Date(q.from) }),
    ...(q.to === undefined ? {} : { to: new Date(q.to) }),
    ...(q.q === undefined ? {} : { text: q.q }),
    ...(q.limit === undefined ? {} : { limit: q.limit }),
    ...(q.offset === undefined ? {} : { offset: q.offset }),
  };
}

/** How long a person may take a decision back (the dashboard offers it for a few seconds; this allows for a slow network). */
export const UNDO_WINDOW_MS = 120_000;

function checkReason(decision: 'confirmed' | 'dismissed', reasonCode: string | undefined): void {
  if (decision === 'dismissed' && reasonCode === undefined) throw badRequest('dismissing needs a reasonCode: false_alarm, not_applicable, camera_problem or other');
  if (decision === 'confirmed' && reasonCode !== undefined) throw badRequest('a reasonCode explains a dismissal; leave it out to confirm');
}

export async function violationRoutes(app: FastifyInstance): Promise<void> {
  const { repos, deps } = app.sopwatch;

  const visible = async (req: FastifyRequest, id: string) => {
    const v = await repos.violations.get(id, callerOf(req).storeIds);
    if (!v) throw notFound('violation');
    return v;
  };

  /**
   * Ids from a body, which the central guard never sees: each one is loaded within the caller's stores, or nothing is
   * done (404 names no id). Read-only callers were refused before the body was read.
   */
  const visibleAll = async (req: FastifyRequest, ids: readonly string[]) => {
    const found = [];
    for (const id of ids) found.push(await visible(req, id));
    return found;
  };

  const decideOne = async (caller: { userId: string }, v: { id: string; storeId: string }, body: NewReview) => {
    const { decision, reasonCode, comment } = body;
    const updated = await repos.violations.review({
      violationId: v.id, userId: caller.userId, decision,
      ...(reasonCode === undefined ? {} : { reasonCode }), ...(comment === undefined ? {} : { comment }),
    });
    await repos.audit.append({ actor: caller.userId, storeId: v.storeId, action: 'violation.review', target: v.id, detail: { decision, reasonCode: reasonCode ?? null } });
    return updated;
  };

  /** Undefined when there is nothing this caller may take back (see ViolationRepository.undoReview). */
  const undoOne = async (caller: { userId: string }, v: { id: string; storeId: string }) => {
    const updated = await repos.violations.undoReview(v.id, caller.userId, UNDO_WINDOW_MS);
    if (updated !== undefined) await repos.audit.append({ actor: caller.userId, storeId: v.storeId, action: 'violation.review_undo', target: v.id, detail: { status: updated.status } });
    return updated;
  };

  app.get<{ Querystring: ViolationQuery }>('/api/violations', {
    schema: { tags: ['violations'], summary: 'Violations, newest first, filtered', querystring: ViolationQuery, response: { 200: Type.Array(Violation), ...errorResponses } },
  }, async (req) => (await repos.violationQueries.list(toQuery(req, req.query))).map(violationView));

  app.get<{ Querystring: ViolationQuery }>('/api/violations/counts', {
    schema: { tags: ['violations'], summary: 'How many violations match, by status and severity', querystring: ViolationQuery, response: { 200: ViolationCounts, ...errorResponses } },
  }, async (req) => {
    const rows = await repos.violationQueries.counts(toQuery(req, req.query));
    const out = { total: 0, byStatus: {} as Record<string, number>, bySeverity: {} as Record<string, number> };
    for (const r of rows) {
      out.total += r.count;
      out.byStatus[r.status] = (out.byStatus[r.status] ?? 0) + r.count;
      out.bySeverity[r.severity] = (out.bySeverity[r.severity] ?? 0) + r.count;
    }
    return out;
  });

  app.get<{ Params: ViolationParams }>('/api/violations/:violationId', {
    schema: { tags: ['violations'], params: ViolationParams, response: { 200: Violation, ...errorResponses } },
  }, async (req) => violationView(await visible(req, req.params.violationId)));

  app.get<{ Params: EvidenceParams }>('/api/violations/:violationId/evidence/:name', {
    schema: { tags: ['violations'], summary: 'One keyframe of a violation (faces blurred); every view is audited', params: EvidenceParams, produces: ['image/jpeg'] },
  }, async (req, reply) => {
    const v = await visible(req, req.params.violationId);
    const file = await repos.evidence.find(v.id, req.params.name);
    if (!file) throw notFound('evidence file');
    await repos.audit.append({ actor: callerOf(req).userId, storeId: v.storeId, action: 'evidence.view', target: v.id, detail: { file: req.params.name } });
    return sendEvidenceFile(reply, join(deps.dataDir, file.path), req.params.name);
  });

  app.get<{ Params: ViolationParams }>('/api/violations/:violationId/reviews', {
    schema: { tags: ['reviews'], params: ViolationParams, response: { 200: Type.Array(Review), ...errorResponses } },
  }, async (req) => {
    const v = await visible(req, req.params.violationId);
    return (await repos.violationQueries.reviews(v.id)).map(reviewView);
  });

  app.post<{ Params: ViolationParams; Body: NewReview }>('/api/violations/:violationId/reviews', {
    schema: { tags: ['reviews'], summary: 'Confirm a violation, or dismiss it with a reason code', params: ViolationParams, body: NewReview, response: { 201: Violation, ...errorResponses } },
  }, async (req, reply) => {
    const v = await visible(req, req.params.violationId);
    const caller = callerOf(req);
    checkReason(req.body.decision, req.body.reasonCode);
    return reply.code(201).send(violationView(await decideOne(caller, v, req.body)));
  });

  app.post<{ Params: ViolationParams }>('/api/violations/:violationId/reviews/undo', {
    schema: { tags: ['reviews'], summary: 'Take back your newest decision on a violation (within two minutes): it gets the status it had before', params: ViolationParams, response: { 200: Violation, ...errorResponses } },
  }, async (req) => {
    const v = await visible(req, req.params.violationId);
    const undone = await undoOne(callerOf(req), v);
    if (undone === undefined) throw conflict(`nothing to undo: only your own newest decision, within ${UNDO_WINDOW_MS / 60_000} minutes`);
    return violationView(undone);
  });

  app.post<{ Body: BulkReview }>('/api/violations/reviews', {
    schema: { tags: ['reviews'], summary: 'One decision for several violations: all of them, or none when one id is unknown or read-only', body: BulkReview, response: { 201: BulkResult, ...errorResponses } },
  }, async (req, reply) => {
    checkReason(req.body.decision, req.body.reasonCode);
    const all = await visibleAll(req, req.body.ids);
    const caller = callerOf(req);
    const out = [];
    for (const v of all) out.push(violationView(await decideOne(caller, v, req.body)));
    return reply.code(201).send({ violations: out });
  });

  app.post<{ Body: BulkIds }>('/api/violations/reviews/undo', {
    schema: {
      tags: ['reviews'], body: BulkIds, response: { 200: BulkResult, ...errorResponses },
      summary: 'Take back your newest decisions on several violations; one that someone decided since keeps that decision (its status tells)',
    },
  }, async (req) => {
    const all = await visibleAll(req, req.body.ids);
    const caller = callerOf(req);
    const out = [];
    for (const v of all) out.push(violationView((await undoOne(caller, v)) ?? (await visible(req, v.id))));
    return { violations: out };
  });

  app.get<{ Querystring: ReviewItemQuery }>('/api/review-items', {
    schema: { tags: ['reviews'], summary: 'Cases the engine could not decide alone', querystring: ReviewItemQuery, response: { 200: Type.Array(ReviewItem), ...errorResponses } },
  }, async (req) => {
    const q = req.query;
    const items = await repos.reviewItems.list(storeScope(req, q.storeId), {
      ...(q.clipId === undefined ? {} : { clipId: q.clipId }),
      ...(q.status === undefined ? {} : { status: q.status }),
      ...shadowOf(q.shadow),
      ...(q.limit === undefined ? {} : { limit: q.limit }),
    });
    return items.map(reviewItemView);
  });
}
