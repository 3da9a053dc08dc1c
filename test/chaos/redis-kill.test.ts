// Chaos: Redis killed with SIGKILL mid-analysis and started again from its append-only file. Uploads during the
// outage answer at once (accepted and kept in the database, or 503, never a hang); readiness says 503; after the
// restart every clip — in flight, queued before, uploaded during the outage — ends done once.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from './helpers/api-client.ts';
import { startPostgres, type PrivatePostgres } from './helpers/postgres-server.ts';
import { startRedis, type PrivateRedis } from './helpers/redis-server.ts';
import { CHAOS_SOP_YAML, clipRows, expectOneSetOfResults, makeClip, serveVars, waitAllDone } from './helpers/scenario.ts';
import { addOwner, startServe, type ServeProcess } from './helpers/serve-process.ts';
import { sleep, waitUntil } from './helpers/wait.ts';

/** An upload of a small clip while Redis is down must be answered within this. */
const FAST_MS = 3_000;

describe('chaos: Redis killed and restarted from its AOF', () => {
  let pg: PrivatePostgres | undefined;
  let redis: PrivateRedis | undefined;
  let dataDir = '';
  const processes: ServeProcess[] = [];
  let client: ApiClient;
  let worker: ServeProcess;
  let target: { storeId: string; cameraId: string };
  const files: string[] = [];

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'sw-chaos-redis-kill-'));
    [pg, redis] = await Promise.all([startPostgres(), startRedis()]);
    const vars = serveVars({ databaseUrl: pg.url, redisUrl: redis.url, dataDir });
    const password = await addOwner(vars, 'owner@chaos.test', 'Redis St');
    const [api, w] = await Promise.all([startServe('api', { ...vars, SOPWATCH_ROLES: 'api' }), startServe('worker', { ...vars, SOPWATCH_ROLES: 'worker' })]);
    worker = w;
    processes.push(api, w);
    client = new ApiClient(api.url ?? '', FAST_MS * 3);
    await client.login('owner@chaos.test', password);
    target = await client.setupStore(CHAOS_SOP_YAML);
    files.push(await makeClip(dataDir, 'in-flight.mp4', 4), await makeClip(dataDir, 'queued.mp4', 2.5), await makeClip(dataDir, 'during.mp4', 2.5));
  });

  afterAll(async () => {
    await Promise.allSettled(processes.map((p) => p.kill('SIGKILL')));
    await Promise.allSettled([pg?.destroy(), redis?.destroy()]);
    if (dataDir !== '') await rm(dataDir, { recursive: true, force: true });
  });

  it('answers uploads at once during the outage and analyses every clip once after the restart', async () => {
    const db = pg as PrivatePostgres;
    const server = redis as PrivateRedis;
    const ids: string[] = [];
    for (const file of files.slice(0, 2)) {
      const up = await client.upload(target.storeId, target.cameraId, file);
      expect(up.status, JSON.stringify(up.body)).toBe(202);
      expect(up.body.queued).toBe(true);
      ids.push(up.body.clip?.id ?? '');
    }
    await waitUntil('the first clip to be analysing', 60_000, async () => (await clipRows(db)).some((r) => r.id === ids[0] && r.status === 'analysing' && r.progress > 0), 100);
    // The AOF is written every second: let the queued job reach the disk, as it would in any second but the last.
    await sleep(1_100);
    await server.kill('SIGKILL');

    const ready = await client.call<{ checks: Record<string, string> }>('GET', '/readyz');
    expect(ready.status).toBe(503);
    expect(ready.body.checks.queue).not.toBe('ok');
    expect(ready.ms).toBeLessThan(FAST_MS);
    const during: Array<{ status: number; ms: number; queued: boolean | undefined }> = [];
    for (const file of files.slice(2)) {
      const up = await client.upload(target.storeId, target.cameraId, file);
      during.push({ status: up.status, ms: Math.round(up.ms), queued: up.body.queued });
      expect([202, 503], JSON.stringify(up.body)).toContain(up.status);
      expect(up.ms, 'an upload during the outage is answered at once').toBeLessThan(FAST_MS);
      // Accepted means written to the database (the source of truth), even though it could not be queued.
      if (up.status === 202) ids.push(up.body.clip?.id ?? '');
    }
    // The database side of the API is unaffected.
    expect((await client.call('GET', `/api/violations/counts?storeId=${target.storeId}`)).status).toBe(200);

    // Down longer than a job lock, so the in-flight job's lock is gone when Redis comes back.
    await sleep(5_000);
    await server.start();
    await waitUntil('/readyz to answer 200 again', 20_000, async () => (await client.call('GET', '/readyz')).status === 200);

    const rows = await waitAllDone(db, ids, 150_000, () => worker.log());
    await expectOneSetOfResults(db, ids);
    expect(worker.child.exitCode, 'the worker was never restarted').toBeNull();
    // Every clip ran once, except that the one in flight may have run a second time after losing its lock.
    expect(rows.filter((r) => r.id !== ids[0]).map((r) => r.attempts)).toEqual(ids.slice(1).map(() => 1));
    expect(rows.find((r) => r.id === ids[0])?.attempts).toBeLessThanOrEqual(2);
    process.stderr.write(`redis-kill: uploads during the outage ${JSON.stringify(during)}; attempts ${rows.map((r) => r.attempts).join(', ')}\n`);
  }, 240_000);
});
