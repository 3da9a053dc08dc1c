// The live worker of `sopwatch serve` on a real database and a snapshot camera double (no SOP, so no detector): health
// reported while watched, stopped and not monitored after a stop, and a camera handed between two workers through Redis
// leases with the hand-over recorded as not monitored and closed by the new holder.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import sharp from 'sharp';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../services/core/storage/index.ts';
import { CameraRepository } from '../../services/core/storage/cameras.repository.ts';
import { CameraStatusRepository } from '../../services/core/storage/camera-status.repository.ts';
import { CameraUnmonitoredRepository } from '../../services/core/storage/camera-unmonitored.repository.ts';
import { LiveCameraRepository, cameraPasswordContext } from '../../services/core/storage/live-cameras.repository.ts';
import { newSecretKey, secretBox } from '../../services/core/secrets.ts';
import { StoreRepository } from '../../services/core/storage/stores.repository.ts';
import { startLiveWorker, type LiveWorker } from '../../services/service/live-worker.ts';
import { startSnapshotDouble, type SnapshotDouble } from '../doubles/snapshot-server.ts';
import { optInLoopback } from '../doubles/outbound.ts';

// The doubles listen on 127.0.0.1: opt in to loopback cameras, webhooks and models as an operator would.
optInLoopback();

const REDIS_URL = 'redis://127.0.0.1:6379';
const PASSWORD_ENV = 'SOPWATCH_TEST_LIVE_WORKER_PW';
const PASSWORD = 'w0rker:pass@word';
const SETTINGS = { stallMs: 1500, startTimeoutMs: 2000, backoffInitialMs: 200, backoffMaxMs: 1000, leaseTtlMs: 1500 };

let db: Database;
let dataDir: string;
let cam: SnapshotDouble;
let store: string;
let camera: string;
const box = secretBox(newSecretKey());
const workers: LiveWorker[] = [];
const errors: string[] = [];

async function until<T>(what: string, find: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const hit = await find();
    if (hit !== undefined) return hit;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const statusOf = async () => (await new CameraStatusRepository(db).statuses([store])).find((s) => s.cameraId === camera);
const spansOf = async () => (await new CameraUnmonitoredRepository(db).recent([store])).filter((s) => s.cameraId === camera);

async function worker(extra: { redisUrl?: string; prefix?: string; camerasPath?: string } = {}): Promise<LiveWorker> {
  const w = await startLiveWorker({ db, dataDir, secrets: box, settings: SETTINGS, reportEveryMs: 200, refreshMs: 60_000, onError: (m) => errors.push(m), ...extra });
  workers.push(w);
  return w;
}

beforeAll(async () => {
  process.env[PASSWORD_ENV] = PASSWORD;
  dataDir = await mkdtemp(join(tmpdir(), 'sopwatch-live-worker-'));
  const jpeg = await sharp({ create: { width: 64, height: 36, channels: 3, background: '#468' } }).jpeg().toBuffer();
  cam = await startSnapshotDouble({ jpeg: () => jpeg, username: 'admin', password: PASSWORD });
  db = await openDatabase({ memory: true });
  store = (await new StoreRepository(db).create({ name: 'Depot', franchise: 'F' })).id;
  camera = (await new CameraRepository(db).create({ storeId: store, name: 'dock-1' })).id;
  // The store camera's password is stored sealed, as the API stores it; the cameras.yaml camera below names a variable.
  await new LiveCameraRepository(db).setStreamConfig(camera, store, '127.0.0.1', {
    source: 'snapshot', snapshotUrl: cam.url, snapshotPorts: [cam.port], username: 'admin', fps: 2,
  }, { sealed: box.seal(PASSWORD, cameraPasswordContext(camera)) });
});

afterEach(async () => {
  await Promise.all(workers.splice(0).map((w) => w.stop()));
});

afterAll(async () => {
  await cam?.stop();
  await db?.close();
  delete process.env[PASSWORD_ENV];
  await rm(dataDir, { recursive: true, force: true });
});

describe('live worker', () => {
  it('reports a watched camera online, then stopped with an open not-monitored span, closed when watched again', async () => {
    const w = await worker();
    expect(w.watching()).toEqual([{ storeId: store, cameras: ['dock-1'] }]);
    const online = await until('online in camera_status', async () => {
      const s = await statusOf();
      return s?.state === 'online' && (s.health.fpsIn as number) > 0 ? s : undefined;
    }, 10_000);
    expect(online.health).toMatchObject({ source: expect.stringMatching(/^snapshot http:\/\/127\.0\.0\.1:\d+\/snapshot\.jpg$/) as unknown, expectedFps: 2 });
    expect(JSON.stringify(online)).not.toContain(PASSWORD);
    await w.stop();
    expect((await statusOf())?.state).toBe('stopped');
    const [open] = await spansOf();
    expect(open).toMatchObject({ endAt: null, reason: 'not watched: sopwatch stopped' });

    await worker();
    await until('the stop span closed by the next frame', async () => ((await spansOf())[0]?.endAt !== null ? true : undefined), 10_000);
    expect(errors).toEqual([]);
  });

  it('watches a cameras.yaml camera for the store camera of the same name, and reports a file camera no store has', async () => {
    const yard = (await new CameraRepository(db).create({ storeId: store, name: 'yard-1' })).id;
    const path = join(dataDir, 'cameras.yaml');
    await writeFile(path, [
      'stallMs: 1500',
      'cameras:',
      `  - { id: yard-1, host: 127.0.0.1, source: snapshot, snapshotUrl: "${cam.url}", snapshotPorts: [${cam.port}], username: admin, passwordEnv: ${PASSWORD_ENV}, fps: 2 }`,
      '  - { id: nowhere, host: 127.0.0.1 }',
      '',
    ].join('\n'));
    const w = await worker({ camerasPath: path });
    expect(w.watching()).toEqual([{ storeId: store, cameras: ['dock-1', 'yard-1'] }]);
    await until('yard-1 online', async () => ((await new CameraStatusRepository(db).statuses([store])).find((s) => s.cameraId === yard)?.state === 'online' ? true : undefined), 10_000);
    expect(errors.splice(0)).toEqual(['live: cameras file: camera "nowhere" is not a camera of any store (add it to a store with that name)']);
    await w.stop();
    await new CameraRepository(db).delete(yard, store);
  });

  it('hands a camera over between workers through Redis leases: the new holder watches it and closes the hand-over span', async () => {
    const prefix = `swlw-${randomBytes(4).toString('hex')}`;
    const a = await worker({ redisUrl: REDIS_URL, prefix });
    await until('worker a watching', async () => (a.watching()[0]?.cameras.length === 1 ? true : undefined), 10_000);
    await until('online by a', async () => ((await statusOf())?.workerId === a.workerId && (await statusOf())?.state === 'online' ? true : undefined), 10_000);
    const b = await worker({ redisUrl: REDIS_URL, prefix });
    // No fixed sleep: b's heartbeat (its expiry in the workers set moves on every tick it runs) is watched until b has
    // ticked three times, so it has seen the camera on two whole ticks with a's lease in place (a camera seen free
    // twice would be taken). Then still only one worker watches it.
    const watcher = new Redis(REDIS_URL);
    try {
      const beats = new Set<string>();
      await until('worker b to tick three times', async () => {
        const beat = await watcher.zscore(`${prefix}:live:${store}:workers`, b.workerId);
        if (beat !== null) beats.add(beat);
        return beats.size >= 3 ? true : undefined;
      }, 15_000);
    } finally {
      await watcher.quit();
    }
    // Only one worker watches the camera at a time.
    expect([...a.watching(), ...b.watching()].flatMap((x) => x.cameras)).toEqual(['dock-1']);
    const spansBefore = (await spansOf()).length;
    await a.stop();
    await until('online by b', async () => ((await statusOf())?.workerId === b.workerId && (await statusOf())?.state === 'online' ? true : undefined), 15_000);
    const spans = await spansOf();
    expect(spans.length).toBeGreaterThan(spansBefore);
    await until('the hand-over span closed', async () => ((await spansOf()).every((s) => s.endAt !== null) ? true : undefined), 5000);
    expect((await spansOf())[0]?.reason).toMatch(/lease released|sopwatch stopped/);
    const redis = new Redis(REDIS_URL);
    try {
      expect(await redis.get(`${prefix}:live:${store}:lease:dock-1`)).toBe(b.workerId);
    } finally {
      await b.stop();
      const keys = await redis.keys(`${prefix}:*`);
      if (keys.length > 0) await redis.del(...keys);
      await redis.quit();
    }
    expect(errors).toEqual([]);
  });
});
