// Labels people put on a clip's timeline: "missed here" (a span and a rule the analysis did not flag) and a dismissed
// alert's reason kept as "not a violation". Store-scoped, audited, removable by their author or an owner.
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { callerOf } from '../access.ts';
import { badRequest, conflict, forbidden, notFound } from '../http-errors.ts';
import type { ClipLabelRecord } from '../../core/storage/clip-labels.repository.ts';
import { ClipLabelRepository } from '../../core/storage/clip-labels.repository.ts';
import type { Caller } from '../plugins/app/context.ts';
import { ErrorBody, Ok, errorResponses } from '../schemas/common.ts';
import { ClipParams } from '../schemas/clip.ts';
import { ClipLabel, ClipLabelParams, NewMissedLabel, NewNotViolationLabel } from '../schemas/clip-label.ts';
import { KINDS_OF } from '../../eval/labels-loader.ts';
import type { CompiledSop } from '../../rules/compiled.ts';

/** The dismissal reasons in words, for a label's note. */
const REASON_WORDS: Record<string, string> = {
  false_alarm: 'a false alarm',
  not_applicable: 'the rule does not apply here',
  camera_problem: 'a camera problem',
  other: 'another reason',
};

export const labelView = (l: ClipLabelRecord, caller: Caller): ClipLabel => ({
  id: l.id, storeId: l.storeId, clipId: l.clipId, sopId: l.sopId, rule: l.rule, kind: l.kind, label: l.label, start: l.startS, end: l.endS,
  note: l.note, violationId: l.violationId, createdBy: l.createdBy, createdByEmail: l.createdByEmail, createdAt: l.createdAt.toISOString(),
  canDelete: caller.role === 'owner' || (caller.role === 'manager' && l.createdBy === caller.userId),
});

export async function clipLabelMarkRoutes(app: FastifyInstance): Promise<void> {
  const { repos, deps } = app.sopwatch;
  const labels = new ClipLabelRepository(deps.db);

  const visibleClip = async (req: FastifyRequest, clipId: string) => {
    const clip = await repos.clips.get(clipId, callerOf(req).storeIds);
    if (!clip) throw notFound('clip');
    return clip;
  };

  app.get<{ Params: ClipParams }>('/api/clips/:clipId/labels', {
    schema: { tags: ['clips'], summary: 'The labels people put on the clip\'s timeline, in clip order', params: ClipParams, response: { 200: Type.Array(ClipLabel), ...errorResponses } },
  }, async (req) => {
    const clip = await visibleClip(req, req.params.clipId);
    const caller = callerOf(req);
    return (await labels.forClip(clip.id, [clip.storeId])).map((l) => labelView(l, caller));
  });

  app.post<{ Params: ClipParams; Body: NewMissedLabel }>('/api/clips/:clipId/labels', {
    schema: {
      tags: ['clips'], summary: 'Mark "missed here": a violation of a rule in a span of the clip that the analysis did not raise',
      params: ClipParams, body: NewMissedLabel, response: { 201: ClipLabel, ...errorResponses },
    },
  }, async (req, reply) => {
    const clip = await visibleClip(req, req.params.clipId);
    const caller = callerOf(req);
    const b = req.body;
    if (!(b.end > b.start)) throw badRequest('end must be after start');
    const file = await repos.sopFiles.get(clip.storeId, b.sopId);
    if (file === undefined) throw badRequest(`the store has no SOP "${b.sopId}"`);
    const rule = (file.compiled as unknown as CompiledSop).rules.find((r) => r.id === b.rule);
    if (rule === undefined) throw badRequest(`SOP "${b.sopId}" has no rule "${b.rule}"`);
    const kinds = KINDS_OF[rule.kind] ?? [];
    const kind = b.kind ?? kinds[0];
    if (kind === undefined || !kinds.includes(kind)) throw badRequest(`a ${rule.kind} rule never raises "${b.kind ?? ''}"; use one of ${kinds.join(', ')}`);
    const made = await labels.create({
      storeId: clip.storeId, clipId: clip.id, sopId: b.sopId, rule: b.rule, kind, label: 'missed', startS: b.start, endS: b.end,
      ...(b.note === undefined || b.note.trim() === '' ? {} : { note: b.note.trim() }), createdBy: caller.userId,
    });
    await repos.audit.append({ actor: caller.userId, storeId: clip.storeId, action: 'label.create', target: made.id, detail: { clipId: clip.id, label: 'missed', sopId: b.sopId, rule: b.rule, start: b.start, end: b.end } });
    return reply.code(201).send(labelView(made, caller));
  });

  app.post<{ Params: ClipParams; Body: NewNotViolationLabel }>('/api/clips/:clipId/labels/not-violation', {
    schema: {
      tags: ['clips'], summary: 'Keep a dismissed alert of the clip as a label: "this was not a violation: <reason>"',
      params: ClipParams, body: NewNotViolationLabel, response: { 201: ClipLabel, 409: Type.Ref(ErrorBody), ...errorResponses },
    },
  }, async (req, reply) => {
    const clip = await visibleClip(req, req.params.clipId);
    const caller = callerOf(req);
    // The alert named in the body must be one of this clip's (and so of the caller's store): otherwise "not found".
    const v = await repos.violations.get(req.body.violationId, [clip.storeId]);
    if (v === undefined || v.clipId !== clip.id) throw notFound('violation');
    if (v.status !== 'dismissed') throw conflict(`the alert is ${v.status}: only a dismissed alert's reason becomes a label`);
    if (v.startS === null || v.endS === null || !(v.endS > v.startS)) throw conflict('the alert has no span in the clip');
    if (await labels.forViolation(v.id)) throw conflict('this alert is a label already');
    const dismissal = (await repos.violationQueries.reviews(v.id)).filter((r) => r.undoneAt === null && r.decision === 'dismissed').at(-1);
    const reason = [REASON_WORDS[dismissal?.reasonCode ?? ''] ?? dismissal?.reasonCode, dismissal?.comment?.trim()].filter((x) => x !== undefined && x !== null && x !== '').join(': ');
    const note = req.body.note?.trim() || `this was not a violation${reason === '' ? '' : `: ${reason}`}`;
    const made = await labels.create({
      storeId: clip.storeId, clipId: clip.id, sopId: v.sopId, rule: v.rule, kind: v.kind, label: 'not_violation', startS: v.startS, endS: v.endS,
      note, violationId: v.id, createdBy: caller.userId,
    });
    await repos.audit.append({ actor: caller.userId, storeId: clip.storeId, action: 'label.create', target: made.id, detail: { clipId: clip.id, label: 'not_violation', violationId: v.id } });
    return reply.code(201).send(labelView(made, caller));
  });

  app.delete<{ Params: ClipLabelParams }>('/api/clips/:clipId/labels/:labelId', {
    schema: { tags: ['clips'], summary: 'Remove a label (its author or an owner)', params: ClipLabelParams, response: { 200: Ok, ...errorResponses } },
  }, async (req) => {
    const clip = await visibleClip(req, req.params.clipId);
    const caller = callerOf(req);
    const label = await labels.get(req.params.labelId, [clip.storeId]);
    if (label === undefined || label.clipId !== clip.id) throw notFound('label');
    if (!labelView(label, caller).canDelete) throw forbidden('only the person who made a label, or an owner, may remove it');
    await labels.delete(label.id, clip.storeId);
    await repos.audit.append({ actor: caller.userId, storeId: clip.storeId, action: 'label.delete', target: label.id, detail: { clipId: clip.id, label: label.label, sopId: label.sopId, rule: label.rule, start: label.startS, end: label.endS } });
    return { ok: true as const };
  });
}
