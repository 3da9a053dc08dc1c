// Camera leases on the real Redis (unique key prefix): two workers share six simulated cameras fairly; a worker
// cut off from Redis stops watching before its leases expire and the other takes every camera within the bound;
// a new worker takes its share; a clean stop hands cameras over at once; no camera is ever watched by two at once.
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import sharp from 'sharp';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CameraSupervisor } from '../../services/ingester/camera-supervisor.ts';
import { SnapshotFrameSource } from '../../services/ingester/snapshot-frame-source.ts';
import { LeaseDistributor } from '../../services/live/camera-distributor.ts';
import { RedisLeaseStore } from '../../services/live/camera-lease.ts';
import { startSnapshotDouble, type SnapshotDouble } from '../doubles/snapshot-server.ts';
import { optInLoopback } from '../doubles/outbound.ts';

// The doubles listen on 127.0.0.1: opt in to loopback cameras, webhooks and models as an operator would.
optInLoopback();

const TTL_MS = 3000;
const EVERY_MS = 1000;
const REDIS = { host: '127.0.0.1', port: 6379 };
const PASSWORD = 'lease-test-pw';

interface Interval {
  worker: string;
  camera: string;
  startMs: number;
  stopMs?: number;
  frames: number;
}

let cameras: SnapshotDouble[] = [];
const cameraIds = ['c1', 'c2', 'c3', 'c4', 'c5', 'c6'];
let intervals: Interval[] = [];
const cleanups: Array<() => Promise<void>> = [];
let prefix = '';

beforeAll(async () => {
  const jpeg = await sharp({ create: { width: 32, height: 18, channels: 3, background: '#777' } }).jpeg().toBuffer();
  cameras = await Promise.all(cameraIds.map(() => startSnapshotDouble({ jpeg: () => jpeg, username: 'admin', password: PASSWORD })));
});

afterAll(async () => {
  await Promise.all(cameras.map((c) => c.stop()));
});

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  const redis = new Redis(REDIS);
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
  intervals = [];
});

/** A TCP relay to Redis that can be frozen: the connection stays open and nothing gets through (a hung network). */
async function freezableRelay(): Promise<{ port: number; freeze(): void; close(): Promise<void> }> {
  const pairs: net.Socket[] = [];
  let frozen = false;
  const server = net.createServer((client) => {
    const upstream = net.connect(REDIS.port, REDIS.host);
    pairs.push(client, upstream);
    client.pipe(upstream);
    upstream.pipe(client);
    client.on('error', () => undefined);
    upstream.on('error', () => undefined);
    if (frozen) {
      client.pause();
      upstream.pause();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    port: (server.address() as net.AddressInfo).port,
    freeze() {
      frozen = true;
      for (const s of pairs) {
        s.unpipe();
        s.pause();
      }
    },
    close: async () => {
      for (const s of pairs) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function worker(name: string, port = REDIS.port): { d: LeaseDistributor; redis: Redis } {
  const redis = new Redis({ host: REDIS.host, port, maxRetriesPerRequest: 1, lazyConnect: false });
  redis.on('error', () => undefined);
  const d = new LeaseDistributor({
    workerId: name,
    cameraIds,
    store: new RedisLeaseStore(redis, prefix),
    ttlMs: TTL_MS,
    renewEveryMs: EVERY_MS,
    start: (camera) => {
      const cam = cameras[cameraIds.indexOf(camera)] as SnapshotDouble;
      const interval: Interval = { worker: name, camera, startMs: Date.now(), frames: 0 };
      intervals.push(interval);
      const sup = new CameraSupervisor({
        cameraId: camera,
        source: new SnapshotFrameSource({ url: cam.url, username: 'admin', password: PASSWORD, fps: 2 }),
        expectedFps: 2,
        stallMs: 2000,
        startTimeoutMs: 2000,
        backoff: { initialMs: 200, maxMs: 1000 },
      });
      sup.start();
      void (async () => {
        for await (const _ of sup.frames) interval.frames += 1;
      })();
      return {
        stop: async () => {
          await sup.stop();
          interval.stopMs = Date.now();
        },
      };
    },
  });
  cleanups.push(async () => {
    redis.disconnect();
    await d.stop();
  });
  return { d, redis };
}

async function until(what: string, test: () => boolean, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  while (!test()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return Date.now();
}

/** No camera is watched by two workers at overlapping times. */
function assertNoOverlap(): void {
  for (const camera of cameraIds) {
    const list = intervals.filter((i) => i.camera === camera);
    for (const a of list) {
      for (const b of list) {
        if (a === b || a.worker === b.worker) continue;
        const overlap = a.startMs < (b.stopMs ?? Infinity) && b.startMs < (a.stopMs ?? Infinity);
        expect(overlap, `${camera}: ${a.worker} [${a.startMs}, ${a.stopMs}] and ${b.worker} [${b.startMs}, ${b.stopMs}]`).toBe(false);
      }
    }
  }
}

describe('camera leases over Redis', () => {
  it('shares six cameras between two workers, and a worker cut off from Redis loses them all to the other in time', async () => {
    prefix = `sopwatch:test:live:${randomBytes(4).toString('hex')}:`;
    const relay = await freezableRelay();
    cleanups.push(() => relay.close());
    const a = worker('worker-a', relay.port);
    const b = worker('worker-b');
    a.d.start();
    b.d.start();
    await until('a 3/3 split', () => a.d.watching().length === 3 && b.d.watching().length === 3, 8000);
    expect(new Set([...a.d.watching(), ...b.d.watching()]).size).toBe(6);
    await until('frames on every camera', () => cameraIds.every((c) => intervals.some((i) => i.camera === c && i.frames > 0)), 5000);

    const frozenMs = Date.now();
    relay.freeze();
    const allMs = await until('worker-b watches all six', () => b.d.watching().length === 6, TTL_MS + 3 * EVERY_MS + 3000);
    // The bound: the TTL, plus one tick to see the camera free and one to take it, plus slack for a busy box.
    expect(allMs - frozenMs).toBeLessThanOrEqual(TTL_MS + 2 * EVERY_MS + 1500);
    expect(a.d.watching()).toEqual([]);
    const takenOver = intervals.filter((i) => i.worker === 'worker-b' && i.startMs >= frozenMs);
    expect(takenOver).toHaveLength(3);
    await until('frames from worker-b on the taken cameras', () => takenOver.every((i) => i.frames > 0), 4000);
    assertNoOverlap();
  });

  it('gives a new worker its fair share, and a cleanly stopped worker hands its cameras over without waiting for the TTL', async () => {
    prefix = `sopwatch:test:live:${randomBytes(4).toString('hex')}:`;
    const a = worker('worker-a');
    a.d.start();
    await until('worker-a alone watches all six', () => a.d.watching().length === 6, 6000);
    const b = worker('worker-b');
    b.d.start();
    await until('a 3/3 split after worker-b joined', () => a.d.watching().length === 3 && b.d.watching().length === 3, 4 * EVERY_MS + 2000);
    assertNoOverlap();

    const stoppedMs = Date.now();
    await b.d.stop();
    const backMs = await until('worker-a watches all six again', () => a.d.watching().length === 6, 3 * EVERY_MS + 2000);
    expect(backMs - stoppedMs).toBeLessThan(TTL_MS);
    assertNoOverlap();
    const holders = await new RedisLeaseStore(a.redis, prefix).holders(cameraIds);
    expect(holders).toEqual(cameraIds.map(() => 'worker-a'));
  });
});
