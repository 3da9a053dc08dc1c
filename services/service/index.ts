// `sopwatch serve` wiring: database and queue, the API and/or the worker by role, the reconciler, graceful close.
import { join } from 'node:path';
import type { FastifyInstance, FastifyServerOptions } from 'fastify';
import { buildApp, type ApiConfig } from '../api/index.ts';
import { dashboardPlugin } from '../api/plugins/app/dashboard.plugin.ts';
import { outboundPolicies, env as processEnv, type Env } from '../core/env.ts';
import { UsageError } from '../core/errors.ts';
import { defaultQueueSettings, openJobQueue, startWorkers, type JobQueue, type OpenQueueOptions, type QueueSettings } from '../core/queue/index.ts';
import { openSecretBox } from '../core/secrets.ts';
import { openDatabase, type Database, type OpenDatabaseOptions } from '../core/storage/index.ts';
import { createClipAnalyseWorker } from './clip-analyse.handler.ts';
import { ClipDetectors } from './clip-detectors.ts';
import { SessionRepository } from '../core/storage/sessions.repository.ts';
import { handlerRegistry } from './handlers.ts';
import { loadConfig, type SopwatchConfig } from '../core/config.ts';
import { createNotifier, jsonPoster, type Notifier } from '../notify/index.ts';
import { createRetentionSweepHandler, startRetentionSchedule, type RetentionSchedule } from '../privacy/index.ts';
import { DEFAULT_RECONCILE_IDLE_MS, startReconciler, type Reconciler } from './reconciler.ts';
import { startLiveFor, type ServiceLiveOptions } from './live-wiring.ts';
import type { LiveWorker } from './live-worker.ts';

export { createClipAnalyseWorker, type AnalyzeFn, type ClipAnalyseDeps, type ClipAnalyseWorker } from './clip-analyse.handler.ts';
export { ClipDetectors, type ClipDetectorsLease, type ClipDetectorsOptions } from './clip-detectors.ts';
export { startReconciler, type Reconciler, type ReconcilerOptions } from './reconciler.ts';
export { startLiveWorker, type LiveWorker, type LiveWorkerOptions } from './live-worker.ts';
export type { ServiceLiveOptions } from './live-wiring.ts';

const SESSION_PURGE_MS = 3_600_000;

export interface ServiceOptions {
  /** Default: this process's environment. */
  env?: Env;
  port?: number;
  host?: string;
  /** Overrides of how the database is opened (tests: a PostgreSQL schema). */
  database?: OpenDatabaseOptions;
  /** Overrides of how the queue is opened (tests: a Redis key prefix). */
  queue?: OpenQueueOptions;
  queueSettings?: Partial<QueueSettings>;
  api?: Partial<ApiConfig>;
  logger?: FastifyServerOptions['logger'];
  reconcile?: { idleMs?: number; intervalMs?: number };
  /** Live cameras in the worker role (stall limits, refresh pace, the VLM agent…). */
  live?: ServiceLiveOptions;
  /** sopwatch.yaml, already loaded (default: loaded from SOPWATCH_CONFIG or ./sopwatch.yaml). */
  config?: SopwatchConfig;
  /** The clip worker's detectors, kept warm across jobs and closed with the service (default: a new ClipDetectors). */
  clipDetectors?: ClipDetectors;
}

export interface RunningService {
  db: Database;
  queue: JobQueue;
  app?: FastifyInstance;
  /** `http://host:port` when the API listens. */
  url?: string;
  reconciler?: Reconciler;
  /** The live cameras this worker watches. */
  live?: LiveWorker;
  /** Stops taking requests, stops running analyses (they are queued again), waits for jobs, closes everything. */
  close(): Promise<void>;
}

export async function startService(options: ServiceOptions = {}): Promise<RunningService> {
  const env = options.env ?? processEnv();
  const both = env.roles.includes('api') && env.roles.includes('worker');
  if (!both && env.redisUrl === undefined && options.queue?.redisUrl === undefined) {
    throw new UsageError(`SOPWATCH_ROLES=${env.roles.join(',')} needs REDIS_URL: without Redis, jobs run only in the process that queued them`);
  }
  // Settings from the environment first; what the caller passes wins.
  const queueSettings: Partial<QueueSettings> = {
    ...(env.jobLockMs === undefined ? {} : { lockDurationMs: env.jobLockMs }),
    ...(env.jobStalledCheckMs === undefined ? {} : { stalledIntervalMs: env.jobStalledCheckMs }),
    ...(env.jobBackoffMs === undefined ? {} : { backoffMs: env.jobBackoffMs }),
    ...options.queueSettings,
  };
  const reconcile = {
    ...(env.reconcileIdleMs === undefined ? {} : { idleMs: env.reconcileIdleMs }),
    ...(env.reconcileIntervalMs === undefined ? {} : { intervalMs: env.reconcileIntervalMs }),
    ...options.reconcile,
  };
  // The key that seals camera passwords: SOPWATCH_SECRET_KEY, or the data directory's key file (created now if new).
  const secrets = await openSecretBox({ dataDir: env.dataDir, ...(env.secretKey === undefined ? {} : { envKey: env.secretKey }) });
  // A service runs for days: V8 may optimise the embedded database's hot code (pglite-wasm.ts).
  const db = await openDatabase({ tiering: 'early', ...(options.database ?? (env.databaseUrl !== undefined ? { url: env.databaseUrl } : { dir: join(env.dataDir, 'db') })) });
  let queue: JobQueue;
  try {
    queue = await openJobQueue({ ...(env.redisUrl === undefined ? {} : { redisUrl: env.redisUrl }), ...options.queue, settings: queueSettings });
  } catch (err) {
    await db.close();
    throw err;
  }
  const settings = { ...defaultQueueSettings, ...queueSettings };
  // Loading the models took seconds of CPU per clip, before its first alert: the worker keeps them between clips.
  const detectors = env.roles.includes('worker') ? (options.clipDetectors ?? new ClipDetectors()) : undefined;
  const worker = createClipAnalyseWorker({
    db, dataDir: env.dataDir, maxAttempts: settings.attempts, ...(env.analysisFps === undefined ? {} : { fps: env.analysisFps }),
    ...(detectors === undefined ? {} : { detectors }),
    // Well inside the reconciler's idle time, so a clip being analysed never looks abandoned.
    heartbeatMs: Math.max(250, Math.min(15_000, Math.floor((reconcile.idleMs ?? DEFAULT_RECONCILE_IDLE_MS) / 4))),
  });
  const running: RunningService = { db, queue, close: async () => undefined };
  let notifier: Notifier | undefined;
  let retention: RetentionSchedule | undefined;
  try {
    if (env.roles.includes('worker')) {
      const config = options.config ?? (await loadConfig(env.configPath));
      notifier = createNotifier({ db, queue, config: config.notify, transports: { http: jsonPoster(outboundPolicies(env).service) }, onError: (err) => running.app?.log.warn({ err }, 'notifier pass failed') });
      const retentionSweep = createRetentionSweepHandler({ db, dataDir: env.dataDir });
      // Ready for the camera that sent the last clip, before the next one arrives (a queued clip shares the start).
      void worker.warm().catch((err: unknown) => running.app?.log.warn({ err }, 'warming the clip detectors failed'));
      startWorkers(queue, handlerRegistry(worker, { notificationSend: notifier.handleSend, retentionSweep }));
      notifier.start();
      retention = startRetentionSchedule({ queue, onError: (err) => running.app?.log.warn({ err }, 'retention schedule failed') });
      running.reconciler = startReconciler({
        db, queue, ...reconcile,
        onError: (err) => running.app?.log.warn({ err }, 'reconciler pass failed'),
      });
      // Embedded database and in-process queue: nothing else can be running these clips, so take them all now.
      const alone = db.kind === 'pglite' && queue.kind === 'in-process';
      await running.reconciler.runOnce(alone ? 0 : reconcile.idleMs);
    }
    if (env.roles.includes('api')) {
      const app = buildApp({
        db, queue, dataDir: env.dataDir, secrets, logger: options.logger ?? false,
        config: {
          // DNS rebinding: only loopback names and the public origin's host are answered (services/api/README.md).
          maxUploadBytes: env.maxUploadBytes, cookieSecure: env.cookieSecure, hostCheck: true,
          ...(env.metricsToken === undefined ? {} : { metricsToken: env.metricsToken }),
          ...(env.publicOrigin === undefined ? {} : { publicOrigin: env.publicOrigin }),
          ...(env.analysisFps === undefined ? {} : { analysisFps: env.analysisFps }),
          cameraPolicy: outboundPolicies(env).camera,
          ...options.api,
        },
      });
      // The web UI: its pages and assets are public (the data behind them is not), so it sits beside the API.
      void app.register(dashboardPlugin);
      running.app = app;
      running.url = await app.listen({ port: options.port ?? 8080, host: options.host ?? '127.0.0.1' });
    }
    if (env.roles.includes('worker') && options.live?.enabled !== false) {
      const redisUrl = options.queue?.redisUrl ?? env.redisUrl;
      running.live = await startLiveFor({
        env, db, live: { secrets, ...options.live }, app: () => running.app,
        ...(redisUrl === undefined || options.queue?.inProcess === true ? {} : { redisUrl }),
        ...(options.queue?.prefix === undefined ? {} : { prefix: options.queue.prefix }),
      });
    }
  } catch (err) {
    retention?.stop();
    await notifier?.stop();
    await running.live?.stop();
    running.reconciler?.stop();
    await running.app?.close();
    await queue.close();
    await detectors?.close();
    await db.close();
    throw err;
  }
  // Ended sessions are kept a day (for the audit of who was signed in), then removed.
  const sessions = new SessionRepository(db);
  const purge = setInterval(() => void sessions.purgeEnded().catch(() => undefined), SESSION_PURGE_MS);
  purge.unref();
  let closing: Promise<void> | undefined;
  running.close = () => {
    closing ??= (async () => {
      clearInterval(purge);
      await running.app?.close();
      await running.live?.stop();
      running.reconciler?.stop();
      retention?.stop();
      await notifier?.stop();
      worker.abortAll();
      await queue.close();
      await detectors?.close();
      await db.close();
    })();
    return closing;
  };
  return running;
}
