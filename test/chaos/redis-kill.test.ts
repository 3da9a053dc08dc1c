// Chaos: Redis killed with SIGKILL mid-analysis and started again from its append-only file. Uploads during the
// outage answer at once (accepted and kept in the database, or 503, never a hang); readiness says 503; after the
// restart every clip — in flight, queued before, uploaded during the outage — ends done once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from './helpers/api-client.ts';
import { type PrivatePostgres } from './helpers/postgres-server.ts';
import { type PrivateRedis } from './helpers/redis-server.ts';
import { clipRows, expectOneSetOfResults, waitAllDone } from './helpers/scenario.ts';
import { type ServeProcess } from './helpers/serve-process.ts';
import { startChaosWorld, type ChaosWorld } from './helpers/world.ts';
import { sleep, waitUntil } from './helpers/wait.ts';

/** An upload of a small clip while Redis is down must be answered within this. */
const FAST_MS = 3_000;

describe('chaos: Redis killed and restarted from its AOF', () => {
  let pg: PrivatePostgres | undefined;
  let redis: PrivateRedis | undefined;
  let client: ApiClient;
  let worker: ServeProcess;
  let target: { storeId: string; cameraId: string };
  let files: string[] = [];
  let world: ChaosWorld | undefined;

  beforeAll(async () => {
    world = await startChaosWorld({ name: 'redis-kill', processes: 'split', clientTimeoutMs: FAST_MS * 3, clips: [['in-flight.mp4', 4], ['queued.mp4', 2.5], ['during.mp4', 2.5]] });
    ({ pg, redis, client, target, clips: files } = world);
    worker = world.worker as ServeProcess;
  });

  afterAll(async () => {
    await world?.destroy();
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
      // Accepted, and said plainly not to be queued: written to the database (the source of truth), which the
      // reconciler queues from once Redis is back. Each of them is followed up below like the others.
      expect(up.status, JSON.stringify(up.body)).toBe(202);
      expect(up.body.queued, 'an upload during the outage cannot have been queued').toBe(false);
      expect(up.ms, 'an upload during the outage is answered at once').toBeLessThan(FAST_MS);
      ids.push(up.body.clip?.id ?? '');
    }
    expect(during).toHaveLength(files.length - 2);
    const notQueued = ids.slice(2);
    expect((await clipRows(db)).filter((r) => notQueued.includes(r.id)).map((r) => r.status)).toEqual(notQueued.map(() => 'accepted'));
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
