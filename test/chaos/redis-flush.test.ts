// Chaos: Redis loses every key (FLUSHALL) while one clip is analysed and another waits. The database is the source of
// truth: the reconciler queues the accepted but unfinished clip again, and each ends done exactly once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from './helpers/api-client.ts';
import { type PrivatePostgres } from './helpers/postgres-server.ts';
import { type PrivateRedis } from './helpers/redis-server.ts';
import { clipRows, expectOneSetOfResults, waitAllDone } from './helpers/scenario.ts';
import { type ServeProcess } from './helpers/serve-process.ts';
import { startChaosWorld, type ChaosWorld } from './helpers/world.ts';
import { waitUntil } from './helpers/wait.ts';

describe('chaos: Redis flushed mid-way', () => {
  let pg: PrivatePostgres | undefined;
  let redis: PrivateRedis | undefined;
  let client: ApiClient;
  let worker: ServeProcess;
  let target: { storeId: string; cameraId: string };
  let files: string[] = [];
  let world: ChaosWorld | undefined;

  beforeAll(async () => {
    world = await startChaosWorld({ name: 'redis-flush', processes: 'together', clips: [['in-flight.mp4', 4], ['waiting.mp4', 2.5]] });
    ({ pg, redis, client, target, clips: files } = world);
    worker = world.worker as ServeProcess;
  });

  afterAll(async () => {
    await world?.destroy();
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
