// Clips: multipart upload (size refused early, name and content checked, nothing kept on refusal), status, re-analysis.
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { callerOf, storeScope } from '../access.ts';
import { queueClipAnalysis, queueDetectorsWarm } from '../clip-jobs.ts';
import { badRequest, conflict, notFound, tooLarge, unavailable, unsupportedMedia } from '../http-errors.ts';
import type { ClipStatus } from '../../core/storage/index.ts';
import { Clip, ClipListQuery, ClipParams, ClipQueued, ClipUploadQuery } from '../schemas/clip.ts';
import { ErrorBody, Ok, errorResponses } from '../schemas/common.ts';
import { StoreParams } from '../schemas/store.ts';
import { malformedMultipart, receiveClip } from '../upload/clip-upload.ts';
import { registerClip } from '../upload/clip-register.ts';
import { formField } from '../upload/recorded-at.ts';
import { DETECTION_CACHE_FILE } from '../../detector/index.ts';
import { arrivalPath, arrivalView } from '../../ingester/index.ts';
import { clipView } from '../views.ts';
import { sendEvidenceFile } from './evidence-file.ts';

/** Room for multipart boundaries and headers around the file. */
const MULTIPART_OVERHEAD = 64 * 1024;

export async function clipRoutes(app: FastifyInstance): Promise<void> {
  const { repos, config, deps } = app.sopwatch;
  const clipsDir = join(deps.dataDir, 'clips');

  /** A clip registered while its upload arrived has no hash until complete: only then is its arrival record read. */
  const viewOf = async (c: Awaited<ReturnType<typeof repos.clips.get>> & object) => clipView(c, c.sha256 === null ? await arrivalView(c.path) : undefined);

  const visibleClip = async (req: FastifyRequest, clipId: string) => {
    const clip = await repos.clips.get(clipId, callerOf(req).storeIds);
    if (!clip) throw notFound('clip');
    return clip;
  };

  app.post<{ Params: StoreParams; Querystring: ClipUploadQuery }>('/api/stores/:storeId/clips', {
    // Before any byte of the body is read (the central guard has proved the store is the caller's): is the declared size acceptable.
    onRequest: async (req: FastifyRequest<{ Params: StoreParams }>) => {
      const declared = Number(req.headers['content-length'] ?? 0);
      if (declared > config.maxUploadBytes + MULTIPART_OVERHEAD) {
        throw tooLarge(`the upload declares ${declared} bytes; the limit is ${config.maxUploadBytes} bytes`);
      }
    },
    schema: {
      tags: ['clips'],
      summary: 'Upload a clip (multipart/form-data, one file part) filmed by one of the store\'s cameras',
      consumes: ['multipart/form-data'],
      params: StoreParams,
      querystring: ClipUploadQuery,
      response: { 202: ClipQueued, 413: Type.Ref(ErrorBody), 415: Type.Ref(ErrorBody), ...errorResponses },
    },
  }, async (req, reply) => {
    const caller = callerOf(req);
    if (!req.isMultipart()) throw unsupportedMedia('send the clip as multipart/form-data');
    const camera = await repos.cameras.get(req.query.cameraId, [req.params.storeId]);
    if (!camera) throw notFound('camera');
    // Before the body is read: the models load while the file arrives.
    queueDetectorsWarm(deps.queue, req.log, req.params.storeId, camera.id);
    const part = await req.file().catch((err: unknown) => {
      throw malformedMultipart(err);
    });
    if (part === undefined) throw badRequest('no file part in the upload');
    const received = await receiveClip(part, clipsDir, config.maxUploadBytes);
    const { clip, queued } = await registerClip({
      repos, queue: deps.queue, clipsDir, log: req.log, actor: caller.userId, storeId: req.params.storeId, cameraId: camera.id, received,
      recordedAtInput: req.query.recordedAt ?? formField(part.fields, 'recordedAt'), via: 'multipart',
    });
    return reply.code(202).send({ clip: clipView(clip), queued });
  });

  app.get<{ Querystring: ClipListQuery }>('/api/clips', {
    schema: { tags: ['clips'], summary: 'Clips, newest first', querystring: ClipListQuery, response: { 200: Type.Array(Clip), ...errorResponses } },
  }, async (req) => {
    const q = req.query;
    const clips = await repos.clips.list({
      storeIds: storeScope(req, q.storeId),
      ...(q.status === undefined ? {} : { status: q.status as ClipStatus }),
      ...(q.cameraId === undefined ? {} : { cameraId: q.cameraId }),
      ...(q.limit === undefined ? {} : { limit: q.limit }),
    });
    return Promise.all(clips.map(viewOf));
  });

  app.get<{ Params: ClipParams }>('/api/clips/:clipId', {
    schema: { tags: ['clips'], summary: 'A clip with its analysis status and progress', params: ClipParams, response: { 200: Clip, ...errorResponses } },
  }, async (req) => viewOf(await visibleClip(req, req.params.clipId)));

  app.post<{ Params: ClipParams }>('/api/clips/:clipId/reanalyse', {
    schema: { tags: ['clips'], summary: 'Analyse a finished or failed clip again (violations are updated, never duplicated)', params: ClipParams, response: { 202: ClipQueued, 409: Type.Ref(ErrorBody), 503: Type.Ref(ErrorBody), ...errorResponses } },
  }, async (req, reply) => {
    let clip = await visibleClip(req, req.params.clipId);
    const caller = callerOf(req);
    if (clip.status === 'accepted' || clip.status === 'analysing') throw conflict(`clip is ${clip.status} already`);
    // A failed clip goes back to the queue; a done one stays done until its new run starts (the status machine).
    if (clip.status === 'failed') clip = await repos.clips.requeue(clip.id);
    let queued = true;
    try {
      await queueClipAnalysis(deps.queue, clip);
    } catch (err) {
      // An accepted row is picked up by the reconciler once the queue is back; a done clip would not be: say so.
      if (clip.status !== 'accepted') throw unavailable('the job queue is unavailable: ask for the re-analysis again shortly', err);
      req.log.warn({ err, clipId: clip.id }, 'clip re-analysis accepted but not queued');
      queued = false;
    }
    await repos.audit.append({ actor: caller.userId, storeId: clip.storeId, action: 'clip.reanalyse', target: clip.id });
    return reply.code(202).send({ clip: clipView(clip), queued });
  });

  app.delete<{ Params: ClipParams }>('/api/clips/:clipId', {
    schema: { tags: ['clips'], summary: 'Delete a clip and its video file (its violations and their evidence stay)', params: ClipParams, response: { 200: Ok, 409: Type.Ref(ErrorBody), ...errorResponses } },
  }, async (req) => {
    const clip = await visibleClip(req, req.params.clipId);
    const caller = callerOf(req);
    const deleted = await repos.clipAdmin.delete(clip.id, clip.storeId);
    if (!deleted) throw conflict('the clip is being analysed: delete it when the analysis ends');
    await rm(deleted.path, { force: true });
    await rm(arrivalPath(deleted.path), { force: true });
    // What the detector saw in the clip goes with it (the evidence of its violations stays).
    await rm(join(deps.dataDir, 'evidence', clip.id, DETECTION_CACHE_FILE), { force: true });
    await repos.audit.append({ actor: caller.userId, storeId: clip.storeId, action: 'clip.delete', target: clip.id, detail: { filename: clip.filename } });
    return { ok: true as const };
  });

  app.get<{ Params: ClipParams }>('/api/clips/:clipId/timeline.jpg', {
    schema: { tags: ['clips'], summary: 'The timeline strip of an analysed clip (faces blurred)', params: ClipParams, produces: ['image/jpeg'] },
  }, async (req, reply) => {
    const clip = await visibleClip(req, req.params.clipId);
    const caller = callerOf(req);
    await repos.audit.append({ actor: caller.userId, storeId: clip.storeId, action: 'evidence.view', target: clip.id, detail: { file: 'timeline.jpg' } });
    return sendEvidenceFile(reply, join(deps.dataDir, 'evidence', clip.id, 'timeline.jpg'), `timeline-${clip.id}.jpg`);
  });
}
