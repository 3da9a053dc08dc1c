// How `sopwatch serve` starts the live worker: its settings from the environment and the caller, the VLM agent from
// sopwatch.yaml when it names providers, problems to the log, new violations read by the live feed at once.
import type { FastifyInstance } from 'fastify';
import { createVlmAgent, type VlmAgent } from '../agent/index.ts';
import { loadConfig } from '../core/config.ts';
import { outboundPolicies, type Env } from '../core/env.ts';
import type { Database } from '../core/storage/index.ts';
import { startLiveWorker, type LiveWorker, type LiveWorkerOptions } from './live-worker.ts';

export interface ServiceLiveOptions extends Partial<Pick<LiveWorkerOptions, 'settings' | 'refreshMs' | 'reportEveryMs' | 'snapshotEveryMs' | 'snapshotWantedEveryMs' | 'detectorThreads' | 'camerasPath' | 'secrets'>> {
  /** Default true: the worker role watches every store camera that has a host (or a cameras.yaml entry). */
  enabled?: boolean;
  /** Default: built from sopwatch.yaml when it names providers; none means verify steps become review cases. */
  agent?: VlmAgent;
}

async function agentFor(env: Env, warn: (m: string) => void): Promise<VlmAgent | undefined> {
  try {
    const config = await loadConfig(env.configPath);
    return config.vlm.providers.length === 0 ? undefined : createVlmAgent(config.vlm, { outbound: outboundPolicies(env).service });
  } catch (err) {
    // Without a model, verify steps become review cases: never a silent pass, never a false alarm.
    warn(`live: no vision model for verify steps (${(err as Error).message})`);
    return undefined;
  }
}

export async function startLiveFor(o: {
  env: Env;
  db: Database;
  live: ServiceLiveOptions;
  redisUrl?: string;
  prefix?: string;
  app: () => FastifyInstance | undefined;
}): Promise<LiveWorker> {
  const warn = (message: string): void => {
    const app = o.app();
    if (app !== undefined) app.log.warn(message);
    else process.stderr.write(`${message}\n`);
  };
  const agent = o.live.agent ?? (await agentFor(o.env, warn));
  const camerasPath = o.live.camerasPath ?? o.env.camerasPath;
  return startLiveWorker({
    db: o.db,
    dataDir: o.env.dataDir,
    detectorThreads: o.live.detectorThreads ?? o.env.detectorThreads,
    ...(camerasPath === undefined ? {} : { camerasPath }),
    ...(o.live.secrets === undefined ? {} : { secrets: o.live.secrets }),
    ...(o.redisUrl === undefined ? {} : { redisUrl: o.redisUrl }),
    ...(o.prefix === undefined ? {} : { prefix: o.prefix }),
    ...(agent === undefined ? {} : { agent }),
    ...(o.live.settings === undefined ? {} : { settings: o.live.settings }),
    ...(o.live.refreshMs === undefined ? {} : { refreshMs: o.live.refreshMs }),
    ...(o.live.reportEveryMs === undefined ? {} : { reportEveryMs: o.live.reportEveryMs }),
    ...(o.live.snapshotEveryMs === undefined ? {} : { snapshotEveryMs: o.live.snapshotEveryMs }),
    ...(o.live.snapshotWantedEveryMs === undefined ? {} : { snapshotWantedEveryMs: o.live.snapshotWantedEveryMs }),
    outbound: outboundPolicies(o.env).camera,
    onError: warn,
    onCameraLog: warn,
    // In this process the feed can read at once instead of at its next poll; other processes see the row then.
    onViolation: () => {
      const feed = o.app()?.sopwatch.feed;
      if (feed !== undefined && feed.size > 0) void feed.poll();
    },
  });
}
