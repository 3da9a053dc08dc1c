// A clip's decisions exported as a labels file for `sopwatch eval`, and the clip itself where the store's privacy
// settings allow it, so that a franchise can build its own test set.
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { callerOf } from '../access.ts';
import { forbidden, notFound } from '../http-errors.ts';
import { sendRangedFile } from './ranged-file.ts';
import { errorResponses } from '../schemas/common.ts';
import { ClipParams } from '../schemas/clip.ts';
import { labelsFileText } from '../../eval/labels-export.ts';
import { ClipLabelRepository } from '../../core/storage/clip-labels.repository.ts';

const LabelsQuery = Type.Object({
  sopId: Type.String({ minLength: 1, maxLength: 200, pattern: '^[a-z0-9][a-z0-9-]*$', description: 'The SOP whose alerts become labels' }),
}, { additionalProperties: false });

export async function clipLabelRoutes(app: FastifyInstance): Promise<void> {
  const { repos } = app.sopwatch;

  app.get<{ Params: ClipParams; Querystring: Static<typeof LabelsQuery> }>('/api/clips/:clipId/labels.yaml', {
    schema: { tags: ['clips'], summary: 'The clip\'s decided alerts and "missed here" labels of one SOP as a labels file for `sopwatch eval` (the clip itself: GET /api/clips/{clipId}/file, where the store allows it)', params: ClipParams, querystring: LabelsQuery, produces: ['application/yaml'], response: { ...errorResponses } },
  }, async (req, reply) => {
    const caller = callerOf(req);
    const clip = await repos.clips.get(req.params.clipId, caller.storeIds);
    if (!clip) throw notFound('clip');
    const rows = await repos.violations.list({ storeIds: [clip.storeId], clipId: clip.id, sopId: req.query.sopId, limit: 1000 });
    const labels = await new ClipLabelRepository(app.sopwatch.deps.db).forClip(clip.id, [clip.storeId], req.query.sopId);
    const camera = clip.cameraId === null ? undefined : await repos.cameras.get(clip.cameraId, [clip.storeId]);
    const text = labelsFileText({
      clipFile: clip.filename, sopFile: `${req.query.sopId}.yaml`, sopId: req.query.sopId, ...(camera ? { camera: camera.name } : {}),
      alerts: rows.flatMap((r) => (r.startS === null || r.endS === null ? [] : [{ id: r.id, rule: r.rule, kind: r.kind, start: r.startS, end: r.endS, status: r.status }])),
      labels: labels.map((l) => ({ label: l.label, rule: l.rule, kind: l.kind, start: l.startS, end: l.endS, note: l.note, violationId: l.violationId })),
    });
    const base = clip.filename.replace(/\.[^.]*$/, '').replace(/[^A-Za-z0-9._-]/g, '_') || 'clip';
    return reply
      .header('content-type', 'application/yaml; charset=utf-8')
      .header('content-disposition', `attachment; filename="${base}.${req.query.sopId}.labels.yaml"`)
      .send(text);
  });

  app.get<{ Params: ClipParams }>('/api/clips/:clipId/file', {
    config: { access: 'owner' },
    schema: {
      tags: ['clips'], params: ClipParams, produces: ['application/octet-stream'], response: { ...errorResponses },
      summary: 'The original clip as uploaded (faces NOT blurred), for a labels file\'s test set: owners only, and only where the store allows clip export (PATCH /api/stores/{storeId}/privacy); audited',
    },
  }, async (req, reply) => {
    const caller = callerOf(req);
    const clip = await repos.clips.get(req.params.clipId, caller.storeIds);
    if (!clip) throw notFound('clip');
    const store = await repos.stores.get(clip.storeId, caller.storeIds);
    if (store?.allowClipExport !== true) throw forbidden('this store\'s privacy settings do not allow taking clips out (an owner can allow it: allowClipExport)');
    await repos.audit.append({ actor: caller.userId, storeId: clip.storeId, action: 'clip.export', target: clip.id, detail: { file: clip.filename } });
    return sendRangedFile(req, reply, clip.path, 'application/octet-stream', clip.filename, 'attachment');
  });
}
