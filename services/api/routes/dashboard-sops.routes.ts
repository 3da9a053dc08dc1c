// For the dashboard's SOP pages: the plain-English account of a stored or draft SOP file, and a dry run of a draft on a clip.
import { Type, type Static } from '@sinclair/typebox';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { conflict, notFound, unprocessable } from '../http-errors.ts';
import { analyzeClip } from '../../analysis/index.ts';
import { DetectionCache, DETECTION_CACHE_FILE } from '../../detector/index.ts';
import { InputError, UsageError } from '../../core/errors.ts';
import type { CompiledSop } from '../../rules/compiled.ts';
import { sopsForCamera } from '../../rules/engine.ts';
import { loadSopText, type SopLoad } from '../../rules/sop-loader.ts';
import { explainSop } from '../../rules/sop-explain.ts';
import { explainSopZh } from '../../rules/sop-explain-zh.ts';
import { ErrorBody, errorResponses } from '../schemas/common.ts';
import { SopParams, SopUpload, SopVersionQuery } from '../schemas/sop-file.ts';
import { StoreParams } from '../schemas/store.ts';
import { DryRun, DryRunBody, SopExplained } from '../../../dashboard/api-schemas.ts';
import { ruleLanes } from './dashboard-clips.routes.ts';
import { compareWithDecisions, DEFAULT_TOLERANCE_S, type StoredAlert } from '../../eval/index.ts';
import type { ViolationRecord } from '../../core/storage/violations.repository.ts';

/** A clip's stored alerts in clip seconds, for the comparison with a dry run (live alerts have no clip time). */
function storedAlerts(rows: readonly ViolationRecord[]): StoredAlert[] {
  return rows.flatMap((r) => (r.startS === null || r.endS === null ? [] : [{ id: r.id, status: r.status, rule: r.rule, kind: r.kind, start: r.startS, end: r.endS }]));
}

function explained(load: Extract<SopLoad, { ok: true }>, version: number | null): SopExplained {
  const sop = load.sop;
  return {
    sopId: sop.id, title: sop.title, titleZh: sop.titleZh ?? null, version, explanation: explainSop(sop), explanationZh: explainSopZh(sop), cameras: sop.cameras,
    zones: sop.zones as SopExplained['zones'], rules: ruleLanes(sop, version ?? 0),
  };
}

/** The upload route's answer for a refused file: 422 with every problem at its line and column. */
function loaded(yaml: string, file: string): Extract<SopLoad, { ok: true }> {
  const load = loadSopText(yaml, file);
  if (load.ok) return load;
  const errors = load.errors.map((e) => ({ file: e.file, line: e.line, column: e.column, message: e.message, ...(e.path === undefined ? {} : { path: e.path }) }));
  throw unprocessable(`${file} is not a valid SOP file: ${errors.length} problem(s), the first at ${errors[0]?.line ?? 1}:${errors[0]?.column ?? 1}`, errors);
}

export async function dashboardSopRoutes(app: FastifyInstance): Promise<void> {
  const { repos, config, deps } = app.sopwatch;
  /** A dry run decodes and detects like an analysis: one at a time per process, beside the worker. */
  let dryRunning = false;

  /**
   * The draft among the SOP files the worker runs on the camera, in place of its stored version: the frame stage
   * then looks where the worker looked (its region spans every file's zones, its detector serves every file's needs),
   * so the draft's alerts compare with the stored ones and the worker's detections can be reused.
   */
  const besideStored = async (draft: CompiledSop, camera: { id: string; name: string; storeId: string }): Promise<CompiledSop[]> => {
    const files = await repos.sopFiles.enabledForCamera(camera.storeId, camera);
    const others = files.filter((f) => f.sopId !== draft.id).map((f) => f.compiled as unknown as CompiledSop);
    return [...others, draft].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  };

  app.get<{ Params: SopParams; Querystring: Static<typeof SopVersionQuery> }>('/api/stores/:storeId/sops/:sopId/explanation', {
    schema: { tags: ['sops'], summary: 'A stored SOP version in plain English, with its zones and rules', params: SopParams, querystring: SopVersionQuery, response: { 200: SopExplained, ...errorResponses } },
  }, async (req) => {
    const file = await repos.sopFiles.get(req.params.storeId, req.params.sopId, req.query.version);
    if (!file) throw notFound('SOP');
    return explained(loaded(file.yaml, `${file.sopId}.yaml`), file.version);
  });

  app.post<{ Params: StoreParams; Body: SopUpload }>('/api/stores/:storeId/sops/explanation', {
    schema: { tags: ['sops'], summary: 'Check and explain a draft SOP file without storing it (errors as 422, like an upload)', params: StoreParams, body: SopUpload, response: { 200: SopExplained, 422: Type.Ref(ErrorBody), ...errorResponses } },
  }, async (req) => {
    return explained(loaded(req.body.yaml, req.body.fileName ?? 'sop.yaml'), null);
  });

  app.post<{ Params: StoreParams; Body: DryRunBody }>('/api/stores/:storeId/sops/dry-run', {
    schema: { tags: ['sops'], summary: 'Run a draft SOP file over one of the store\'s clips; nothing is stored', params: StoreParams, body: DryRunBody, response: { 200: DryRun, 409: Type.Ref(ErrorBody), 422: Type.Ref(ErrorBody), ...errorResponses } },
  }, async (req, reply) => {
    const load = loaded(req.body.yaml, req.body.fileName ?? 'sop.yaml');
    const ofDraft = (x: { sop: string }): boolean => x.sop === load.sop.id;
    const clip = await repos.clips.get(req.body.clipId, [req.params.storeId]);
    if (!clip) throw notFound('clip');
    const camera = clip.cameraId === null ? undefined : await repos.cameras.get(clip.cameraId, [clip.storeId]);
    if (!camera) throw unprocessable('the camera of this clip was deleted: no SOP file can apply', { clipId: clip.id });
    if (sopsForCamera([load.sop], camera.name).length === 0) throw unprocessable(`no SOP file applies to camera "${camera.name}"`, { clipId: clip.id });
    if (dryRunning) throw conflict('another dry run is in progress: try again when it ends');
    dryRunning = true;
    const controller = new AbortController();
    // The person gave up (closed the page): stop decoding.
    reply.raw.on('close', () => { if (!reply.raw.writableFinished) controller.abort(); });
    try {
      // What the worker's analysis (and earlier dry runs) of this clip detected is reused: a draft with the same zones
      // needs no detector for most frames, one with moved zones only for the crops that changed.
      const detections = await DetectionCache.open(join(deps.dataDir, 'evidence', clip.id, DETECTION_CACHE_FILE));
      const run = await analyzeClip({
        clipPath: clip.path, sops: await besideStored(load.sop, camera), cameraId: camera.name, signal: controller.signal, detectionCache: detections,
        // Sampled as the worker samples it, so that the frames (and the kept answers) are the same.
        ...(config.analysisFps === undefined ? {} : { fps: config.analysisFps }),
      });
      const result = { ...run, violations: run.violations.filter(ofDraft), needsReview: run.needsReview.filter(ofDraft), runs: run.runs.filter(ofDraft) };
      const stored = await repos.violations.list({ storeIds: [clip.storeId], clipId: clip.id, sopId: load.sop.id, limit: 1000 });
      const changes = compareWithDecisions(storedAlerts(stored), result.violations, DEFAULT_TOLERANCE_S);
      const cached = detections.stats();
      const saved = await detections.save();
      if (saved.error !== undefined) req.log.warn({ clipId: clip.id, error: saved.error }, 'dry run: the detections cache was not written');
      if (cached.file === 'ignored') req.log.warn({ clipId: clip.id, reason: cached.reason }, 'dry run: the detections cache was ignored');
      return {
        clipId: clip.id, durationS: result.durationS, frames: result.frames, complete: result.complete,
        violations: result.violations, needsReview: result.needsReview, runs: result.runs, rules: ruleLanes(load.sop, 0), changes,
        stats: { wallMs: result.stats.wallMs, detectorCalls: cached.misses, cachedDetections: cached.hits },
      };
    } catch (err) {
      // The server's own path of the clip is no business of the caller: the uploader's name stands in for it.
      if (err instanceof InputError || err instanceof UsageError) throw unprocessable(err.message.split(clip.path).join(clip.filename), { clipId: clip.id });
      throw err;
    } finally {
      dryRunning = false;
    }
  });
}
