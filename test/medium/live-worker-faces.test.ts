// The live worker's face finder runs on its live detector pool: one pool, started with the cameras' needs joined with
// the face finder's, serves the pipelines (a view of their needs: no faces in what the rules see) and the blurring of
// keyframes and snapshots (the face finder's views). When the rules' needs change, the same pool serves them as a view
// (it has the face finder's models, so every model): the store whose SOP changed restarts on it, another store goes on
// watching without a break (a pool that lost a thread is replaced instead: live-worker-pool-replaced.test.ts). A real
// detector on a photo of people (the sheet of samples that ships with @vladmandic/human), a snapshot camera double, an
// in-memory database.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FACE_FINDER_NEEDS } from '../../services/analysis/face-finder.ts';
import { ViolationRepository } from '../../services/core/storage/index.ts';
import { CameraStatusRepository } from '../../services/core/storage/camera-status.repository.ts';
import { CameraUnmonitoredRepository } from '../../services/core/storage/camera-unmonitored.repository.ts';
import { floorSopYaml } from '../fixtures/floor-sop.ts';
import { HANDS, HANDS_RULE, NONE, PERSONS, startLiveRig, type LiveRig } from '../fixtures/live-worker-rig.ts';
import { allAnswered, answered, kinds, type Watched } from '../fixtures/watched-pool.ts';

const FACES_ONLY = { ...NONE, faces: true };

describe('live worker: the face finder on the live pool', () => {
  let rig: LiveRig;

  beforeAll(async () => {
    rig = await startLiveRig({ password: 'f4ces:live@pw', threads: 1 });
  }, 180_000);

  afterAll(async () => {
    await rig?.stop();
  });

  it('blurs the keyframes on the live pool, whose frames include the face finder\'s; the rules see no face', async () => {
    const { db, store, pools, until } = rig;
    // One pool, for the rules' needs and the face finder's, with the threads asked for.
    expect(pools.map((p) => p.options)).toEqual([{ needs: { ...PERSONS, pose: true, faces: true }, threads: 1 }]);
    const [live] = pools as [Watched];
    expect(live.pool.models).toEqual(['centernet', 'movenet-lightning', 'blazeface']);
    const v = await until('a violation with its keyframes', async () => (await new ViolationRepository(db).list({ storeIds: [store] })).find((x) => x.evidence.length > 0));
    expect(v.rule).toBe('floor');

    // The rules ran on a view of their own needs: persons, as a persons-only pool answers (no faces, no keypoints).
    const seen = answered(live, PERSONS);
    expect(seen.length).toBeGreaterThan(0);
    expect(kinds(seen)).toEqual(['person']);
    expect(seen.flatMap((d) => d.items).every((i) => (i.keypoints?.length ?? 0) === 0)).toBe(true);
    // The face finder's look and its checks ran on the same pool, as views.
    expect(answered(live, FACE_FINDER_NEEDS).length).toBeGreaterThan(0);
    const checks = answered(live, FACES_ONLY);
    expect(checks.length).toBeGreaterThan(0);
    expect(kinds(checks).every((k) => k === 'face')).toBe(true);
    // Every frame the pool answered was asked through these views (read around the pool's count: detection goes on).
    const before = allAnswered(live);
    const frames = (await live.pool.stats()).reduce((n, s) => n + s.frames, 0);
    expect(frames).toBeGreaterThanOrEqual(before);
    expect(frames).toBeLessThanOrEqual(allAnswered(live));
    expect(frames).toBeGreaterThan(seen.length);
    expect(live.whole).toBe(0);
    // Still one pool.
    expect(pools).toHaveLength(1);
  });

  it('serves new rules\' needs from the same pool as a view: the store whose SOP changed restarts on it, the other watches on', async () => {
    const { db, worker, store, camera, other, pools, errors, until, setSop } = rig;
    const [live] = pools as [Watched];
    const spans = new CameraUnmonitoredRepository(db);
    const reasons = async (storeId: string): Promise<string[]> => (await spans.recent([storeId])).map((s) => s.reason);
    expect(await reasons(other)).toEqual([]);
    await setSop(floorSopYaml('dock-1', { id: 'dock-floor', extraRules: HANDS_RULE }));
    await worker?.refresh();
    expect(worker?.watching()).toEqual(expect.arrayContaining([{ storeId: store, cameras: ['dock-1'] }, { storeId: other, cameras: ['dock-1'] }]));
    // No second pool: the first one (persons, pose, faces loaded for the face finder) runs the hands rule's models too.
    expect(pools).toHaveLength(1);
    expect(live.pool.liveThreads()).toBe(1);
    // The store whose SOP file changed was restarted for that; the other one was not stopped at all.
    expect(await reasons(store)).toEqual(['not watched: the store\'s cameras or SOP files changed']);
    expect(await reasons(other)).toEqual([]);

    // The changed store's rules now run on a view with hands (the pose model's wrists), still without faces.
    const hands = await until('frames detected for the hands rule', () => {
      const seen = answered(live, HANDS);
      return seen.length > 0 ? seen : undefined;
    });
    expect(kinds(hands).includes('face')).toBe(false);
    // Pictures go on being blurred on the same pool: the first snapshot of the camera (none was due before).
    const looks = answered(live, FACE_FINDER_NEEDS).length;
    const status = new CameraStatusRepository(db);
    expect((await status.statuses([store])).find((x) => x.cameraId === camera)?.snapshotPath).toBeNull();
    await status.wantSnapshot(camera, store);
    await until('a snapshot after the change', async () => ((await status.statuses([store])).find((x) => x.cameraId === camera)?.snapshotPath ?? undefined));
    expect(answered(live, FACE_FINDER_NEEDS).length).toBeGreaterThan(looks);
    expect(answered(live, FACES_ONLY).length).toBeGreaterThan(0);
    expect(live.whole).toBe(0);
    expect(errors.filter((e) => /closed|no face finder/.test(e))).toEqual([]);
  });
});
