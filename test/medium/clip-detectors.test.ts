// The clip worker keeps its detector pool and face finder between ClipAnalyse jobs (starting them cost seconds of CPU
// before each clip's first alert): one start for clips of the same needs, a new pool when the needs change or the old
// one lost its threads, everything closed on shutdown, and a starting service readies them for the last clip's camera.
// Real PGlite, real ffmpeg clips, the real detector (one thread) and face finder.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createFaceFinder, type FaceFinder } from '../../services/analysis/face-finder.ts';
import { parseEnv } from '../../services/core/env.ts';
import { JobName, type JobContext } from '../../services/core/jobs.ts';
import { ClipRepository, openDatabase, type Database } from '../../services/core/storage/index.ts';
import { CameraRepository } from '../../services/core/storage/cameras.repository.ts';
import { SopFileRepository } from '../../services/core/storage/sop-files.repository.ts';
import { StoreRepository } from '../../services/core/storage/stores.repository.ts';
import { createDetector, type PooledDetector } from '../../services/detector/index.ts';
import { loadSopText } from '../../services/rules/sop-loader.ts';
import { ClipDetectors, createClipAnalyseWorker, startService } from '../../services/service/index.ts';
import { CHAOS_SOP_YAML, makeClip } from '../chaos/helpers/clip-fixture.ts';

let dir: string;
let clipPath: string;

/** Real detectors and face finders, counted, with what was closed. */
function counted(): { detectors: ClipDetectors; pools: PooledDetector[]; finders: Array<{ closed: boolean }> } {
  const pools: PooledDetector[] = [];
  const finders: Array<{ closed: boolean }> = [];
  const detectors = new ClipDetectors({
    createDetector: async (needs) => {
      const d = await createDetector({ needs, threads: 1 });
      pools.push(d);
      return d;
    },
    createFaces: (): FaceFinder => {
      const f = createFaceFinder();
      const seen = { closed: false };
      finders.push(seen);
      return { ...f, close: async () => { seen.closed = true; await f.close(); } };
    },
  });
  return { detectors, pools, finders };
}

/** A store with a camera watched for persons and one watched for hands (other models: another pool). */
async function seed(db: Database): Promise<{ storeId: string; personCam: string; handCam: string }> {
  const store = await new StoreRepository(db).create({ name: 'S', franchise: 'F' });
  const cameras = new CameraRepository(db);
  const personCam = (await cameras.create({ storeId: store.id, name: 'counter-1' })).id;
  const handCam = (await cameras.create({ storeId: store.id, name: 'sink-1' })).id;
  const sops = new SopFileRepository(db);
  const persons = CHAOS_SOP_YAML.replace('cameras: ["*"]', 'cameras: [counter-1]').replace('"*":', 'counter-1:');
  const hands = persons.replace('id: counter-staffed', 'id: sink-used').replaceAll('counter-1', 'sink-1').replaceAll('person_in', 'hands_in');
  for (const [yaml, name] of [[persons, 'persons.yaml'], [hands, 'hands.yaml']] as const) {
    const load = loadSopText(yaml, name);
    if (!load.ok) throw new Error(load.errors.map((e) => e.message).join('; '));
    await sops.addVersion(store.id, load.sop.id, yaml, load.sop);
  }
  return { storeId: store.id, personCam, handCam };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sopwatch-clip-detectors-'));
  // Nobody in it: each rule's gap is a violation with keyframes, blurred by the face finder.
  clipPath = await makeClip(dir, 'empty.mp4', 3);
}, 60_000);
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('the clip worker keeps its detectors warm', () => {
  it('shares one pool and one face finder across jobs, replaces them when the needs change or the pool died, closes them at the end', async () => {
    const db = await openDatabase({ memory: true });
    const { detectors, pools, finders } = counted();
    try {
      const { storeId, personCam, handCam } = await seed(db);
      const clips = new ClipRepository(db);
      const worker = createClipAnalyseWorker({ db, dataDir: dir, maxAttempts: 1, fps: 3, detectors });
      const analyse = async (cameraId: string): Promise<string> => {
        const clip = await clips.create({ storeId, cameraId, filename: 'empty.mp4', path: clipPath, bytes: 1 });
        const ctx: JobContext = { name: JobName.ClipAnalyse, jobId: `clip.${clip.id}.a0`, attempt: 1, progress: async () => undefined };
        expect(await worker.handle({ storeId, clipId: clip.id }, ctx)).toEqual({ status: 'success' });
        return clip.id;
      };
      const evidenceOf = async (clipId: string): Promise<number> =>
        Number((await db.query('SELECT count(*) AS n FROM evidence e JOIN violations v ON v.id = e.violation_id WHERE v.clip_id = $1', [clipId])).rows[0]?.n);

      const first = await analyse(personCam);
      const second = await analyse(personCam);
      expect(detectors.starts).toEqual({ detectors: 1, faceFinders: 1 });
      expect(pools[0]?.liveThreads()).toBe(1);
      // The shared face finder still blurred every keyframe: both clips have their evidence.
      expect(await evidenceOf(first)).toBeGreaterThan(0);
      expect(await evidenceOf(second)).toBe(await evidenceOf(first));

      // A pool whose threads are gone is not handed out again.
      await pools[0]?.close();
      await analyse(personCam);
      expect(detectors.starts.detectors).toBe(2);

      // Other needs: a pool of their own, and the one it replaces is closed (bounded: one pool kept).
      const hands = await analyse(handCam);
      expect(pools.map((p) => p.models.join('+'))).toEqual(['centernet', 'centernet', 'centernet+movenet-lightning']);
      await vi.waitFor(() => expect(pools[1]?.liveThreads()).toBe(0), { timeout: 10_000 });
      expect(await evidenceOf(hands)).toBeGreaterThan(0);
      expect(detectors.starts.faceFinders).toBe(1);

      await detectors.close();
      expect(pools.map((p) => p.liveThreads())).toEqual([0, 0, 0]);
      expect(finders).toEqual([{ closed: true }]);
      await expect(detectors.acquire({ persons: true, pose: false, hands: false, objects: false, faces: false })).rejects.toThrow(/closed/);
    } finally {
      await detectors.close();
      await db.close();
    }
  }, 600_000);

  it('closes them after a while without a job, and starts them again for the next', async () => {
    const pools: PooledDetector[] = [];
    const detectors = new ClipDetectors({
      idleMs: 300,
      createDetector: async (needs) => {
        const d = await createDetector({ needs, threads: 1 });
        pools.push(d);
        return d;
      },
    });
    const needs = { persons: true, pose: false, hands: false, objects: false, faces: false };
    try {
      const lease = await detectors.acquire(needs);
      // In use: however long the job takes, nothing is closed under it.
      await new Promise((r) => setTimeout(r, 600));
      expect(pools[0]?.liveThreads()).toBe(1);
      lease.release();
      await vi.waitFor(() => expect(pools[0]?.liveThreads()).toBe(0), { timeout: 10_000 });
      (await detectors.acquire(needs)).release();
      expect(detectors.starts).toEqual({ detectors: 2, faceFinders: 2 });
    } finally {
      await detectors.close();
    }
    expect(pools.map((p) => p.liveThreads())).toEqual([0, 0]);
  }, 120_000);

  it('a starting service readies them for the camera of the last clip, and closes them when it stops', async () => {
    const dataDir = await mkdtemp(join(dir, 'serve-'));
    const db = await openDatabase({ dir: join(dataDir, 'db') });
    try {
      const { storeId, handCam } = await seed(db);
      const clips = new ClipRepository(db);
      const clip = await clips.create({ storeId, cameraId: handCam, filename: 'empty.mp4', path: clipPath, bytes: 1 });
      await clips.startAnalysis(clip.id);
      await clips.finish(clip.id);
    } finally {
      await db.close();
    }
    const { detectors, pools, finders } = counted();
    const service = await startService({
      env: parseEnv({ SOPWATCH_DATA_DIR: dataDir, SOPWATCH_ROLES: 'api,worker' }), port: 0, host: '127.0.0.1', live: { enabled: false }, clipDetectors: detectors,
    });
    try {
      await vi.waitFor(() => expect(pools[0]?.liveThreads()).toBe(1), { timeout: 120_000, interval: 200 });
      expect(pools[0]?.models).toEqual(['centernet', 'movenet-lightning']);
      expect(detectors.starts).toEqual({ detectors: 1, faceFinders: 1 });
    } finally {
      await service.close();
    }
    expect(pools[0]?.liveThreads()).toBe(0);
    expect(finders).toEqual([{ closed: true }]);
  }, 300_000);
});
