// The live worker's face finder runs on its live detector pool: one pool, started with the cameras' needs joined with
// the face finder's, serves the pipelines (a view of their needs: no faces in what the rules see) and the blurring of
// keyframes and snapshots (the face finder's views). When the rules' needs change, the same pool serves them as a view
// (it has the face finder's models, so every model): the store whose SOP changed restarts on it, another store goes on
// watching without a break (a pool that lost a thread is replaced instead: live-worker-pool-replaced.test.ts). A real
// detector on a photo of people (the sheet of samples that ships with @vladmandic/human), a snapshot camera double, an
// in-memory database.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FACE_FINDER_NEEDS } from '../../services/analysis/face-finder.ts';
import { openDatabase, ViolationRepository, type Database } from '../../services/core/storage/index.ts';
import { CameraStatusRepository } from '../../services/core/storage/camera-status.repository.ts';
import { CameraUnmonitoredRepository } from '../../services/core/storage/camera-unmonitored.repository.ts';
import { SopFileRepository } from '../../services/core/storage/sop-files.repository.ts';
import type { SecretBox } from '../../services/core/secrets.ts';
import { seedSnapshotStore } from '../fixtures/snapshot-store.ts';
import { until as pollUntil } from '../fixtures/frame-checks.ts';
import { createDetector } from '../../services/detector/index.ts';
import { loadSopText } from '../../services/rules/sop-loader.ts';
import { startLiveWorker, type LiveWorker } from '../../services/service/live-worker.ts';
import { startSnapshotDouble, type SnapshotDouble } from '../doubles/snapshot-server.ts';
import { optInLoopback } from '../doubles/outbound.ts';
import { floorSopYaml } from '../fixtures/floor-sop.ts';
import { allAnswered, answered, kinds, watch, type Watched } from '../fixtures/watched-pool.ts';
import { SAMPLES_JPG } from './detector-helpers.ts';

// The doubles listen on 127.0.0.1: opt in to loopback cameras as an operator would.
optInLoopback();

const PASSWORD = 'f4ces:live@pw';
const SETTINGS = { stallMs: 6000, startTimeoutMs: 5000, backoffInitialMs: 200, backoffMaxMs: 1000, evidenceBeforeMs: 2000, evidenceAfterMs: 1000 };
const NONE = { persons: false, pose: false, hands: false, objects: false, faces: false };
const PERSONS = { ...NONE, persons: true };
const HANDS = { ...NONE, persons: true, hands: true };
const FACES_ONLY = { ...NONE, faces: true };
const HANDS_RULE = `  - id: hands
    kind: forbidden
    title: Hands on the loading floor
    when: { hands_in: floor }
    for: 1s
    severity: low
`;

describe('live worker: the face finder on the live pool', () => {
  let db: Database;
  let dataDir: string;
  let cam: SnapshotDouble;
  let worker: LiveWorker | undefined;
  let store: string;
  let camera: string;
  /** A second store on the same worker whose SOP never changes. */
  let other: string;
  const pools: Watched[] = [];
  const errors: string[] = [];

  const until = <T>(what: string, find: () => Promise<T | undefined> | T | undefined, timeoutMs = 120_000): Promise<T> =>
    pollUntil(what, find, timeoutMs, 200, () => `errors: ${errors.join('; ')}`);

  async function setSop(yaml: string, storeId = store): Promise<void> {
    const loaded = loadSopText(yaml, 'dock-floor.yaml');
    if (!loaded.ok) throw new Error(loaded.errors.map((e) => e.message).join('; '));
    await new SopFileRepository(db).addVersion(storeId, loaded.sop.id, yaml, loaded.sop);
  }

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'sopwatch-live-faces-'));
    // Photos of people with their faces, small enough for a loaded machine.
    const jpeg = await sharp(SAMPLES_JPG).resize({ width: 480 }).jpeg({ quality: 85 }).toBuffer();
    cam = await startSnapshotDouble({ jpeg: () => jpeg, username: 'admin', password: PASSWORD });
    db = await openDatabase({ memory: true });
    let box: SecretBox;
    ({ store, camera, box } = await seedSnapshotStore(db, cam, PASSWORD));
    ({ store: other } = await seedSnapshotStore(db, cam, PASSWORD, { name: 'Depot 2', box }));
    await setSop(floorSopYaml('dock-1', { id: 'dock-floor' }));
    await setSop(floorSopYaml('dock-1', { id: 'dock-floor' }), other);
    worker = await startLiveWorker({
      db, dataDir, secrets: box, settings: SETTINGS, reportEveryMs: 200, refreshMs: 600_000, snapshotEveryMs: 600_000, snapshotWantedEveryMs: 500,
      detectorThreads: 1, onError: (m) => errors.push(m),
      createDetector: async (options) => {
        const { watched, seen } = watch(options, await createDetector(options));
        pools.push(watched);
        return seen;
      },
    });
  }, 180_000);

  afterAll(async () => {
    await worker?.stop();
    await cam?.stop();
    await db?.close();
    if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true });
  });

  it('blurs the keyframes on the live pool, whose frames include the face finder\'s; the rules see no face', async () => {
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
