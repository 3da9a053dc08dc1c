// The setup every chaos scenario shares: private PostgreSQL and Redis, an owner, sopwatch processes, a store, clips.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiClient } from './api-client.ts';
import { startPostgres, type PrivatePostgres } from './postgres-server.ts';
import { startRedis, type PrivateRedis } from './redis-server.ts';
import { CHAOS_SOP_YAML, makeClip, serveVars } from './scenario.ts';
import { addOwner, startServe, type ServeProcess } from './serve-process.ts';
import { optInLoopback } from '../../doubles/outbound.ts';

// The doubles listen on 127.0.0.1: opt in to loopback cameras, webhooks and models as an operator would.
optInLoopback();

export interface ChaosWorld {
  pg: PrivatePostgres;
  redis: PrivateRedis;
  dataDir: string;
  /** Environment for more `sopwatch serve` processes against the same servers. */
  vars: Record<string, string>;
  /** Every process started, by the world or the test: all are SIGKILLed at the end. */
  processes: ServeProcess[];
  client: ApiClient;
  /** The process that runs the jobs (absent with `processes: 'api'`: the test starts workers itself). */
  worker?: ServeProcess;
  target: { storeId: string; cameraId: string };
  clips: string[];
  destroy(): Promise<void>;
}

export interface ChaosWorldOptions {
  /** Names the temp directory and the store. */
  name: string;
  /** `split`: an API and a worker process; `together`: one `api,worker` process; `api`: the API only. */
  processes: 'split' | 'together' | 'api';
  clientTimeoutMs?: number;
  /** Clips to make: file name and seconds. */
  clips: Array<[string, number]>;
}

export async function startChaosWorld(o: ChaosWorldOptions): Promise<ChaosWorld> {
  const dataDir = await mkdtemp(join(tmpdir(), `sw-chaos-${o.name}-`));
  const processes: ServeProcess[] = [];
  const [pgSettled, redisSettled] = await Promise.allSettled([startPostgres(), startRedis()]);
  const destroy = async (): Promise<void> => {
    await Promise.allSettled(processes.map((p) => p.kill('SIGKILL')));
    await Promise.allSettled([
      pgSettled.status === 'fulfilled' ? pgSettled.value.destroy() : undefined,
      redisSettled.status === 'fulfilled' ? redisSettled.value.destroy() : undefined,
    ]);
    await rm(dataDir, { recursive: true, force: true });
  };
  try {
    if (pgSettled.status === 'rejected') throw pgSettled.reason;
    if (redisSettled.status === 'rejected') throw redisSettled.reason;
    const pg = pgSettled.value;
    const redis = redisSettled.value;
    const vars = serveVars({ databaseUrl: pg.url, redisUrl: redis.url, dataDir });
    const password = await addOwner(vars, 'owner@chaos.test', `${o.name} St`);
    let api: ServeProcess;
    let worker: ServeProcess | undefined;
    if (o.processes === 'together') {
      api = await startServe('api+worker', { ...vars, SOPWATCH_ROLES: 'api,worker' });
      worker = api;
      processes.push(api);
    } else if (o.processes === 'split') {
      [api, worker] = await Promise.all([startServe('api', { ...vars, SOPWATCH_ROLES: 'api' }), startServe('worker', { ...vars, SOPWATCH_ROLES: 'worker' })]);
      processes.push(api, worker);
    } else {
      api = await startServe('api', { ...vars, SOPWATCH_ROLES: 'api' });
      processes.push(api);
    }
    const client = o.clientTimeoutMs === undefined ? new ApiClient(api.url ?? '') : new ApiClient(api.url ?? '', o.clientTimeoutMs);
    await client.login('owner@chaos.test', password);
    const target = await client.setupStore(CHAOS_SOP_YAML);
    const clips: string[] = [];
    for (const [file, seconds] of o.clips) clips.push(await makeClip(dataDir, file, seconds));
    return { pg, redis, dataDir, vars, processes, client, ...(worker ? { worker } : {}), target, clips, destroy };
  } catch (err) {
    await destroy();
    throw err;
  }
}
