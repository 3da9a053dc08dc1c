// The serve wiring on real components: the reconciler re-queues clips the queue lost (in-process and Redis), and the
// ClipAnalyse handler's outcomes for deleted clips, missing SOP files, corrupt files, duplicates and shutdown.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clipJobId } from '../../services/api/index.ts';
import { JobName, type JobContext } from '../../services/core/jobs.ts';
import { InProcessQueue, openBullmqQueue, type JobQueue } from '../../services/core/queue/index.ts';
import { ClipRepository, openDatabase, type Database } from '../../services/core/storage/index.ts';
import { CameraRepository } from '../../services/core/storage/cameras.repository.ts';
import { SopFileRepository } from '../../services/core/storage/sop-files.repository.ts';
import { StoreRepository } from '../../services/core/storage/stores.repository.ts';
import { loadSopText } from '../../services/rules/sop-loader.ts';
import { createClipAnalyseWorker, startReconciler } from '../../services/service/index.ts';
import { SOP_YAML } from './api-fixture.ts';
import { wipeRedisPrefix } from '../fixtures/redis-prefix.ts';

const REDIS_URL = 'redis://127.0.0.1:6379';
let db: Database;
let dir: string;
let storeId: string;
let cameraId: string;
let bareCameraId: string;
let goodClip: string;
let longClip: string;

const ctx = (jobId: string, attempt = 1): JobContext => ({ name: JobName.ClipAnalyse, jobId, attempt, progress: async () => undefined });

async function newClip(path: string, camera = cameraId) {
  return new ClipRepository(db).create({ storeId, cameraId: camera, filename: 'x.mp4', path, bytes: 1 });
}

beforeAll(async () => {
  db = await openDatabase({ memory: true });
  dir = await mkdtemp(join(tmpdir(), 'sopwatch-service-'));
  const store = await new StoreRepository(db).create({ name: 'S', franchise: 'F' });
  storeId = store.id;
  cameraId = (await new CameraRepository(db).create({ storeId, name: 'counter-1' })).id;
  bareCameraId = (await new CameraRepository(db).create({ storeId, name: 'office' })).id;
  const load = loadSopText(SOP_YAML.replace('cameras: ["*"]', 'cameras: [counter-1]'), 'sop.yaml');
  if (!load.ok) throw new Error(load.errors.map((e) => e.message).join('; '));
  await new SopFileRepository(db).addVersion(storeId, load.sop.id, SOP_YAML, load.sop);
  goodClip = join(dir, 'good.mp4');
  longClip = join(dir, 'long.mp4');
  execFileSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'color=c=gray:s=160x120:d=2:r=5', '-pix_fmt', 'yuv420p', '-c:v', 'libx264', goodClip]);
  execFileSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'color=c=gray:s=320x240:d=120:r=10', '-pix_fmt', 'yuv420p', '-c:v', 'libx264', longClip]);
});
afterAll(async () => {
  await db?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('reconciler', () => {
  it('queues accepted clips that have no job, once, on the in-process queue', async () => {
    const queue = new InProcessQueue();
    const clip = await newClip(goodClip);
    const reconciler = startReconciler({ db, queue, idleMs: 0, intervalMs: 60_000 });
    try {
      expect(await reconciler.runOnce()).toBeGreaterThanOrEqual(1);
      await reconciler.runOnce();
      expect((await queue.counts(JobName.ClipAnalyse)).waiting).toBe((await new ClipRepository(db).listUnfinished(0)).length);
      expect(clipJobId(clip)).toBe(`clip.${clip.id}.a0`);
    } finally {
      reconciler.stop();
      await queue.close();
    }
  });

  it('queues them again after Redis lost its data', async () => {
    const prefix = `swsvc-${randomBytes(4).toString('hex')}`;
    let queue: JobQueue | undefined;
    const admin = new Redis(REDIS_URL);
    const wipe = (): Promise<void> => wipeRedisPrefix(admin, prefix);
    try {
      queue = await openBullmqQueue({ url: REDIS_URL, prefix });
      // A clip of its own, so that the test means something when it runs alone (-t) and not only after the one above.
      const clip = await newClip(goodClip);
      const unfinished = (await new ClipRepository(db).listUnfinished(0)).length;
      expect((await new ClipRepository(db).listUnfinished(0)).map((c) => c.id)).toContain(clip.id);
      const reconciler = startReconciler({ db, queue, idleMs: 0 });
      await reconciler.runOnce();
      expect((await queue.counts(JobName.ClipAnalyse)).waiting).toBe(unfinished);
      await wipe();
      expect((await queue.counts(JobName.ClipAnalyse)).waiting).toBe(0);
      await reconciler.runOnce();
      expect((await queue.counts(JobName.ClipAnalyse)).waiting).toBe(unfinished);
      reconciler.stop();
    } finally {
      await queue?.close();
      await wipe();
      await admin.quit();
    }
  });
});

describe('ClipAnalyse handler', () => {
  const worker = () => createClipAnalyseWorker({ db, dataDir: dir, maxAttempts: 3 });
  const clips = () => new ClipRepository(db);

  it('skips a clip that was deleted, or belongs to another store', async () => {
    expect(await worker().handle({ storeId, clipId: 'gone' }, ctx('j1'))).toMatchObject({ status: 'skipped' });
    const clip = await newClip(goodClip);
    expect(await worker().handle({ storeId: 'other-store', clipId: clip.id }, ctx('j2'))).toMatchObject({ status: 'skipped' });
  });

  it('fails for good, with the reason on the clip, when no enabled SOP file applies to its camera', async () => {
    const clip = await newClip(goodClip, bareCameraId);
    const outcome = await worker().handle({ storeId, clipId: clip.id }, ctx(clipJobId(clip)));
    expect(outcome).toEqual({ status: 'failed', retry: false, reason: 'no enabled SOP file applies to camera "office"' });
    expect(await clips().get(clip.id)).toMatchObject({ status: 'failed', error: 'no enabled SOP file applies to camera "office"' });
  });

  it('fails for good on a file that is no video (a content problem: no retry)', async () => {
    const junk = join(dir, 'junk.mp4');
    await writeFile(junk, Buffer.concat([Buffer.from('0000001866747970697336d0000000069736f6d', 'hex'), Buffer.alloc(2048, 1)]));
    const clip = await newClip(junk);
    const outcome = await worker().handle({ storeId, clipId: clip.id }, ctx(clipJobId(clip)));
    expect(outcome).toMatchObject({ status: 'failed', retry: false });
    expect((await clips().get(clip.id))?.status).toBe('failed');
  });

  it('skips a late duplicate of a finished run, and a shutdown puts a running analysis back in the queue', async () => {
    const w = worker();
    const clip = await newClip(longClip);
    const run = w.handle({ storeId, clipId: clip.id }, ctx(clipJobId(clip)));
    const deadline = Date.now() + 120_000;
    while (((await clips().get(clip.id))?.progress ?? 0) === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    w.abortAll();
    expect(await run).toEqual({ status: 'failed', retry: true, reason: 'stopped by shutdown; it will run again' });
    expect(await clips().get(clip.id)).toMatchObject({ status: 'accepted', attempts: 1 });

    const done = await clips().finish((await clips().startAnalysis(clip.id)).id);
    expect(await w.handle({ storeId, clipId: clip.id }, ctx(`clip.${clip.id}.a0`))).toMatchObject({ status: 'skipped' });
    expect(clipJobId(done)).toBe(`clip.${clip.id}.a2`);
  });
});
