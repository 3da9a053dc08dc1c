// Chaos: Redis loses every key (FLUSHALL) while one clip is analysed and another waits. The database is the source of
// truth: the reconciler queues the accepted but unfinished clip again, and each ends done exactly once.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from './helpers/api-client.ts';
import { startPostgres, type PrivatePostgres } from './helpers/postgres-server.ts';
import { startRedis, type PrivateRedis } from './helpers/redis-server.ts';
import { CHAOS_SOP_YAML, clipRows, expectOneSetOfResults, makeClip, serveVars, waitAllDone } from './helpers/scenario.ts';
import { addOwner, startServe, type ServeProcess } from './helpers/serve-process.ts';
import { waitUntil } from './helpers/wait.ts';

describe('chaos: Redis flushed mid-way', () => {
  let pg: PrivatePostgres | undefined;
  let redis: PrivateRedis | undefined;
  let dataDir = '';
  const processes: ServeProcess[] = [];
  let client: ApiClient;
  let worker: ServeProcess;
  let target: { storeId: string; cameraId: string };
  const files: string[] = [];

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'sw-chaos-redis-flush-'));
    [pg, redis] = await Promise.all([startPostgres(), startRedis()]);
    const vars = serveVars({ databaseUrl: pg.url, redisUrl: redis.url, dataDir });
    const password = await addOwner(vars, 'owner@chaos.test', 'Flush St');
    // API and worker in one process this time (SOPWATCH_ROLES=api,worker), as a single-box install runs it.
    const both = await startServe('api+worker', { ...vars, SOPWATCH_ROLES: 'api,worker' });
    worker = both;
    processes.push(both);
    client = new ApiClient(both.url ?? '');
    await client.login('owner@chaos.test', password);
    target = await client.setupStore(CHAOS_SOP_YAML);
    files.push(await makeClip(dataDir, 'in-flight.mp4', 4), await makeClip(dataDir, 'waiting.mp4', 2.5));
  });

  afterAll(async () => {
    await Promise.allSettled(processes.map((p) => p.kill('SIGKILL')));
    await Promise.allSettled([pg?.destroy(), redis?.destroy()]);
    if (dataDir !== '') await rm(dataDir, { recursive: true, force: true });
  });

  it('re-queues what the flush lost from the database and analyses every clip once', async () => {
    const db = pg as PrivatePostgres;
    const server = redis as PrivateRedis;
    const ids: string[] = [];
    for (const file of files) {
      const up = await client.upload(target.storeId, target.cameraId, file);
      expect(up.status, JSON.stringify(up.body)).toBe(202);
      expect(up.body.queued).toBe(true);
      ids.push(up.body.clip?.id ?? '');
    }
    await waitUntil('the first clip to be analysing', 60_000, async () => (await clipRows(db)).some((r) => r.id === ids[0] && r.status === 'analysing' && r.progress > 0), 100);
    const probe = server.client();
    try {
      expect(await probe.dbsize()).toBeGreaterThan(0);
      await server.flushAll();
      // Nothing of the queue is left: the waiting jobs are gone, only the database knows about the clips.
      expect(await probe.keys('sopwatch:clip.analyse:j-*')).toEqual([]);
    } finally {
      probe.disconnect();
    }
    const before = await clipRows(db);
    expect(before.find((r) => r.id === ids[1])?.status).toBe('accepted');

    const rows = await waitAllDone(db, ids, 150_000, () => worker.log());
    await expectOneSetOfResults(db, ids);
    // The analysis under way when Redis was emptied carried on; nothing ran twice.
    expect(rows.map((r) => r.attempts)).toEqual([1, 1]);
    expect(worker.child.exitCode).toBeNull();
    expect((await client.call('GET', '/readyz')).status).toBe(200);
  }, 240_000);
});
