// The clip worker keeps its detector pool, and the face finder that runs on it, between ClipAnalyse jobs (starting them
// cost seconds of CPU before each clip's first alert): one pool for the rules and the face finder, each job seeing only
// its own models through a view; one start for every camera (their needs load the same models), a new pool and face
// finder when the pool lost its threads or the face finder failed, the face finder closed before its pool, everything
// closed on shutdown, and a starting service readies them for the last clip's camera.
// Real PGlite, real ffmpeg clips, the real detector (one thread) and face finder; doubles where only decisions count.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createFaceFinder, type FaceFinder } from '../../services/analysis/face-finder.ts';
import type { Detections, Frame } from '../../services/core/contracts.ts';
import { parseEnv } from '../../services/core/env.ts';
import { DetectorError, InputError } from '../../services/core/errors.ts';
import { JobName, type JobContext } from '../../services/core/jobs.ts';
import { ClipRepository, openDatabase, type Database } from '../../services/core/storage/index.ts';
import { compiledTierings } from '../../services/core/storage/pglite-wasm.ts';
import { CameraRepository } from '../../services/core/storage/cameras.repository.ts';
import { SopFileRepository } from '../../services/core/storage/sop-files.repository.ts';
import { StoreRepository } from '../../services/core/storage/stores.repository.ts';
import { createDetector, type Detector, type PooledDetector } from '../../services/detector/index.ts';
import { FaceBlurError } from '../../services/evidence/index.ts';
import { loadSopText } from '../../services/rules/sop-loader.ts';
import { ClipDetectors, createClipAnalyseWorker, startService } from '../../services/service/index.ts';
import { CHAOS_SOP_YAML, makeClip } from '../chaos/helpers/clip-fixture.ts';
import { imageFrame, SAMPLES_JPG } from './detector-helpers.ts';

let dir: string;
let clipPath: string;
/** A sheet of photos: persons with faces and hands. */
let samples: Frame;

const NONE = { persons: false, pose: false, hands: false, objects: false, faces: false };
const PERSONS = { ...NONE, persons: true };
const HANDS = { ...NONE, hands: true };
const FULL = ['centernet', 'movenet-lightning', 'blazeface'];
const kinds = (d: Detections): string[] => [...new Set(d.items.map((i) => i.kind))].sort();
/** Frames the pool's threads have answered so far. */
const framesOf = async (pool: PooledDetector | undefined): Promise<number> => (await (pool as PooledDetector).stats()).reduce((n, w) => n + w.frames, 0);

/**
 * Real pools and face finders (the default's, on the pool they are given), counted, with the pool each face finder got
 * and the order in which face finders and pools were closed ("faces 0" then "pool 0" for the first pool's).
 */
function counted(): { detectors: ClipDetectors; pools: PooledDetector[]; finders: Array<{ closed: boolean; on: number }>; closes: string[] } {
  const pools: PooledDetector[] = [];
  const finders: Array<{ closed: boolean; on: number }> = [];
  const closes: string[] = [];
  const detectors = new ClipDetectors({
    createDetector: async (needs) => {
      const d = await createDetector({ needs, threads: 1 });
      const n = pools.push(d) - 1;
      const close = d.close.bind(d);
      d.close = () => {
        closes.push(`pool ${n}`);
        return close();
      };
      return d;
    },
    createFaces: (shared): FaceFinder => {
      const f = createFaceFinder({ shared });
      const seen = { closed: false, on: pools.indexOf(shared) };
      finders.push(seen);
      return { ...f, close: async () => { closes.push(`faces ${seen.on}`); seen.closed = true; await f.close(); } };
    },
  });
  return { detectors, pools, finders, closes };
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
  samples = await imageFrame(SAMPLES_JPG);
}, 60_000);
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('the clip worker keeps its detectors warm', () => {
  it('shares one pool and its face finder across jobs and cameras, replaces both when the pool died, closes them at the end', async () => {
    const db = await openDatabase({ memory: true });
    const { detectors, pools, finders, closes } = counted();
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
      // One thread with the rules' model and the face finder's: the face finder started no thread of its own.
      expect(pools.map((p) => p.models)).toEqual([FULL]);
      expect(pools[0]?.liveThreads()).toBe(1);
      expect(finders).toEqual([{ closed: false, on: 0 }]);
      // The shared face finder still blurred every keyframe: both clips have their evidence.
      expect(await evidenceOf(first)).toBeGreaterThan(0);
      expect(await evidenceOf(second)).toBe(await evidenceOf(first));

      // A pool whose threads are gone is not handed out again, nor its face finder (closed first).
      await pools[0]?.close();
      await analyse(personCam);
      expect(detectors.starts).toEqual({ detectors: 2, faceFinders: 2 });
      await vi.waitFor(() => expect(finders[0]?.closed).toBe(true), { timeout: 10_000 });
      expect(closes).toEqual(['pool 0', 'faces 0', 'pool 0']);

      // Other needs (hands): the same models serve them, so the kept pool does (bounded: one pool kept, no restart).
      const hands = await analyse(handCam);
      expect(await evidenceOf(hands)).toBeGreaterThan(0);
      expect(detectors.starts).toEqual({ detectors: 2, faceFinders: 2 });
      expect(pools.map((p) => p.liveThreads())).toEqual([0, 1]);

      await detectors.close();
      expect(pools.map((p) => p.liveThreads())).toEqual([0, 0]);
      expect(finders).toEqual([{ closed: true, on: 0 }, { closed: true, on: 1 }]);
      // Each face finder before its pool.
      expect(closes).toEqual(['pool 0', 'faces 0', 'pool 0', 'faces 1', 'pool 1']);
      await expect(detectors.acquire(PERSONS)).rejects.toThrow(/closed/);
    } finally {
      await detectors.close();
      await db.close();
    }
  }, 600_000);

  it("a lease's face finder runs on the lease's pool, and its detector runs only the models of its needs", async () => {
    const pools: PooledDetector[] = [];
    // The default face finder: whatever it starts is not counted here, only the pool's frames show where it ran.
    const detectors = new ClipDetectors({
      createDetector: async (needs) => {
        const d = await createDetector({ needs, threads: 1 });
        pools.push(d);
        return d;
      },
    });
    try {
      const lease = await detectors.acquire(PERSONS);
      try {
        const pool = pools[0];
        expect(pool?.models).toEqual(FULL);
        // The rules see persons only: no faces, no keypoints, though the pool has both models loaded.
        const before = await framesOf(pool);
        const seen = await lease.detector.detect(samples);
        expect(kinds(seen)).toEqual(['person']);
        expect(seen.items.some((i) => i.keypoints !== undefined)).toBe(false);
        expect(await framesOf(pool)).toBe(before + 1);
        // The face finder's look and checks are frames of the same pool's thread.
        const clean = await lease.faces.scrub(samples);
        expect(Buffer.compare(Buffer.from(clean.rgb), Buffer.from(samples.rgb))).not.toBe(0);
        expect(await framesOf(pool)).toBeGreaterThanOrEqual(before + 3);
      } finally {
        lease.release();
      }
      // Hands, from the same pool: only hands.
      const hands = await detectors.acquire(HANDS);
      try {
        expect(kinds(await hands.detector.detect(samples))).toEqual(['hand']);
      } finally {
        hands.release();
      }
      expect(pools).toHaveLength(1);
      expect(detectors.starts).toEqual({ detectors: 1, faceFinders: 1 });
    } finally {
      await detectors.close();
    }
    expect(pools[0]?.liveThreads()).toBe(0);
  }, 120_000);

  it('replaces the pool with its face finder after a failure that may be theirs, not after a bad clip or a face kept', async () => {
    /** Doubles: what counts here is which pool a lease gets and what is closed, not detecting. */
    const made: string[] = [];
    const closes: string[] = [];
    const failures: Error[] = [];
    const detectors = new ClipDetectors({
      createDetector: async (needs) => {
        const n = made.push(Object.entries(needs).filter(([, on]) => on).map(([k]) => k).join('+')) - 1;
        let live = 1;
        const view = (): Detector => ({ backend: 'cpu', threads: 1, detect: () => Promise.reject(new Error('not a detector')), close: async () => undefined });
        return { n, threads: 1, models: FULL, liveThreads: () => live, view, close: async () => { closes.push(`pool ${n}`); live = 0; } } as unknown as PooledDetector;
      },
      createFaces: (shared): FaceFinder => {
        const on = (shared as unknown as { n: number }).n;
        const fail = (): Promise<never> => Promise.reject(failures.shift() ?? new Error('no failure queued'));
        return { find: fail, scrub: fail, renderClean: fail, warm: async () => undefined, close: async () => { closes.push(`faces ${on}`); } };
      },
    });
    try {
      // A face that could not be blurred, and a bad clip: nothing to do with the detectors.
      const lease = await detectors.acquire(PERSONS);
      failures.push(new FaceBlurError('a face was still found'));
      await expect(lease.faces.scrub(samples)).rejects.toThrow(FaceBlurError);
      lease.release(new InputError('not a video'));
      (await detectors.acquire(PERSONS)).release();
      expect(closes).toEqual([]);
      expect(made).toEqual(['persons+pose+faces']);

      // The face finder failed otherwise (its pool's thread stopped answering, say): both are replaced, face finder first.
      const broken = await detectors.acquire(PERSONS);
      failures.push(new DetectorError('detector worker 0 did not answer'));
      await expect(broken.faces.find(samples)).rejects.toThrow(DetectorError);
      broken.release();
      // Noticed when the next job asks.
      expect(closes).toEqual([]);
      (await detectors.acquire(PERSONS)).release();
      await vi.waitFor(() => expect(closes).toEqual(['faces 0', 'pool 0']));
      expect(detectors.starts).toEqual({ detectors: 2, faceFinders: 2 });

      // A job that failed other than on its input.
      (await detectors.acquire(HANDS)).release(new Error('the detector crashed'));
      await vi.waitFor(() => expect(closes).toEqual(['faces 0', 'pool 0', 'faces 1', 'pool 1']));
      expect(detectors.starts).toEqual({ detectors: 2, faceFinders: 2 });
    } finally {
      await detectors.close();
    }
    expect(made).toEqual(['persons+pose+faces', 'persons+pose+faces']);
  });

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
    const needs = PERSONS;
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
    const { detectors, pools, finders, closes } = counted();
    const service = await startService({
      env: parseEnv({ SOPWATCH_DATA_DIR: dataDir, SOPWATCH_ROLES: 'api,worker' }), port: 0, host: '127.0.0.1', live: { enabled: false }, clipDetectors: detectors,
    });
    try {
      await vi.waitFor(() => expect(pools[0]?.liveThreads()).toBe(1), { timeout: 120_000, interval: 200 });
      expect(pools[0]?.models).toEqual(FULL);
      expect(detectors.starts).toEqual({ detectors: 1, faceFinders: 1 });
      // A service runs for days: its embedded database asked for V8's own tiering (this file's opens before it, late).
      expect(compiledTierings()).toEqual(['late', 'early']);
    } finally {
      await service.close();
    }
    expect(pools[0]?.liveThreads()).toBe(0);
    expect(finders).toEqual([{ closed: true, on: 0 }]);
    expect(closes).toEqual(['faces 0', 'pool 0']);
  }, 300_000);
});
