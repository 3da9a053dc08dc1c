// The ClipAnalyse job: the store's enabled SOP files for the clip's camera, analyzeClip, then every result stored idempotently.
import { join } from 'node:path';
import { analyzeClip, modelNeedsFor, type ClipAnalysisOptions, type ClipAnalysisResult, type ModelNeeds } from '../analysis/index.ts';
import { clipJobId } from '../api/clip-jobs.ts';
import { DetectionCache, DETECTION_CACHE_FILE } from '../detector/index.ts';
import { InputError } from '../core/errors.ts';
import type { JobHandler, JobName, JobOutcome } from '../core/jobs.ts';
import { ClipRepository, type Database } from '../core/storage/index.ts';
import { CameraRepository } from '../core/storage/cameras.repository.ts';
import { SopFileRepository, sopAppliesTo } from '../core/storage/sop-files.repository.ts';
import type { CompiledSop } from '../rules/compiled.ts';
import { sopsForCamera } from '../rules/engine.ts';
import type { ClipDetectors, ClipDetectorsLease } from './clip-detectors.ts';
import { ClipResultWriter } from './clip-results.ts';

/** Seconds before the point where a decode stopped within which results are not trusted. */
const CUT_MARGIN_S = 1;

export type AnalyzeFn = (options: ClipAnalysisOptions) => Promise<ClipAnalysisResult>;

export interface ClipAnalyseDeps {
  db: Database;
  dataDir: string;
  /** Runs per job (the queue's `attempts`): the last failed one marks the clip failed. */
  maxAttempts: number;
  /** The analysis; default analyzeClip. */
  analyze?: AnalyzeFn;
  /** Progress is written to the clip row at most this often. */
  progressEveryMs?: number;
  /** Frames analysed per second; default that of analyzeClip (5). */
  fps?: number;
  /**
   * A running analysis touches its clip row at least this often, whatever its phase: the reconciler takes a clip
   * untouched for its idle time as abandoned and queues it again. Default 15 s.
   */
  heartbeatMs?: number;
  /** A detector pool and face finder kept warm across jobs (the caller closes it); without it each job starts its own. */
  detectors?: ClipDetectors;
}

export interface ClipAnalyseWorker {
  handle: JobHandler<JobName.ClipAnalyse>;
  /** Stops every running analysis (shutdown): each clip goes back to the queue. */
  abortAll(): void;
  /**
   * The DetectorsWarm job: a clip of this camera is on its way, so its detectors start now (leased and given back at
   * once; a clip job that asks meanwhile shares the start). Cheap when they are warm already.
   */
  warmFor: JobHandler<JobName.DetectorsWarm>;
  /**
   * At worker start: the detectors for the camera of the clip analysed last, so that the next clip finds them ready;
   * with no clip analysed yet, for a camera of the SOP file enabled last.
   */
  warm(): Promise<void>;
}

export function createClipAnalyseWorker(deps: ClipAnalyseDeps): ClipAnalyseWorker {
  const clips = new ClipRepository(deps.db);
  const cameras = new CameraRepository(deps.db);
  const sopFiles = new SopFileRepository(deps.db);
  const results = new ClipResultWriter(deps.db, deps.dataDir);
  const analyze = deps.analyze ?? analyzeClip;
  const running = new Set<AbortController>();
  const heartbeatMs = deps.heartbeatMs ?? 15_000;
  /** The models the files of this camera need, or none when they need nothing (the analysis then says why). */
  const needsOf = (files: ReadonlyArray<{ compiled: unknown }>, cameraName: string): ModelNeeds | undefined => {
    const needs = modelNeedsFor(sopsForCamera(files.map((f) => f.compiled as CompiledSop), cameraName));
    return Object.values(needs).some(Boolean) ? needs : undefined;
  };
  const leaseFor = async (files: ReadonlyArray<{ compiled: unknown }>, cameraName: string): Promise<ClipDetectorsLease | undefined> => {
    const needs = needsOf(files, cameraName);
    return deps.detectors === undefined || needs === undefined ? undefined : deps.detectors.acquire(needs);
  };

  const warmCamera = async (storeId: string, camera: { id: string; name: string }): Promise<JobOutcome> => {
    if (deps.detectors === undefined) return { status: 'skipped', reason: 'this worker keeps no clip detectors' };
    const needs = needsOf(await sopFiles.enabledForCamera(storeId, camera), camera.name);
    if (needs === undefined) return { status: 'skipped', reason: `no enabled SOP file of camera "${camera.name}" needs a detector` };
    // Checked and acquired in one turn of the event loop: no job can take the pool in between.
    if (deps.detectors.busyWithOther(needs)) return { status: 'skipped', reason: 'a clip is being analysed with other models: they are not replaced under it' };
    try {
      (await deps.detectors.acquire(needs)).release();
    } catch (err) {
      // The clip job starts them again itself: retrying here would only load the machine.
      return { status: 'failed', reason: `the clip detectors did not start: ${err instanceof Error ? err.message : String(err)}`, retry: false };
    }
    return { status: 'success' };
  };

  const handle: JobHandler<JobName.ClipAnalyse> = async ({ storeId, clipId }, ctx): Promise<JobOutcome> => {
    const found = await clips.get(clipId, [storeId]);
    if (!found) return { status: 'skipped', reason: `clip ${clipId} no longer exists` };
    // A late duplicate of an earlier run; a re-analysis request carries the id of the next run.
    if (found.status === 'done' && ctx.jobId !== clipJobId(found)) return { status: 'skipped', reason: `clip ${clipId} is already analysed` };
    const clip = await clips.startAnalysis(clipId);
    const final = async (reason: string): Promise<JobOutcome> => {
      await clips.fail(clipId, reason);
      return { status: 'failed', reason, retry: false };
    };
    const camera = clip.cameraId === null ? undefined : await cameras.get(clip.cameraId, [storeId]);
    if (!camera) return final('the camera of this clip was deleted: no SOP file can apply');
    const files = await sopFiles.enabledForCamera(storeId, camera);
    if (files.length === 0) return final(`no enabled SOP file applies to camera "${camera.name}"`);

    const backToQueue = async (): Promise<JobOutcome> => {
      await clips.requeue(clipId);
      return { status: 'failed', reason: 'stopped by shutdown; it will run again', retry: true };
    };
    const controller = new AbortController();
    running.add(controller);
    let lastWrite = 0;
    let lastFraction = 0;
    let writes: Promise<unknown> = Promise.resolve();
    const report = (fraction: number, force = false): void => {
      const now = Date.now();
      lastFraction = fraction;
      if (!force && now - lastWrite < (deps.progressEveryMs ?? 1_000)) return;
      lastWrite = now;
      // Chained, so that an older value never lands after a newer one.
      writes = writes.then(() => Promise.all([clips.setProgress(clipId, fraction), ctx.progress(fraction)])).catch(() => undefined);
    };
    // Evidence and verify report no progress for long stretches: without this the reconciler would queue the clip
    // again while it is still being analysed, and the duplicate would later run as if it were a re-analysis.
    const heartbeat = setInterval(() => {
      if (Date.now() - lastWrite >= heartbeatMs) report(lastFraction, true);
    }, Math.max(100, Math.floor(heartbeatMs / 2)));
    heartbeat.unref();
    // The detector's answers are kept beside the evidence: a dry run of a draft SOP on this clip, or a re-analysis,
    // then detects only what these did not see (services/detector/detection-cache.ts).
    const detections = await DetectionCache.open(join(deps.dataDir, 'evidence', clip.id, DETECTION_CACHE_FILE));
    let lease: ClipDetectorsLease | undefined;
    let failure: unknown;
    try {
      lease = await leaseFor(files, camera.name);
      const result = await analyze({
        clipPath: clip.path,
        sops: files.map((f) => f.compiled as unknown as CompiledSop),
        cameraId: camera.name,
        // The recording time makes schedules (opening hours, shifts) apply and gives the results clock times.
        ...(clip.recordedAt === null ? {} : { startAtMs: clip.recordedAt.getTime() }),
        ...(deps.fps === undefined ? {} : { fps: deps.fps }),
        ...(lease === undefined ? {} : { detector: lease.detector, faces: lease.faces }),
        evidenceDir: join(deps.dataDir, 'evidence', clip.id),
        detectionCache: detections,
        signal: controller.signal,
        // Each violation is stored (with its evidence) as soon as its episode closes: the dashboard's feed shows it
        // while the rest of the clip is still being analysed. Storing is idempotent, so the final store repeats nothing.
        onViolation: (v) => results.storeViolation(clip, camera, files, v),
        onProgress: (p) => report(p.phase === 'detect' ? p.fraction * 0.9 : p.phase === 'verify' ? 0.92 : p.phase === 'evidence' ? 0.95 : 0.99, p.phase !== 'detect'),
      });
      await writes;
      // An aborted run ends with a partial result: nothing of it is kept (an episode cut short is no violation).
      if (controller.signal.aborted) return await backToQueue();
      await clips.setNotAnalysed(clipId, result.notAnalysed ?? []);
      if (!result.complete) {
        // Only what ended well before the cut is evidence; the rest could be an artefact of the cut.
        const cutS = (result.stoppedAtS ?? 0) - CUT_MARGIN_S;
        await results.store(clip, camera, files, { ...result, violations: result.violations.filter((v) => v.end < cutS), needsReview: result.needsReview.filter((r) => r.end < cutS) });
        return await final(`only the first ${result.stoppedAtS ?? 0} s could be analysed: ${result.error ?? 'the clip ended early'}`);
      }
      await results.store(clip, camera, files, result);
      await clips.finish(clipId);
      return { status: 'success' };
    } catch (err) {
      // A shutdown's abort says nothing about the detectors.
      if (!controller.signal.aborted) failure = err;
      await writes;
      const reason = err instanceof Error ? err.message : String(err);
      if (controller.signal.aborted) return await backToQueue();
      if (err instanceof InputError || ctx.attempt >= deps.maxAttempts) return final(reason);
      await clips.requeue(clipId);
      return { status: 'failed', reason, retry: true };
    } finally {
      lease?.release(failure);
      clearInterval(heartbeat);
      running.delete(controller);
      // Every answer is right for its pixels whatever became of the run; a cache that cannot be written is only slower.
      await detections.save();
    }
  };

  return {
    handle,
    abortAll: () => {
      for (const c of running) c.abort();
    },
    warmFor: async ({ storeId, cameraId }) => {
      // The API queued this after its own access checks; the camera must still be of that store.
      const camera = await cameras.get(cameraId, [storeId]);
      return camera === undefined ? { status: 'skipped', reason: `camera ${cameraId} is not a camera of store ${storeId}` } : warmCamera(storeId, camera);
    },
    warm: async () => {
      if (deps.detectors === undefined) return;
      const clip = await clips.lastAnalysed();
      let target: { storeId: string; camera: { id: string; name: string } | undefined } | undefined;
      if (clip !== undefined && clip.cameraId !== null) target = { storeId: clip.storeId, camera: await cameras.get(clip.cameraId, [clip.storeId]) };
      else {
        // A fresh install: the SOP file written last names the camera a first clip is most likely for.
        const file = await sopFiles.newestEnabled();
        if (file !== undefined) target = { storeId: file.storeId, camera: (await cameras.list([file.storeId])).find((c) => sopAppliesTo(file, c)) };
      }
      const outcome = target?.camera === undefined ? undefined : await warmCamera(target.storeId, target.camera);
      // The caller logs it; the first clip starts them again.
      if (outcome?.status === 'failed') throw new Error(outcome.reason);
    },
  };
}
