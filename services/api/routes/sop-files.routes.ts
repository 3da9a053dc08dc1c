// SOP files of a store: upload (validated, errors with line and column as 422), versions, YAML, enable per camera.
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { callerOf } from '../access.ts';
import { queueDetectorsWarm } from '../clip-jobs.ts';
import { notFound, unprocessable } from '../http-errors.ts';
import { ErrorBody, errorResponses } from '../schemas/common.ts';
import { SopEnablement, SopFile, SopFileBody, SopParams, SopUpload, SopUploaded, SopVersionQuery } from '../schemas/sop-file.ts';
import { StoreParams } from '../schemas/store.ts';
import { sopAppliesTo } from '../../core/storage/sop-files.repository.ts';
import { loadSopText } from '../../rules/sop-loader.ts';
import { sopView } from '../views.ts';

export async function sopFileRoutes(app: FastifyInstance): Promise<void> {
  const { repos, deps } = app.sopwatch;

  /**
   * An SOP file just enabled that applies to one camera of the store: that camera's clip is likely next, so the worker
   * readies its models (several cameras: the upload of the clip does it). Best effort, after the answer is decided.
   */
  const warmIfOneCamera = (req: FastifyRequest, storeId: string, sopId: string, version: number): void => {
    void (async () => {
      const file = await repos.sopFiles.get(storeId, sopId, version);
      if (file === undefined || !file.enabled) return;
      const cameras = (await repos.cameras.list([storeId])).filter((c) => sopAppliesTo(file, c));
      if (cameras.length === 1 && cameras[0] !== undefined) queueDetectorsWarm(deps.queue, req.log, storeId, cameras[0].id);
    })().catch((err: unknown) => req.log.warn({ err, storeId, sopId }, 'the clip detectors could not be warmed for an SOP change'));
  };

  app.post<{ Params: StoreParams; Body: SopUpload }>('/api/stores/:storeId/sops', {
    schema: {
      tags: ['sops'],
      summary: 'Upload an SOP file: a new version of its id, enabled in place of the previous one',
      params: StoreParams,
      body: SopUpload,
      response: { 201: SopUploaded, 422: Type.Ref(ErrorBody), ...errorResponses },
    },
  }, async (req, reply) => {
    const caller = callerOf(req);
    const file = req.body.fileName ?? 'sop.yaml';
    const load = loadSopText(req.body.yaml, file);
    if (!load.ok) {
      const errors = load.errors.map((e) => ({ file: e.file, line: e.line, column: e.column, message: e.message, ...(e.path === undefined ? {} : { path: e.path }) }));
      throw unprocessable(`${file} is not a valid SOP file: ${errors.length} problem(s), the first at ${errors[0]?.line ?? 1}:${errors[0]?.column ?? 1}`, errors);
    }
    const record = await repos.sopFiles.addVersion(req.params.storeId, load.sop.id, req.body.yaml, load.sop);
    const names = new Set((await repos.cameras.list([req.params.storeId])).flatMap((c) => [c.name, ...c.tags]));
    const warnings = load.sop.cameras.filter((c) => c !== '*' && !names.has(c)).map((c) => `this store has no camera (or tag) "${c}" yet`);
    await repos.audit.append({ actor: caller.userId, storeId: req.params.storeId, action: 'sop.upload', target: load.sop.id, detail: { version: record.version } });
    warmIfOneCamera(req, req.params.storeId, load.sop.id, record.version);
    return reply.code(201).send({ sop: sopView(record), warnings });
  });

  app.get<{ Params: StoreParams }>('/api/stores/:storeId/sops', {
    schema: { tags: ['sops'], summary: 'SOP files: the newest version of each id (and the enabled one)', params: StoreParams, response: { 200: Type.Array(SopFile), ...errorResponses } },
  }, async (req) => {
    return (await repos.sopFiles.list([req.params.storeId])).map(sopView);
  });

  app.get<{ Params: SopParams }>('/api/stores/:storeId/sops/:sopId/versions', {
    schema: { tags: ['sops'], params: SopParams, response: { 200: Type.Array(SopFile), ...errorResponses } },
  }, async (req) => {
    const versions = await repos.sopFiles.versions(req.params.storeId, req.params.sopId);
    if (versions.length === 0) throw notFound('SOP');
    return versions.map(sopView);
  });

  app.get<{ Params: SopParams; Querystring: Static<typeof SopVersionQuery> }>('/api/stores/:storeId/sops/:sopId', {
    schema: { tags: ['sops'], summary: 'One version with its YAML (default the newest)', params: SopParams, querystring: SopVersionQuery, response: { 200: SopFileBody, ...errorResponses } },
  }, async (req) => {
    const file = await repos.sopFiles.get(req.params.storeId, req.params.sopId, req.query.version);
    if (!file) throw notFound('SOP');
    return { ...sopView(file), yaml: file.yaml };
  });

  app.put<{ Params: SopParams; Body: SopEnablement }>('/api/stores/:storeId/sops/:sopId/enablement', {
    schema: { tags: ['sops'], summary: 'Enable a version (on some cameras) or disable the SOP', params: SopParams, body: SopEnablement, response: { 200: SopFile, 422: Type.Ref(ErrorBody), ...errorResponses } },
  }, async (req) => {
    const caller = callerOf(req);
    const ids = req.body.cameraIds;
    if (ids !== undefined && ids !== null) {
      const known = new Set((await repos.cameras.list([req.params.storeId])).map((c) => c.id));
      const unknown = ids.filter((id) => !known.has(id));
      if (unknown.length > 0) throw unprocessable(`not cameras of this store: ${unknown.join(', ')}`, { cameraIds: unknown });
    }
    const record = await repos.sopFiles.setEnablement(req.params.storeId, req.params.sopId, {
      enabled: req.body.enabled,
      ...(req.body.version === undefined ? {} : { version: req.body.version }),
      ...(ids === undefined ? {} : { cameraIds: ids }),
    });
    await repos.audit.append({ actor: caller.userId, storeId: req.params.storeId, action: 'sop.enablement', target: req.params.sopId, detail: { ...req.body } });
    warmIfOneCamera(req, req.params.storeId, req.params.sopId, record.version);
    return sopView(record);
  });
}
