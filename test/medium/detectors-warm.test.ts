// The clip worker loads its models while a clip is on its way (issue 11: the first clip of a fresh install, or after
// ten idle minutes, paid the model load after its upload): creating an upload queues a DetectorsWarm job, the worker's
// ClipDetectors starts before the upload ends, and the clip's own job shares that start. A warm-up for a camera of
// another store is refused, a queue that fails or hangs neither fails nor slows an upload, and a worker with no clip
// analysed yet readies the camera of the SOP file enabled last.
// Real HTTP on 127.0.0.1, real PGlite, the in-process queue (and BullMQ on the real Redis), real ffmpeg clips; the real detector (one thread) and face
// finder where a clip is analysed, doubles for them where only the warm-up's decisions are asserted.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { queueDetectorsWarm } from '../../services/api/clip-jobs.ts';
import { createFaceFinder, type FaceFinder } from '../../services/analysis/face-finder.ts';
import { TransportError } from '../../services/core/errors.ts';
import { JobName, type JobContext, type JobOutcome } from '../../services/core/jobs.ts';
import { defaultQueueSettings, openBullmqQueue, startWorkers, type JobQueue, type QueueEventMap } from '../../services/core/queue/index.ts';
import { ClipRepository, openDatabase } from '../../services/core/storage/index.ts';
import { CameraRepository } from '../../services/core/storage/cameras.repository.ts';
import { SopFileRepository } from '../../services/core/storage/sop-files.repository.ts';
import { StoreRepository } from '../../services/core/storage/stores.repository.ts';
import { createDetector, type Detector, type PooledDetector } from '../../services/detector/index.ts';
import { loadSopText } from '../../services/rules/sop-loader.ts';
import { ClipDetectors, createClipAnalyseWorker, type ClipAnalyseWorker } from '../../services/service/index.ts';
import { handlerRegistry } from '../../services/service/handlers.ts';
import { CHAOS_SOP_YAML, makeClip } from '../chaos/helpers/clip-fixture.ts';
import { wipeRedisPrefix } from '../fixtures/redis-prefix.ts';
import { apiFixture, SOP_YAML, USERS, type ApiFixture, type Session } from './api-fixture.ts';
import { create, patch, tusHeaders } from './tus-client.ts';

const REDIS_URL = 'redis://127.0.0.1:6379';
let f: ApiFixture;
let base: string;
let manager: Session;
let work: string;
let clip: Buffer;
let worker: ClipAnalyseWorker;
let detectors: ClipDetectors;
/** Pools made by the detectors' createDetector, and a gate that holds their start until the test opens it. */
const pools: PooledDetector[] = [];
let gate: Promise<void> = Promise.resolve();
/** Every job the API queued (name and payload), and every warm-up the worker finished. */
const added: Array<{ name: JobName; payload: unknown }> = [];
const warmed: Array<QueueEventMap['completed'] | QueueEventMap['failed']> = [];
let acquires = 0;

const ctx = (jobId: string): JobContext => ({ name: JobName.DetectorsWarm, jobId, attempt: 1, progress: async () => undefined });

async function until<T>(what: string, get: () => Promise<T | undefined> | T | undefined, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await get();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** A multipart POST of `file` whose body is held after its first `headBytes` until `resume()` resolves. */
function slowMultipart(path: string, session: Session, file: Buffer, headBytes: number, resume: () => Promise<void>): Promise<{ status: number; body: string }> {
  const boundary = 'sopwatch-warm-test';
  const body = Buffer.concat([
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="empty.mp4"\r\nContent-Type: video/mp4\r\n\r\n`),
    file,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  const url = new URL(`${base}${path}`);
  return new Promise((resolve, reject) => {
    const req = request({
      host: url.hostname, port: url.port, path: url.pathname + url.search, method: 'POST',
      headers: { ...tusHeaders(session), 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': String(body.length) },
    }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { text += c; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.write(body.subarray(0, headBytes));
    resume().then(() => req.end(body.subarray(headBytes)), reject);
  });
}

beforeAll(async () => {
  f = await apiFixture();
  base = await f.app.listen({ port: 0, host: '127.0.0.1' });
  manager = await f.login(USERS.managerA);
  work = await mkdtemp(join(tmpdir(), 'sopwatch-warm-'));
  // Nobody in it: the fixture's SOP (a person at the counter, whole frame) finds its gaps, with blurred keyframes.
  clip = readFileSync(await makeClip(work, 'empty.mp4', 3));
  detectors = new ClipDetectors({
    createDetector: async (needs) => {
      await gate;
      const d = await createDetector({ needs, threads: 1 });
      pools.push(d);
      return d;
    },
  });
  const acquire = detectors.acquire.bind(detectors);
  detectors.acquire = (needs) => {
    acquires += 1;
    return acquire(needs);
  };
  const queue: JobQueue = f.queue;
  const add = queue.add.bind(queue);
  queue.add = (name, payload, options) => {
    added.push({ name, payload });
    return add(name, payload, options);
  };
  queue.on('completed', (e) => { if (e.name === JobName.DetectorsWarm) warmed.push(e); });
  queue.on('failed', (e) => { if (e.name === JobName.DetectorsWarm) warmed.push(e); });
  worker = createClipAnalyseWorker({ db: f.db, dataDir: f.dataDir, maxAttempts: defaultQueueSettings.attempts, fps: 3, detectors });
  const skipped = async (): Promise<JobOutcome> => ({ status: 'skipped', reason: 'not part of these tests' });
  startWorkers(f.queue, handlerRegistry(worker, { notificationSend: skipped, retentionSweep: skipped }));
}, 120_000);

afterAll(async () => {
  worker?.abortAll();
  await f?.close();
  await detectors?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

describe('an upload warms the clip detectors of its camera', () => {
  it('starts them when the tus upload is created, before any byte; the clip job shares that start; a later warm-up is cheap', async () => {
    let open = (): void => undefined;
    gate = new Promise((r) => { open = r; });
    const made = await create(base, manager, f.stores.a1, `?cameraId=${f.a1.cameraId}`, clip.length, { filename: 'first.mp4' });
    expect(made.status, made.body).toBe(201);
    expect(added.filter((a) => a.name === JobName.DetectorsWarm)).toEqual([{ name: JobName.DetectorsWarm, payload: { storeId: f.stores.a1, cameraId: f.a1.cameraId } }]);
    // Started (and held at the gate) with nothing of the file sent yet; the face finder is made on the pool once it is up.
    await vi.waitFor(() => expect(detectors.starts).toEqual({ detectors: 1, faceFinders: 0 }), { timeout: 10_000 });
    expect(added.filter((a) => a.name === JobName.ClipAnalyse)).toEqual([]);

    const sent = await patch(base, manager, made.location, 0, clip);
    expect(sent.status, sent.body).toBe(204);
    const clipId = sent.headers.get('sopwatch-clip-id') ?? '';
    // The clip's job asks for the detectors while the warm-up's start is still under way: it waits for that one.
    await until('the clip job asking for the detectors', () => (acquires === 2 ? true : undefined));
    expect(detectors.starts).toEqual({ detectors: 1, faceFinders: 0 });
    expect(pools).toEqual([]);
    open();
    const done = await until('the analysis', async () => {
      const c = await new ClipRepository(f.db).get(clipId, [f.stores.a1]);
      return c?.status === 'done' || c?.status === 'failed' ? c : undefined;
    }, 180_000);
    expect(done.status, done.error ?? '').toBe('done');
    const violations = await f.db.query('SELECT rule FROM violations WHERE clip_id = $1 ORDER BY rule', [clipId]);
    expect(violations.rows.length).toBeGreaterThan(0);
    expect(warmed).toMatchObject([{ jobId: expect.any(String), outcome: { status: 'success' } }]);
    expect(detectors.starts).toEqual({ detectors: 1, faceFinders: 1 });
    expect(pools.map((p) => p.liveThreads())).toEqual([1]);

    // The next upload of the camera queues another warm-up (no id keeps it out); with the models warm it starts nothing.
    const next = await create(base, manager, f.stores.a1, `?cameraId=${f.a1.cameraId}`, clip.length, { filename: 'second.mp4' });
    expect(next.status, next.body).toBe(201);
    await until('the second warm-up', () => (warmed.length === 2 ? true : undefined));
    expect(warmed[1]).toMatchObject({ outcome: { status: 'success' } });
    expect(warmed[1]?.jobId).not.toBe(warmed[0]?.jobId);
    expect(detectors.starts).toEqual({ detectors: 1, faceFinders: 1 });
    // Forgotten once run: the warm-ups fill no retention.
    expect((await f.queue.counts(JobName.DetectorsWarm)).completed).toBe(0);
  }, 240_000);

  it('queues the warm-up of a multipart upload before its body is read', async () => {
    const before = added.length;
    const answer = await slowMultipart(`/api/stores/${f.stores.a1}/clips?cameraId=${f.a1.cameraId}`, manager, clip, 200, () =>
      until('the warm-up of the multipart upload', () => (added.slice(before).some((a) => a.name === JobName.DetectorsWarm) ? true : undefined), 10_000).then(() => undefined));
    expect(answer.status, answer.body).toBe(202);
    expect(added.slice(before).map((a) => a.name)).toEqual([JobName.DetectorsWarm, JobName.ClipAnalyse]);
  }, 60_000);

  it('a queue that refuses or never answers fails and slows no upload', async () => {
    const add = f.queue.add.bind(f.queue);
    const refused: string[] = [];
    try {
      f.queue.add = (name, payload, options) => {
        if (name !== JobName.DetectorsWarm) return add(name, payload, options);
        refused.push(name);
        return refused.length === 1 ? Promise.reject(new TransportError('cannot queue job: Redis is not reachable')) : new Promise<string>(() => undefined);
      };
      const made = await create(base, manager, f.stores.a1, `?cameraId=${f.a1.cameraId}`, clip.length, { filename: 'refused.mp4' });
      expect(made.status, made.body).toBe(201);
      const sent = await patch(base, manager, made.location, 0, clip);
      expect(sent.status, sent.body).toBe(204);
      expect(sent.headers.get('sopwatch-clip-id')).toMatch(/.+/);
      const t0 = performance.now();
      const multipart = await slowMultipart(`/api/stores/${f.stores.a1}/clips?cameraId=${f.a1.cameraId}`, manager, clip, clip.length, async () => undefined);
      expect(multipart.status, multipart.body).toBe(202);
      expect(JSON.parse(multipart.body)).toMatchObject({ queued: true });
      // The warm-up that never answers is not waited for (the whole upload and its probe take well under this).
      expect(performance.now() - t0).toBeLessThan(5_000);
      expect(refused).toEqual([JobName.DetectorsWarm, JobName.DetectorsWarm]);
    } finally {
      f.queue.add = add;
    }
  }, 60_000);

  it('an SOP file enabled for one camera warms that camera', async () => {
    const before = added.length;
    const res = await f.call(manager, { method: 'POST', url: `/api/stores/${f.stores.a1}/sops`, payload: { yaml: SOP_YAML.replace('title: Counter staffed', 'title: Counter staffed (v2)') } });
    expect(res.statusCode, res.body).toBe(201);
    await until('the warm-up of the SOP change', () => (added.slice(before).some((a) => a.name === JobName.DetectorsWarm) ? true : undefined), 10_000);
    expect(added.slice(before)).toEqual([{ name: JobName.DetectorsWarm, payload: { storeId: f.stores.a1, cameraId: f.a1.cameraId } }]);
  });

  it('refuses a warm-up that names a camera of another store', async () => {
    const startsBefore = detectors.starts;
    const acquiresBefore = acquires;
    expect(await worker.warmFor({ storeId: f.stores.b, cameraId: f.a1.cameraId }, ctx('foreign'))).toEqual({
      status: 'skipped', reason: `camera ${f.a1.cameraId} is not a camera of store ${f.stores.b}`,
    });
    expect(await worker.warmFor({ storeId: f.stores.a1, cameraId: 'no-such-camera' }, ctx('unknown'))).toMatchObject({ status: 'skipped' });
    expect([detectors.starts, acquires]).toEqual([startsBefore, acquiresBefore]);
  });
});

describe('the warm-up decides alone', () => {
  /** Doubles: these tests are about which detectors are started, not about loading them. */
  function doubles(): { detectors: ClipDetectors; made: string[] } {
    const made: string[] = [];
    const detectors = new ClipDetectors({
      createDetector: async (needs) => {
        made.push(Object.entries(needs).filter(([, on]) => on).map(([k]) => k).join('+'));
        let live = 1;
        const view = (): Detector => ({ backend: 'cpu', threads: 1, detect: () => Promise.reject(new Error('a double')), close: async () => undefined });
        return { threads: 1, models: [], liveThreads: () => live, view, close: async () => { live = 0; } } as unknown as PooledDetector;
      },
      createFaces: (shared): FaceFinder => ({ ...createFaceFinder({ shared }), warm: async () => undefined, close: async () => undefined }),
    });
    return { detectors, made };
  }

  it('skips without detectors and without SOP needs; shares the pool a clip of other needs holds; warms the last SOP file\'s camera at start', async () => {
    const db = await openDatabase({ memory: true });
    const { detectors: d, made } = doubles();
    try {
      const store = await new StoreRepository(db).create({ name: 'S', franchise: 'F' });
      const cameras = new CameraRepository(db);
      const counter = await cameras.create({ storeId: store.id, name: 'counter-1' });
      const sink = await cameras.create({ storeId: store.id, name: 'sink-1' });
      const office = await cameras.create({ storeId: store.id, name: 'office' });
      const sops = new SopFileRepository(db);
      const persons = CHAOS_SOP_YAML.replace('cameras: ["*"]', 'cameras: [counter-1]').replace('"*":', 'counter-1:');
      const hands = persons.replace('id: counter-staffed', 'id: sink-used').replaceAll('counter-1', 'sink-1').replaceAll('person_in', 'hands_in');
      const w = createClipAnalyseWorker({ db, dataDir: work, maxAttempts: 1, detectors: d });

      // Nothing to ready on a fresh install without SOP files.
      await w.warm();
      expect(made).toEqual([]);
      for (const [yaml, name] of [[persons, 'persons.yaml'], [hands, 'hands.yaml']] as const) {
        const load = loadSopText(yaml, name);
        if (!load.ok) throw new Error(load.errors.map((e) => e.message).join('; '));
        await sops.addVersion(store.id, load.sop.id, yaml, load.sop);
      }
      // No clip analysed yet: the camera of the SOP file written last.
      await w.warm();
      expect(made).toEqual(['persons+pose+hands+faces']);

      const bare = createClipAnalyseWorker({ db, dataDir: work, maxAttempts: 1 });
      expect(await bare.warmFor({ storeId: store.id, cameraId: counter.id }, ctx('bare'))).toEqual({ status: 'skipped', reason: 'this worker keeps no clip detectors' });
      expect(await w.warmFor({ storeId: store.id, cameraId: office.id }, ctx('office'))).toEqual({ status: 'skipped', reason: 'no enabled SOP file of camera "office" needs a detector' });

      // A clip of the sink camera holds the pool: the counter's needs (persons, not hands) call for the same models
      // once joined with the face finder's, so a warm-up for the counter finds the pool warm and replaces nothing.
      const lease = await d.acquire({ persons: true, pose: false, hands: true, objects: false, faces: false });
      expect(d.busyWithOther({ persons: true, pose: false, hands: false, objects: false, faces: false })).toBe(false);
      expect(await w.warmFor({ storeId: store.id, cameraId: counter.id }, ctx('shared'))).toEqual({ status: 'success' });
      expect(await w.warmFor({ storeId: store.id, cameraId: sink.id }, ctx('same'))).toEqual({ status: 'success' });
      lease.release();
      expect(await w.warmFor({ storeId: store.id, cameraId: counter.id }, ctx('free'))).toEqual({ status: 'success' });
      expect(made).toEqual(['persons+pose+hands+faces']);
      expect(d.starts).toEqual({ detectors: 1, faceFinders: 1 });
    } finally {
      await d.close();
      await db.close();
    }
  });

  it('on BullMQ (real Redis): every warm-up the API queues reaches every worker process, none is kept, a warm one starts nothing', async () => {
    const db = await openDatabase({ memory: true });
    // Two worker processes sharing Redis (a clip job may land on either) and the API's queue.
    const twins = [doubles(), doubles()];
    const prefix = `swwarm-${randomBytes(5).toString('hex')}`;
    const admin = new Redis(REDIS_URL);
    const [api, ...queues] = (await Promise.all([0, 1, 2].map(() => openBullmqQueue({ url: REDIS_URL, prefix })))) as [JobQueue, JobQueue, JobQueue];
    try {
      const store = await new StoreRepository(db).create({ name: 'S', franchise: 'F' });
      const camera = await new CameraRepository(db).create({ storeId: store.id, name: 'counter-1' });
      const load = loadSopText(CHAOS_SOP_YAML, 'sop.yaml');
      if (!load.ok) throw new Error('fixture SOP is invalid');
      await new SopFileRepository(db).addVersion(store.id, load.sop.id, CHAOS_SOP_YAML, load.sop);
      const outcomes: JobOutcome[][] = [[], []];
      const skipped = async (): Promise<JobOutcome> => ({ status: 'skipped', reason: 'not part of these tests' });
      for (const [i, queue] of queues.entries()) {
        const w = createClipAnalyseWorker({ db, dataDir: work, maxAttempts: 1, detectors: (twins[i] as (typeof twins)[number]).detectors });
        startWorkers(queue, handlerRegistry(w, { notificationSend: skipped, retentionSweep: skipped }));
        queue.on('completed', (e) => { if (e.name === JobName.DetectorsWarm) outcomes[i]?.push(e.outcome); });
      }
      // A worker listens from its start (long before an upload); here both have just started.
      const channel = `${prefix}:every:${JobName.DetectorsWarm}`;
      await until('both workers listening', async () => (Number(((await admin.pubsub('NUMSUB', channel)) as [string, number])[1]) === 2 ? true : undefined));
      const warnings: unknown[] = [];
      const log = { warn: (obj: object) => { warnings.push(obj); } };
      for (let i = 1; i <= 3; i++) {
        queueDetectorsWarm(api, log, store.id, camera.id);
        await until(`warm-up ${i} on both workers`, () => (outcomes.every((o) => o.length === i) ? true : undefined), 15_000);
      }
      for (const [i, { detectors: d, made }] of twins.entries()) {
        expect(outcomes[i]).toEqual([{ status: 'success' }, { status: 'success' }, { status: 'success' }]);
        expect(made).toEqual(['persons+pose+faces']);
        expect(d.starts).toEqual({ detectors: 1, faceFinders: 1 });
      }
      for (const queue of [api, ...queues]) expect(await queue.counts(JobName.DetectorsWarm)).toEqual({ waiting: 0, active: 0, delayed: 0, completed: 0, failed: 0 });
      expect(warnings).toEqual([]);
    } finally {
      await Promise.all([api, ...queues].map((q) => q.close()));
      await Promise.all(twins.map((t) => t.detectors.close()));
      await db.close();
      await wipeRedisPrefix(admin, prefix);
      await admin.quit();
    }
  }, 60_000);
});
