// Chaos: a worker process killed with SIGKILL mid-analysis. A fresh worker takes the clip over by itself (BullMQ
// stalled-job recovery, the reconciler behind it) and every clip ends done once, with one set of violations.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from './helpers/api-client.ts';
import { type PrivatePostgres } from './helpers/postgres-server.ts';
import { type PrivateRedis } from './helpers/redis-server.ts';
import { clipRows, expectOneSetOfResults, waitAllDone } from './helpers/scenario.ts';
import { startServe, type ServeProcess } from './helpers/serve-process.ts';
import { startChaosWorld, type ChaosWorld } from './helpers/world.ts';
import { waitUntil } from './helpers/wait.ts';

describe('chaos: worker killed with SIGKILL mid-analysis', () => {
  let pg: PrivatePostgres | undefined;
  let redis: PrivateRedis | undefined;
  let vars: Record<string, string> = {};
  let processes: ServeProcess[] = [];
  let client: ApiClient;
  let target: { storeId: string; cameraId: string };
  let clips: string[] = [];
  let world: ChaosWorld | undefined;

  beforeAll(async () => {
    world = await startChaosWorld({ name: 'kill', processes: 'api', clips: [['long.mp4', 4], ['short.mp4', 2.5]] });
    ({ pg, redis, processes, client, target, vars, clips: clips } = world);
  });

  afterAll(async () => {
    await world?.destroy();
  });

  it('a new worker finishes the killed worker\'s clip and the one queued behind it; nothing is stored twice', async () => {
    const first = await startServe('worker-1', { ...vars, SOPWATCH_ROLES: 'worker' });
    processes.push(first);
    const ids: string[] = [];
    for (const file of clips) {
      const up = await client.upload(target.storeId, target.cameraId, file);
      expect(up.status, JSON.stringify(up.body)).toBe(202);
      expect(up.body.queued).toBe(true);
      ids.push(up.body.clip?.id ?? '');
    }
    const db = pg as PrivatePostgres;

    // Caught in the act: the first clip is being analysed and has reported progress.
    await waitUntil('the first clip to be analysing', 60_000, async () => {
      const row = (await clipRows(db)).find((r) => r.id === ids[0]);
      return row?.status === 'analysing' && row.progress > 0;
    }, 100);
    const killed = await first.kill('SIGKILL');
    expect(killed.signal).toBe('SIGKILL');
    const orphan = (await clipRows(db)).find((r) => r.id === ids[0]);
    expect(orphan).toMatchObject({ status: 'analysing', attempts: 1 });

    const t0 = Date.now();
    const second = await startServe('worker-2', { ...vars, SOPWATCH_ROLES: 'worker' });
    processes.push(second);
    const rows = await waitAllDone(db, ids, 150_000, () => second.log());
    const recoveredMs = Date.now() - t0;

    await expectOneSetOfResults(db, ids);
    // The killed clip ran twice (the second run finished it); the one queued behind it exactly once.
    expect(Object.fromEntries(rows.map((r) => [r.id, r.attempts]))).toEqual({ [ids[0] ?? '']: 2, [ids[1] ?? '']: 1 });
    // Seen through the API as well, by the API process that never stopped.
    const listed = await client.call<Array<{ clipId: string }>>('GET', `/api/violations?storeId=${target.storeId}`);
    expect(listed.status).toBe(200);
    expect(listed.body).toHaveLength(ids.length * 2);
    // Which path brought the clip back (either is automatic): BullMQ's stalled-job check reruns the same job id,
    // the reconciler queues the next one.
    const bull = (redis as PrivateRedis).client();
    const stalls = await bull.hget(`sopwatch:clip.analyse:j-clip.${ids[0] ?? ''}.a0`, 'stc').finally(() => bull.disconnect());
    const path = stalls === '1' ? 'the stalled-job check' : `the reconciler (stalled counter ${stalls ?? 'none'})`;
    process.stderr.write(`worker-kill: recovered by ${path}; all ${ids.length} clips done ${recoveredMs} ms after the new worker started; last runs ${rows.map((r) => r.run_ms).join(', ')} ms\n`);
  }, 240_000);
});
