// Chaos: PostgreSQL restarted (`pg_ctl restart -m fast`) during an analysis, then stopped (`-m fast`) late in it and
// started again once the worker has given up on its jobs. While it is down the API answers 503 at once (readiness and data routes, never a hang); afterwards
// it serves again without a restart of sopwatch, and every clip — in flight or queued behind — ends done once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from './helpers/api-client.ts';
import { type PrivatePostgres } from './helpers/postgres-server.ts';
import { type PrivateRedis } from './helpers/redis-server.ts';
import { clipRows, expectOneSetOfResults, waitAllDone } from './helpers/scenario.ts';
import { type ServeProcess } from './helpers/serve-process.ts';
import { startChaosWorld, type ChaosWorld } from './helpers/world.ts';
import { waitUntil } from './helpers/wait.ts';

/** Longest an answer may take while the database is down: the readiness deadline (2 s) and some slack. */
const FAST_MS = 3_000;

describe('chaos: PostgreSQL stopped and started under a running sopwatch', () => {
  let pg: PrivatePostgres | undefined;
  let redis: PrivateRedis | undefined;
  let client: ApiClient;
  let worker: ServeProcess;
  let target: { storeId: string; cameraId: string };
  let files: string[] = [];
  let world: ChaosWorld | undefined;

  beforeAll(async () => {
    world = await startChaosWorld({ name: 'pg-restart', processes: 'split', clientTimeoutMs: FAST_MS * 2, clips: [['in-flight.mp4', 4], ['queued.mp4', 2.5]] });
    ({ pg, redis, client, target, clips: files } = world);
    worker = world.worker as ServeProcess;
  });

  afterAll(async () => {
    await world?.destroy();
  });

  it('answers 503 quickly while the database is down, recovers by itself, and finishes every clip once', async () => {
    const db = pg as PrivatePostgres;
    const ids: string[] = [];
    for (const file of files) {
      const up = await client.upload(target.storeId, target.cameraId, file);
      expect(up.status, JSON.stringify(up.body)).toBe(202);
      ids.push(up.body.clip?.id ?? '');
    }
    // A plain `pg_ctl restart -m fast` while the first clip is being analysed: every pooled connection is cut.
    await waitUntil('the first clip to be analysing', 60_000, async () => (await clipRows(db)).some((r) => r.id === ids[0] && r.status === 'analysing' && r.progress > 0), 100);
    await db.restart('fast');
    await waitUntil('/readyz to answer 200 after the restart', 20_000, async () => (await client.call('GET', '/readyz')).status === 200);

    // Then stopped late in that analysis, so that it ends while the database is away and cannot store its result.
    await waitUntil('the first clip to be past detection', 60_000, async () => (await clipRows(db)).some((r) => r.id === ids[0] && r.status === 'analysing' && r.progress >= 0.9), 100);
    const pidBefore = await db.pid();
    await db.stop('fast');
    expect(await db.pid()).toBeUndefined();

    const down = {
      ready: await client.call<{ checks: Record<string, string> }>('GET', '/readyz'),
      violations: await client.call('GET', `/api/violations?storeId=${target.storeId}`),
      clip: await client.call('GET', `/api/clips/${ids[0] ?? ''}`),
      counts: await client.call('GET', `/api/violations/counts?storeId=${target.storeId}`),
    };
    expect(down.ready.status).toBe(503);
    expect(down.ready.body.checks.database).not.toBe('ok');
    for (const [route, answer] of Object.entries(down)) {
      expect(answer.status, `${route} while the database is down`).toBe(503);
      expect(answer.ms, `${route} answered in ${answer.ms} ms`).toBeLessThan(FAST_MS);
    }
    // Down until the worker has given up on both jobs (every retry failed against the missing database): the
    // worst case, where only the database still knows that the clips are unfinished.
    const bull = (redis as PrivateRedis).client();
    try {
      await waitUntil('both jobs to fail for good', 60_000, async () => (await bull.zcard('sopwatch:clip.analyse:failed')) >= 2, 250);
    } finally {
      bull.disconnect();
    }
    await db.start();
    expect(await db.pid()).not.toBe(pidBefore);

    await waitUntil('/readyz to answer 200 again', 20_000, async () => (await client.call('GET', '/readyz')).status === 200);
    const again = await client.call<Array<{ id: string }>>('GET', `/api/clips?storeId=${target.storeId}`);
    expect(again.status, 'the same session works after the restart').toBe(200);
    expect(again.body.map((c) => c.id).sort()).toEqual([...ids].sort());

    const rows = await waitAllDone(db, ids, 120_000, () => worker.log());
    await expectOneSetOfResults(db, ids);
    expect(worker.child.exitCode, 'the worker was never restarted').toBeNull();
    process.stderr.write(`postgres-restart: attempts ${rows.map((r) => r.attempts).join(', ')}; down answers ${Object.values(down).map((a) => `${a.status}/${Math.round(a.ms)}ms`).join(' ')}\n`);
  }, 240_000);
});
