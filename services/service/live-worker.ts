// The live side of `sopwatch serve` (worker role): one LiveService per store that has cameras to watch, restarted when
// its cameras or SOP files change; health reported to the database for the API, snapshots kept fresh while looked at.
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import type { VerifyResult, VlmAgent } from '../agent/index.ts';
import { modelNeedsFor, type ModelNeeds } from '../analysis/detector-needs.ts';
import { createFaceFinder, FACE_FINDER_NEEDS, type FaceFinder } from '../analysis/face-finder.ts';
import { assertNoEviction, redactRedisUrl } from '../core/queue/redis-policy.ts';
import type { SecretBox } from '../core/secrets.ts';
import type { Database } from '../core/storage/index.ts';
import { UsageError } from '../core/errors.ts';
import { CameraStatusRepository } from '../core/storage/camera-status.repository.ts';
import { LiveCameraRepository, cameraPasswordContext } from '../core/storage/live-cameras.repository.ts';
import { createDetector, unionNeeds, type Detector, type DetectorOptions, type PooledDetector } from '../detector/index.ts';
import { LiveService, loadLiveConfig, type LiveConfig } from '../live/index.ts';
import type { OutboundPolicy } from '../core/net-policy.ts';
import { planLive, type LiveSettings, type StorePlan } from './live-cameras.ts';
import { LiveImages } from './live-evidence.ts';
import { LiveReporter, type RunningStore } from './live-reporter.ts';
import { LiveStoreSink } from './live-results.ts';

export interface LiveWorkerOptions {
  db: Database;
  dataDir: string;
  /** A cameras.yaml whose cameras are matched to store cameras by name. */
  camerasPath?: string;
  /** Opens the camera passwords stored in the database; without it, cameras with a stored password are not watched. */
  secrets?: SecretBox;
  /** With Redis, the cameras of each store are shared between workers through leases. */
  redisUrl?: string;
  /** Lease keys are `<prefix>:live:<storeId>:…`. Default `sopwatch`. */
  prefix?: string;
  /** Answers `verify` questions; without it they become review cases. */
  agent?: VlmAgent;
  /** Threads of the live pool, which runs the cameras' detection and the face finder of their pictures. */
  detectorThreads?: number;
  /**
   * Starts the live pool: the cameras' needs joined with the face finder's (FACE_FINDER_NEEDS), `detectorThreads`
   * threads. Default `createDetector`.
   */
  createDetector?: (options: DetectorOptions) => Promise<PooledDetector>;
  /** Wins over the cameras file's settings (stall limits, backoff…). */
  settings?: Partial<LiveSettings>;
  /** How often cameras and SOP files are read again. Default 30 000. */
  refreshMs?: number;
  /** How often health is written. Default 5000. */
  reportEveryMs?: number;
  /** A fresh snapshot at least this often. Default 60 000. */
  snapshotEveryMs?: number;
  /** While someone looks at a camera's snapshot (asked within the last minute): this often. Default 2000. */
  snapshotWantedEveryMs?: number;
  onError: (message: string) => void;
  /** Why cameras went offline, in technical detail, for the server log. */
  onCameraLog?: (message: string) => void;
  /** Where cameras may be; default the environment's camera policy (SOPWATCH_CAMERA_NETWORKS). */
  outbound?: OutboundPolicy;
  onViolation?: (violationId: string) => void;
}

export interface LiveWorker {
  readonly workerId: string;
  /** Reads cameras and SOP files again now, and restarts what changed. */
  refresh(): Promise<void>;
  /** Per store run here: the cameras this process watches now. */
  watching(): Array<{ storeId: string; cameras: string[] }>;
  stop(): Promise<void>;
}

interface Running extends RunningStore {
  sink: LiveStoreSink;
  /** Questions to the model still out: their answers are stored before the store stops. */
  asking: Set<Promise<unknown>>;
}

/** At shutdown, answers of the model are waited for this long at most. */
const ANSWER_GRACE_MS = 10_000;
/** A detector for cameras no SOP applies to: the pipeline never calls it. */
const NO_DETECTOR: Pick<Detector, 'detect' | 'keypointsAt'> = { detect: () => Promise.reject(new Error('no SOP applies to this camera: nothing to detect')) };

/** Whether the SOPs' needs call for a detector at all (faces alone are the face finder's). */
const anyModel = (needs: ModelNeeds): boolean => needs.persons || needs.hands || needs.objects || needs.pose;
/** A view of `pool` for `needs`, or undefined when its loaded models do not cover them (PooledDetector.view refuses). */
function viewFor(pool: PooledDetector, needs: ModelNeeds): Pick<Detector, 'detect' | 'keypointsAt'> | undefined {
  try {
    return pool.view(needs);
  } catch (err) {
    if (err instanceof UsageError) return undefined;
    throw err;
  }
}

/** What the cameras watched here are detected and pictured with: made for the SOPs' needs, replaced and closed together. */
interface LiveModels {
  /** The needs they were made for. */
  key: string;
  /** What the pipelines call: a view of the pool for the SOPs' needs (their models only), or NO_DETECTOR. */
  detector: Pick<Detector, 'detect' | 'keypointsAt'>;
  /** Keyframes, snapshots, videos and verify crops, through the face finder (on the pool's threads when there is one). */
  images: LiveImages;
  /** The face finder first (its views stop asking), then the pool. */
  close(): Promise<void>;
  /** The pool, when there is one: it has the face finder's models (persons, pose, faces), so a view serves other needs. */
  pool?: PooledDetector;
}

export async function startLiveWorker(o: LiveWorkerOptions): Promise<LiveWorker> {
  const workerId = `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  const cameras = new LiveCameraRepository(o.db);
  const status = new CameraStatusRepository(o.db);
  const reportEveryMs = o.reportEveryMs ?? 5000;
  const running = new Map<string, Running>();
  let models: LiveModels | undefined;
  let redis: Redis | undefined;
  let file: LiveConfig | undefined;
  let lastProblems = '';
  let stopped = false;

  /** Asked only for the cameras of running stores, which are stopped before their models are closed. */
  const imagesNow = (): LiveImages => {
    if (models === undefined) throw new Error('no face finder: no camera is watched here');
    return models.images;
  };

  /** A connection of its own for the leases, opened when there is a first camera to watch. */
  async function leases(url: string): Promise<Redis> {
    if (redis !== undefined) return redis;
    const r = new Redis(url, { maxRetriesPerRequest: 2 });
    r.on('error', () => undefined);
    try {
      // An evicted lease would let two workers watch one camera.
      await assertNoEviction(r, redactRedisUrl(url));
    } catch (err) {
      r.disconnect();
      throw err;
    }
    redis = r;
    return r;
  }

  /**
   * One pool with the models of the SOPs' needs and the face finder's: the pipelines get a view of it for their needs
   * (the models and answers a pool of their own would give), the face finder runs on it as views too: `detectorThreads`
   * threads in all, each model loaded once per thread. With no SOP that needs a model there is no pool, and the
   * pictures (snapshots) get a face finder of its own, whose two threads start with the first picture (as before: a
   * pool started on that first picture would save one thread, at the cost of a lazily started shared pool to manage).
   * A pool that lost threads for good is kept, as the detector was: its frames fail (the cameras' health counts detect
   * errors; a picture is not written, and says why), until the needs change or the worker restarts.
   */
  async function startModels(key: string, needs: ModelNeeds): Promise<LiveModels> {
    if (!anyModel(needs)) {
      const faces = createFaceFinder();
      return { key, detector: NO_DETECTOR, images: new LiveImages(faces, o.dataDir), close: () => faces.close() };
    }
    const pool = await (o.createDetector ?? createDetector)({ needs: unionNeeds(needs, FACE_FINDER_NEEDS), ...(o.detectorThreads === undefined ? {} : { threads: o.detectorThreads }) });
    let detector: Detector;
    let faces: FaceFinder;
    try {
      detector = pool.view(needs);
      faces = createFaceFinder({ shared: pool });
    } catch (err) {
      await pool.close().catch(() => undefined);
      throw err;
    }
    return {
      key, detector, images: new LiveImages(faces, o.dataDir), pool,
      close: async () => {
        await faces.close().catch(() => undefined);
        await pool.close();
      },
    };
  }

  /** Closes the models once nothing uses them: call with every store stopped. */
  async function closeModels(): Promise<void> {
    const m = models;
    if (m === undefined) return;
    // A round of snapshots begun before the stores stopped may still be taking one on these.
    await snapshotLoop.idle();
    if (models === m) models = undefined;
    await m.close();
  }

  async function useModels(plans: StorePlan[]): Promise<Pick<Detector, 'detect' | 'keypointsAt'>> {
    const needs = modelNeedsFor(plans.flatMap((p) => p.sops));
    const key = JSON.stringify(needs);
    if (models?.key === key) return models.detector;
    // New rules whose models the pool has loaded (it always has the face finder's: persons, pose, faces): a view of it
    // for the new needs; the stores already watching keep theirs and are not interrupted. A pool that lost threads for
    // good is replaced instead, as before.
    const pool = models?.pool;
    const view = models !== undefined && pool !== undefined && anyModel(needs) && pool.liveThreads() === pool.threads ? viewFor(pool, needs) : undefined;
    if (models !== undefined && view !== undefined) {
      models = { ...models, key, detector: view };
      return view;
    }
    // Their keyframes, snapshots and questions use the face finder closed below: they stop first.
    for (const storeId of [...running.keys()]) await stopStore(storeId, 'not watched: the detector was reloaded for new rules');
    await closeModels();
    models = await startModels(key, needs);
    return models.detector;
  }

  async function startStore(plan: StorePlan, d: Pick<Detector, 'detect' | 'keypointsAt'>): Promise<void> {
    const sink = new LiveStoreSink({
      db: o.db, plan, images: imagesNow, onError: o.onError, staleAfterMs: reportEveryMs * 3 + 5000,
      ...(o.onCameraLog === undefined ? {} : { onCameraLog: o.onCameraLog }),
      onStateChange: () => scheduleReport(),
      ...(o.onViolation === undefined ? {} : { onViolation: o.onViolation }),
    });
    const agent = o.agent;
    const asking = new Set<Promise<unknown>>();
    const ask = (work: Promise<VerifyResult>): Promise<VerifyResult> => {
      asking.add(work);
      void work.finally(() => asking.delete(work)).catch(() => undefined);
      return work;
    };
    const service = new LiveService({
      config: plan.config, sops: plan.sops, detector: d, workerId,
      passwordOf: (cam) => plan.cameras.find((c) => c.config.id === cam.id)?.credentials?.password,
      ...(o.outbound === undefined ? {} : { outbound: o.outbound }),
      ...(o.onCameraLog === undefined ? {} : { onRecordingProblem: o.onCameraLog }),
      sink: (e) => sink.handle(e),
      ...(redis === undefined ? {} : { redis, leasePrefix: `${o.prefix ?? 'sopwatch'}:live:${plan.storeId}:` }),
      ...(agent === undefined ? {} : {
        // The scene goes with the question: the same rule on an unchanged scene reuses its last answer (vlm.reuse).
        verify: (request, frames) => ask(imagesNow().verifyKeyframes(request, frames).then(({ keyframes, scene }) => agent.verify({ request, keyframes, scene, storeId: plan.storeId }))),
      }),
    });
    running.set(plan.storeId, { plan, service, sink, asking });
    if (plan.sops.length > 0) imagesNow().warm().catch((err: unknown) => o.onError(`live: face finder: ${(err as Error).message}`));
    await service.start();
    // With leases, each camera's start is told by its `acquired` event.
    if (redis === undefined) for (const c of plan.cameras) sink.watchStarted(c.config.id, Date.now());
  }

  async function stopStore(storeId: string, reason: string): Promise<void> {
    const r = running.get(storeId);
    if (r === undefined) return;
    running.delete(storeId);
    const watched = r.service.watching();
    await r.service.stop();
    // An answer still coming decides a verdict of a closed segment: it is stored, not lost.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.allSettled([...r.asking]), new Promise((resolve) => { timer = setTimeout(resolve, ANSWER_GRACE_MS); })]);
    clearTimeout(timer);
    // With leases the distributor tells of each release; without, every camera stops here.
    if (redis === undefined) for (const name of watched) await r.sink.watchStopped(name, Date.now(), reason);
    await r.sink.idle();
    r.sink.close();
    const ids = r.plan.cameras.filter((c) => watched.includes(c.config.id)).map((c) => c.row.id);
    await status.markStopped(ids, workerId).catch((err: unknown) => o.onError(`live: status of stopped cameras: ${(err as Error).message}`));
  }

  async function refresh(): Promise<void> {
    if (stopped) return;
    if (o.camerasPath !== undefined) {
      try {
        file = await loadLiveConfig(o.camerasPath);
      } catch (err) {
        // A broken file keeps the cameras of the last good one.
        o.onError(`live: ${(err as Error).message}`);
      }
    }
    const secrets = o.secrets;
    const { plans, problems } = planLive({
      rows: await cameras.cameras(), sops: await cameras.enabledSops(), ...(file === undefined ? {} : { file }), ...(o.settings === undefined ? {} : { settings: o.settings }),
      ...(secrets === undefined ? {} : { openPassword: (row) => secrets.open(row.passwordSealed, cameraPasswordContext(row.id)) }),
    });
    const joined = problems.join('\n');
    if (joined !== lastProblems && joined !== '') o.onError(`live: ${joined}`);
    lastProblems = joined;
    const wanted = new Map(plans.map((p) => [p.storeId, p]));
    for (const storeId of [...running.keys()]) {
      const plan = wanted.get(storeId);
      if (plan === undefined || plan.fingerprint !== running.get(storeId)?.plan.fingerprint) await stopStore(storeId, 'not watched: the store\'s cameras or SOP files changed');
    }
    if (plans.length === 0) {
      await closeModels();
      return;
    }
    if (o.redisUrl !== undefined) await leases(o.redisUrl);
    const d = await useModels(plans);
    for (const plan of plans) if (!running.has(plan.storeId) && !stopped) await startStore(plan, d);
  }

  const reporter = new LiveReporter({
    db: o.db, dataDir: o.dataDir, workerId, images: imagesNow, stores: () => running.values(),
    snapshotEveryMs: o.snapshotEveryMs ?? 60_000, snapshotWantedEveryMs: o.snapshotWantedEveryMs ?? 2000, onError: o.onError,
  });
  const loop = (fn: () => Promise<void>, what: string, everyMs: number): { run(): Promise<void>; idle(): Promise<void>; timer: NodeJS.Timeout } => {
    let busy: Promise<void> | undefined;
    const run = (): Promise<void> => {
      busy ??= fn().catch((err: unknown) => o.onError(`live: ${what}: ${(err as Error).message}`)).finally(() => {
        busy = undefined;
      });
      return busy;
    };
    const timer = setInterval(() => void run(), everyMs);
    timer.unref();
    return { run, idle: () => busy ?? Promise.resolve(), timer };
  };
  const refreshLoop = loop(refresh, 'reading cameras and SOP files', o.refreshMs ?? 30_000);
  const reportLoop = loop(() => reporter.report(), 'reporting camera health', reportEveryMs);
  const snapshotLoop = loop(() => reporter.snapshots(), 'camera snapshots', Math.min(o.snapshotWantedEveryMs ?? 2000, 2000));
  let soon: NodeJS.Timeout | undefined;
  function scheduleReport(): void {
    soon ??= setTimeout(() => {
      soon = undefined;
      void reportLoop.run();
    }, 100);
  }
  await refreshLoop.run();

  return {
    workerId,
    refresh: () => refreshLoop.run(),
    watching: () => [...running.values()].map((r) => ({ storeId: r.plan.storeId, cameras: r.service.watching() })),
    stop: async () => {
      stopped = true;
      for (const l of [refreshLoop, reportLoop, snapshotLoop]) clearInterval(l.timer);
      clearTimeout(soon);
      await Promise.all([refreshLoop.idle(), reportLoop.idle(), snapshotLoop.idle()]);
      for (const storeId of [...running.keys()]) await stopStore(storeId, 'not watched: sopwatch stopped');
      await closeModels();
      await redis?.quit().catch(() => undefined);
    },
  };
}
