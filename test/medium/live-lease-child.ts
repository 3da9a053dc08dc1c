// One camera worker for live-lease-kill.test.ts: a LeaseDistributor on the real Redis with a fake watch that only
// prints, as JSON lines on stdout, when it starts and stops watching each camera and until when each lease surely holds.
// Usage: node --import tsx live-lease-child.ts <workerId> <keyPrefix> <ttlMs> <renewEveryMs> <safetyMs> <cameraId,...>
import { Redis } from 'ioredis';
import { LeaseDistributor } from '../../services/live/camera-distributor.ts';
import { RedisLeaseStore, type LeaseStore } from '../../services/live/camera-lease.ts';

const [workerId = '', prefix = '', ttlArg = '', everyArg = '', safetyArg = '', camerasArg = ''] = process.argv.slice(2);
const ttlMs = Number(ttlArg);
const safetyMs = Number(safetyArg);

// Pipes are written synchronously on Linux, so a line printed before a SIGKILL reaches the parent.
function say(line: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify({ worker: workerId, ...line })}\n`);
}

const redis = new Redis({ host: '127.0.0.1', port: 6379, maxRetriesPerRequest: 1 });
redis.on('error', () => undefined);
const inner = new RedisLeaseStore(redis, prefix);

// The distributor trusts a lease until (time the take or renewal was sent) + ttl - safety; the same figure is printed
// here so that the parent knows, for a worker it kills, the latest moment that worker could still have been watching.
const store: LeaseStore = {
  heartbeat: (w, t) => inner.heartbeat(w, t),
  holders: (ids) => inner.holders(ids),
  release: (id, w) => inner.release(id, w),
  leave: (w) => inner.leave(w),
  acquire: async (id, w, t) => {
    const sentMs = Date.now();
    const got = await inner.acquire(id, w, t);
    if (got) say({ ev: 'lease', camera: id, untilMs: sentMs + ttlMs - safetyMs });
    return got;
  },
  renew: async (ids, w, t) => {
    const sentMs = Date.now();
    const out = await inner.renew(ids, w, t);
    ids.forEach((id, i) => {
      if (out[i] === true) say({ ev: 'lease', camera: id, untilMs: sentMs + ttlMs - safetyMs });
    });
    return out;
  },
};

const distributor = new LeaseDistributor({
  workerId,
  cameraIds: camerasArg.split(','),
  store,
  ttlMs,
  renewEveryMs: Number(everyArg),
  safetyMs,
  start: (camera) => {
    say({ ev: 'start', camera, atMs: Date.now() });
    return {
      stop: () => {
        say({ ev: 'stop', camera, atMs: Date.now() });
        return Promise.resolve();
      },
    };
  },
});

process.once('SIGTERM', () => {
  void distributor.stop().finally(() => {
    redis.disconnect();
    say({ ev: 'exit', atMs: Date.now() });
    process.exit(0);
  });
});
distributor.start();
say({ ev: 'ready', atMs: Date.now() });
