// The live worker serves new rules' needs from its pool as a view only while the pool is whole
// (live-worker-faces.test.ts): a pool that lost a thread for good is replaced instead. A new pool is started for the new
// needs with the threads asked for, the old one (and its face finder) closed, and every store watches on the new one,
// the store whose SOP did not change too. A real two-thread detector on a photo of people (the sheet of samples that
// ships with @vladmandic/human), a snapshot camera double on 127.0.0.1, an in-memory database (test/fixtures/live-worker-rig.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FACE_FINDER_NEEDS } from '../../services/analysis/face-finder.ts';
import type { Detections } from '../../services/core/contracts.ts';
import { CameraStatusRepository } from '../../services/core/storage/camera-status.repository.ts';
import { CameraUnmonitoredRepository } from '../../services/core/storage/camera-unmonitored.repository.ts';
import { floorSopYaml } from '../fixtures/floor-sop.ts';
import { HANDS, HANDS_RULE, PERSONS, startLiveRig, type LiveRig } from '../fixtures/live-worker-rig.ts';
import { allAnswered, answered, kinds, type Watched } from '../fixtures/watched-pool.ts';
import { blankFrame } from './detector-helpers.ts';

const THREADS = 2;

/** The cameras whose frames `ds` answer, sorted. */
const cameras = (ds: Detections[]): string[] => [...new Set(ds.map((d) => d.cameraId))].sort();

describe('live worker: new rules on a pool that lost a thread for good', () => {
  let rig: LiveRig;

  beforeAll(async () => {
    rig = await startLiveRig({ password: 'po0l:live@pw', threads: THREADS, otherCamera: 'dock-2' });
  }, 180_000);

  afterAll(async () => {
    await rig?.stop();
  });

  it('starts a new pool for the new needs, closes the old one, and every store detects on the new one', async () => {
    const { db, worker, store, camera, other, pools, errors, until, setSop } = rig;
    // One whole pool, for the rules' needs and the face finder's, both stores' frames on it.
    expect(pools.map((p) => p.options)).toEqual([{ needs: { ...PERSONS, pose: true, faces: true }, threads: THREADS }]);
    const [old] = pools as [Watched];
    expect(old.pool.liveThreads()).toBe(THREADS);
    await until('frames of both cameras detected', () => (cameras(answered(old, PERSONS)).length === 2 ? true : undefined));

    // Thread 0 is killed, then its replacement while it loads its models: a restart that fails is not tried again, the
    // pool goes on with one thread for good.
    await old.pool.terminateWorker(0);
    await old.pool.terminateWorker(0);
    expect(old.pool.liveThreads()).toBe(THREADS - 1);
    const detected = answered(old, PERSONS).length;
    await until('frames detected on the thread left', () => (answered(old, PERSONS).length >= detected + 2 ? true : undefined));
    expect(old.pool.liveThreads()).toBe(THREADS - 1);
    expect(pools).toHaveLength(1);

    const spans = new CameraUnmonitoredRepository(db);
    const reasons = async (storeId: string): Promise<string[]> => (await spans.recent([storeId])).map((s) => s.reason);
    const [storeBefore, otherBefore] = [await reasons(store), await reasons(other)];
    await setSop(floorSopYaml('dock-1', { id: 'dock-floor', extraRules: HANDS_RULE }));
    await worker?.refresh();
    const oldAnswers = allAnswered(old);

    // A new pool for the new needs joined with the face finder's, every thread asked for running; the old one closed.
    expect(pools.map((p) => p.options)).toEqual([
      { needs: { ...PERSONS, pose: true, faces: true }, threads: THREADS },
      { needs: { ...HANDS, pose: true, faces: true }, threads: THREADS },
    ]);
    const fresh = pools[1] as Watched;
    expect(fresh.pool).not.toBe(old.pool);
    expect(fresh.pool.threads).toBe(THREADS);
    expect(fresh.pool.liveThreads()).toBe(THREADS);
    expect(old.pool.liveThreads()).toBe(0);
    await expect(old.pool.detect(blankFrame())).rejects.toThrow(/closed/);
    // Both stores watch again: the changed one restarted for its SOP, the other one for the new pool.
    expect(worker?.watching()).toEqual(expect.arrayContaining([{ storeId: store, cameras: ['dock-1'] }, { storeId: other, cameras: ['dock-2'] }]));
    expect(await reasons(store)).toEqual(['not watched: the store\'s cameras or SOP files changed', ...storeBefore]);
    expect(await reasons(other)).toEqual(['not watched: the detector was reloaded for new rules', ...otherBefore]);

    // Detection goes on, on the new pool, for both cameras: on a view of the joined needs (hands), without faces.
    const seen = await until('frames of both cameras detected on the new pool', () => {
      const ds = answered(fresh, HANDS);
      return cameras(ds).length === 2 ? ds : undefined;
    });
    expect(kinds(seen)).toContain('person');
    expect(kinds(seen)).not.toContain('face');
    // Pictures are blurred by the new pool's face finder: the first snapshot of the camera (none was due before).
    const status = new CameraStatusRepository(db);
    expect((await status.statuses([store])).find((x) => x.cameraId === camera)?.snapshotPath).toBeNull();
    await status.wantSnapshot(camera, store);
    await until('a snapshot after the change', async () => ((await status.statuses([store])).find((x) => x.cameraId === camera)?.snapshotPath ?? undefined));
    expect(answered(fresh, FACE_FINDER_NEEDS).length).toBeGreaterThan(0);
    // Nothing more was asked of the old pool, and the new one stayed whole.
    expect(allAnswered(old)).toBe(oldAnswers);
    expect(fresh.whole).toBe(0);
    expect(fresh.pool.liveThreads()).toBe(THREADS);
    expect(errors.filter((e) => /closed|no face finder/.test(e))).toEqual([]);
  }, 300_000);
});
