// One job-queue conformance suite run against both backends: BullMQ on the real Redis, and the in-process runner.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { InputError } from '../../services/core/errors.ts';
import { JobName, type JobOutcome } from '../../services/core/jobs.ts';
import {
  InProcessQueue,
  QueueClosedError,
  QueueConfigError,
  openBullmqQueue,
  type JobQueue,
  type QueueEvent,
  type QueueEventMap,
  type QueueSettings,
} from '../../services/core/queue/index.ts';
import { wipeRedisPrefix } from '../fixtures/redis-prefix.ts';

const REDIS_URL = 'redis://127.0.0.1:6379';
const fast: Partial<QueueSettings> = { attempts: 3, backoffMs: 40, backoffJitter: 0, lockDurationMs: 10_000 };

interface Backend {
  name: 'bullmq' | 'in-process';
  open(settings?: Partial<QueueSettings>): Promise<JobQueue>;
}

let admin: Redis;
const prefixes: string[] = [];

const backends: Backend[] = [
  {
    name: 'bullmq',
    open: async (settings = fast) => {
      // A unique key prefix per test: tests never see each other's jobs.
      const prefix = `swtest-${randomBytes(5).toString('hex')}`;
      prefixes.push(prefix);
      return openBullmqQueue({ url: REDIS_URL, prefix, settings });
    },
  },
  { name: 'in-process', open: async (settings = fast) => new InProcessQueue(settings) },
];

beforeAll(async () => {
  admin = new Redis(REDIS_URL);
  // The shared dev Redis is throwaway; BullMQ (and our start-up check) needs noeviction.
  const [, policy] = (await admin.config('GET', 'maxmemory-policy')) as [string, string];
  if (policy !== 'noeviction') await admin.config('SET', 'maxmemory-policy', 'noeviction');
});

afterAll(async () => {
  for (const prefix of prefixes) await wipeRedisPrefix(admin, prefix);
  await admin.quit();
});

/** Subscribers of a Redis pub/sub channel. */
async function numSub(channel: string): Promise<number> {
  const [, n] = (await admin.pubsub('NUMSUB', channel)) as [string, number];
  return Number(n);
}

/**
 * Waits until `count` processes listen for jobs for every worker of `name` (BullMQ subscribes in the background when a
 * handler is set; a worker process subscribes at start, long before an upload asks). In-process: nothing to wait for.
 */
async function subscribed(queue: JobQueue, name: JobName, count: number): Promise<void> {
  if (queue.kind !== 'bullmq') return;
  const prefix = prefixes[prefixes.length - 1];
  for (let i = 0; i < 100; i++) {
    if ((await numSub(`${prefix}:every:${name}`)) >= count) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`fewer than ${count} subscribers for ${name}`);
}

/** Resolves with the first event matching `accept`, or fails after `timeoutMs`. */
function nextEvent<E extends QueueEvent>(queue: JobQueue, event: E, accept: (e: QueueEventMap[E]) => boolean = () => true, timeoutMs = 15_000): Promise<QueueEventMap[E]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no ${event} event within ${timeoutMs} ms`));
    }, timeoutMs);
    const off = queue.on(event, (e) => {
      if (!accept(e)) return;
      clearTimeout(timer);
      off();
      resolve(e);
    });
  });
}

function collect<E extends QueueEvent>(queue: JobQueue, event: E): Array<QueueEventMap[E]> {
  const seen: Array<QueueEventMap[E]> = [];
  queue.on(event, (e) => seen.push(e));
  return seen;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const clip = (n: number): { storeId: string; clipId: string } => ({ storeId: 'store-1', clipId: `clip-${n}` });

describe.each(backends)('job queue on $name', (backend) => {
  let queue: JobQueue;
  afterEach(async () => {
    await queue.close();
  });

  it('runs a job and reports it completed', async () => {
    queue = await backend.open();
    const seen: unknown[] = [];
    queue.process(JobName.ClipAnalyse, async (payload, ctx) => {
      seen.push({ payload, attempt: ctx.attempt, name: ctx.name });
      return { status: 'success' };
    });
    const done = nextEvent(queue, 'completed');
    const jobId = await queue.add(JobName.ClipAnalyse, clip(1), { jobId: 'clip-1' });
    expect(jobId).toBe('clip-1');
    expect(await done).toEqual({ name: JobName.ClipAnalyse, jobId: 'clip-1', attempt: 1, outcome: { status: 'success' } });
    expect(seen).toEqual([{ payload: clip(1), attempt: 1, name: JobName.ClipAnalyse }]);
    expect(await queue.counts(JobName.ClipAnalyse)).toEqual({ waiting: 0, active: 0, delayed: 0, completed: 1, failed: 0 });
  });

  it('runs a job added twice with the same id once, also when re-added after it finished', async () => {
    queue = await backend.open();
    const runs: string[] = [];
    await queue.add(JobName.ClipAnalyse, clip(1), { jobId: 'dup' });
    await queue.add(JobName.ClipAnalyse, clip(1), { jobId: 'dup' });
    queue.process(JobName.ClipAnalyse, async (payload) => {
      runs.push(payload.clipId);
      return { status: 'skipped', reason: 'nothing to do' };
    }, { concurrency: 1 });
    const first = await nextEvent(queue, 'completed');
    expect(first.outcome).toEqual({ status: 'skipped', reason: 'nothing to do' });
    await queue.add(JobName.ClipAnalyse, clip(1), { jobId: 'dup' });
    // One worker, first in first out: had the re-add been queued, it would run before this marker job.
    const marker = nextEvent(queue, 'completed', (e) => e.jobId === 'marker');
    await queue.add(JobName.ClipAnalyse, clip(2), { jobId: 'marker' });
    await marker;
    expect(runs).toEqual(['clip-1', 'clip-2']);
    expect((await queue.counts()).completed).toBe(2);
  });

  it('forgets a job added with discardWhenDone once it ran: not counted as finished, the same id runs again, the others stay kept', async () => {
    queue = await backend.open({ ...fast, attempts: 1, keepCompleted: 1 });
    const runs: string[] = [];
    queue.process(JobName.ClipAnalyse, async (payload) => {
      runs.push(payload.clipId);
      return payload.clipId === 'clip-3' ? { status: 'failed', reason: 'models did not load', retry: false } : { status: 'success' };
    });
    const kept = nextEvent(queue, 'completed', (e) => e.jobId === 'kept');
    await queue.add(JobName.ClipAnalyse, clip(1), { jobId: 'kept' });
    await kept;
    for (const n of [2, 2, 3]) {
      const ran = n === 3 ? nextEvent(queue, 'failed', (e) => e.jobId === 'warm') : nextEvent(queue, 'completed', (e) => e.jobId === 'warm');
      await queue.add(JobName.ClipAnalyse, clip(n), { jobId: 'warm', discardWhenDone: true });
      await ran;
    }
    expect(runs).toEqual(['clip-1', 'clip-2', 'clip-2', 'clip-3']);
    // The one retained place still holds the kept job: its id stays deduplicated.
    expect(await queue.counts(JobName.ClipAnalyse)).toEqual({ waiting: 0, active: 0, delayed: 0, completed: 1, failed: 0 });
    const marker = nextEvent(queue, 'completed', (e) => e.jobId === 'marker');
    await queue.add(JobName.ClipAnalyse, clip(1), { jobId: 'kept' });
    await queue.add(JobName.ClipAnalyse, clip(4), { jobId: 'marker' });
    await marker;
    expect(runs).toEqual(['clip-1', 'clip-2', 'clip-2', 'clip-3', 'clip-4']);
  });

  it('runs a job for every worker once here, keeps nothing, and takes no id', async () => {
    queue = await backend.open();
    const runs: string[] = [];
    queue.process(JobName.DetectorsWarm, async (payload, ctx) => {
      runs.push(`${payload.cameraId}#${ctx.attempt}`);
      return { status: 'success' };
    });
    await subscribed(queue, JobName.DetectorsWarm, 1);
    const done = nextEvent(queue, 'completed', (e) => e.name === JobName.DetectorsWarm);
    const id = await queue.add(JobName.DetectorsWarm, { storeId: 'store-1', cameraId: 'camera-1' }, { everyWorker: true, jobId: 'ignored' });
    expect(id).not.toBe('ignored');
    expect((await done).jobId).toBe(id);
    expect(runs).toEqual(['camera-1#1']);
    expect(await queue.counts(JobName.DetectorsWarm)).toEqual({ waiting: 0, active: 0, delayed: 0, completed: 0, failed: 0 });
  });

  it('a job for every worker whose run fails (retryable) is not retried, on either backend', async () => {
    queue = await backend.open();
    const runs: number[] = [];
    queue.process(JobName.DetectorsWarm, async (_payload, ctx) => {
      runs.push(ctx.attempt);
      throw new Error('models did not load');
    });
    await subscribed(queue, JobName.DetectorsWarm, 1);
    const failed = nextEvent(queue, 'failed', (e) => e.name === JobName.DetectorsWarm);
    const id = await queue.add(JobName.DetectorsWarm, { storeId: 'store-1', cameraId: 'camera-1' }, { everyWorker: true });
    expect(await failed).toMatchObject({ jobId: id, attempt: 1, willRetry: false, reason: 'models did not load' });
    // Past the backoff a retry would wait (the fast settings): still one run, nothing kept.
    await new Promise((r) => setTimeout(r, 300));
    expect(runs).toEqual([1]);
    expect(await queue.counts(JobName.DetectorsWarm)).toEqual({ waiting: 0, active: 0, delayed: 0, completed: 0, failed: 0 });
  });

  it('a job for every worker added while its name is at full concurrency: dropped for good on BullMQ (a hint), run once afterwards in-process; the next one runs', async () => {
    queue = await backend.open();
    const warm = (cameraId: string): { storeId: string; cameraId: string } => ({ storeId: 'store-1', cameraId });
    const entered: string[] = [];
    let active = 0;
    let peak = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let started!: () => void;
    const firstStarted = new Promise<void>((r) => (started = r));
    queue.process(JobName.DetectorsWarm, async (payload) => {
      entered.push(payload.cameraId);
      active += 1;
      peak = Math.max(peak, active);
      if (payload.cameraId === 'camera-1') {
        started();
        await gate;
      }
      active -= 1;
      return { status: 'success' };
    }, { concurrency: 1 });
    // Another name on the same subscriber connection: its hint, sent after the busy one on the same producer
    // connection, arrives after it (pub/sub keeps one connection's order), so once it has run the busy one was seen.
    queue.process(JobName.RetentionSweep, async () => ({ status: 'success' }));
    await subscribed(queue, JobName.DetectorsWarm, 1);
    await subscribed(queue, JobName.RetentionSweep, 1);
    const completed = collect(queue, 'completed');
    const failed = collect(queue, 'failed');

    // Always let the first run end: close() in afterEach waits for it, and a failed expectation must not hang there.
    try {
      const first = await queue.add(JobName.DetectorsWarm, warm('camera-1'), { everyWorker: true });
      await firstStarted;
      const busy = await queue.add(JobName.DetectorsWarm, warm('camera-2'), { everyWorker: true });
      const seen = nextEvent(queue, 'completed', (e) => e.name === JobName.RetentionSweep);
      await queue.add(JobName.RetentionSweep, {}, { everyWorker: true });
      await seen;
      // The first still holds the only place: the busy one has not started a second run beside it.
      expect(entered).toEqual(['camera-1']);

      const firstDone = nextEvent(queue, 'completed', (e) => e.jobId === first);
      release();
      await firstDone;
      // Added once the first has finished: it runs. One place, first in first out: a busy one kept for later runs before it.
      const later = nextEvent(queue, 'completed', (e) => e.jobId !== first && e.jobId !== busy && e.name === JobName.DetectorsWarm);
      const next = await queue.add(JobName.DetectorsWarm, warm('camera-3'), { everyWorker: true });
      expect((await later).jobId).toBe(next);
      // A little longer, for anything kept back some other way.
      await sleep(200);

      const warmDone = completed.filter((e) => e.name === JobName.DetectorsWarm).map((e) => e.jobId);
      if (queue.kind === 'bullmq') {
        // A hint that finds the name's concurrency busy is dropped: not run beside, not kept for later, nothing reported.
        expect(entered).toEqual(['camera-1', 'camera-3']);
        expect(warmDone).toEqual([first, next]);
      } else {
        // Every worker is this one process: the job runs here once (AddOptions.everyWorker), queued behind the busy run.
        expect(entered).toEqual(['camera-1', 'camera-2', 'camera-3']);
        expect(warmDone).toEqual([first, busy, next]);
      }
      expect(peak).toBe(1);
      expect(failed).toEqual([]);
    } finally {
      release();
    }
    expect(await queue.counts(JobName.DetectorsWarm)).toEqual({ waiting: 0, active: 0, delayed: 0, completed: 0, failed: 0 });
  });

  it('retries a retryable failure with backoff, then succeeds', async () => {
    queue = await backend.open();
    const failed = collect(queue, 'failed');
    const startedAt: number[] = [];
    queue.process(JobName.EvidenceBuild, async (_payload, ctx): Promise<JobOutcome> => {
      startedAt.push(Date.now());
      if (ctx.attempt < 3) return { status: 'failed', reason: `busy ${ctx.attempt}`, retry: true };
      return { status: 'success' };
    });
    const done = nextEvent(queue, 'completed');
    await queue.add(JobName.EvidenceBuild, { storeId: 's', violationId: 'v-1' }, { jobId: 'ev-1' });
    expect((await done).attempt).toBe(3);
    expect(failed.map((f) => [f.attempt, f.reason, f.willRetry])).toEqual([[1, 'busy 1', true], [2, 'busy 2', true]]);
    // Exponential: the second wait is about twice the first (40 ms, then 80 ms).
    const [a = 0, b = 0, c = 0] = startedAt;
    expect(b - a).toBeGreaterThanOrEqual(35);
    expect(c - b).toBeGreaterThanOrEqual(75);
  });

  it('gives up after the configured attempts', async () => {
    queue = await backend.open();
    const failed = collect(queue, 'failed');
    let calls = 0;
    queue.process(JobName.NotificationSend, async () => {
      calls += 1;
      return { status: 'failed', reason: 'smtp down', retry: true };
    });
    const last = nextEvent(queue, 'failed', (e) => !e.willRetry);
    await queue.add(JobName.NotificationSend, { storeId: 's', notificationId: 'n-1' }, { jobId: 'n-1' });
    expect(await last).toMatchObject({ attempt: 3, reason: 'smtp down', willRetry: false });
    expect(calls).toBe(3);
    expect(failed.map((f) => f.willRetry)).toEqual([true, true, false]);
    expect(await queue.counts(JobName.NotificationSend)).toMatchObject({ failed: 1, delayed: 0, waiting: 0 });
  });

  it('does not retry a non-retryable failure, returned or thrown as InputError', async () => {
    queue = await backend.open();
    const calls: string[] = [];
    queue.process(JobName.ClipAnalyse, async (payload): Promise<JobOutcome> => {
      calls.push(payload.clipId);
      if (payload.clipId === 'clip-1') return { status: 'failed', reason: 'not a video', retry: false };
      throw new InputError('corrupt header');
    });
    const failed = collect(queue, 'failed');
    const both = new Promise<void>((resolve) => {
      queue.on('failed', () => {
        if (failed.length === 2) resolve();
      });
    });
    await queue.add(JobName.ClipAnalyse, clip(1), { jobId: 'bad-1' });
    await queue.add(JobName.ClipAnalyse, clip(2), { jobId: 'bad-2' });
    await both;
    expect(failed.map((f) => [f.jobId, f.reason, f.willRetry, f.attempt])).toEqual([
      ['bad-1', 'not a video', false, 1],
      ['bad-2', 'corrupt header', false, 1],
    ]);
    expect(calls).toEqual(['clip-1', 'clip-2']);
    expect(await queue.counts(JobName.ClipAnalyse)).toMatchObject({ failed: 2, delayed: 0, waiting: 0 });
  });

  it('respects concurrency', async () => {
    queue = await backend.open();
    let active = 0;
    let peak = 0;
    queue.process(JobName.StepVerify, async () => {
      active += 1;
      peak = Math.max(peak, active);
      await sleep(150);
      active -= 1;
      return { status: 'success' };
    }, { concurrency: 2 });
    const completed = collect(queue, 'completed');
    const allDone = new Promise<void>((resolve) => {
      queue.on('completed', () => {
        if (completed.length === 5) resolve();
      });
    });
    for (let i = 0; i < 5; i++) await queue.add(JobName.StepVerify, { storeId: 's', cameraId: 'bar-1', requestId: `r-${i}` });
    await allDone;
    expect(peak).toBe(2);
  });

  it('emits progress events, clamped to 0..1', async () => {
    queue = await backend.open();
    const progress = collect(queue, 'progress');
    queue.process(JobName.ClipAnalyse, async (_p, ctx) => {
      await ctx.progress(0.25);
      await ctx.progress(0.5);
      await ctx.progress(1.7);
      return { status: 'success' };
    });
    const done = nextEvent(queue, 'completed');
    await queue.add(JobName.ClipAnalyse, clip(1), { jobId: 'p-1' });
    await done;
    expect(progress).toEqual([0.25, 0.5, 1].map((p) => ({ name: JobName.ClipAnalyse, jobId: 'p-1', progress: p })));
  });

  it('close() waits for the running job to finish, then refuses new jobs', async () => {
    queue = await backend.open();
    let finished = false;
    let started!: () => void;
    const startedP = new Promise<void>((r) => (started = r));
    const completed = collect(queue, 'completed');
    queue.process(JobName.RetentionSweep, async () => {
      started();
      await sleep(400);
      finished = true;
      return { status: 'success' };
    });
    await queue.add(JobName.RetentionSweep, {}, { jobId: 'sweep-1' });
    await startedP;
    const t0 = Date.now();
    await queue.close();
    expect(finished).toBe(true);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(300);
    expect(completed.map((c) => c.jobId)).toEqual(['sweep-1']);
    await expect(queue.add(JobName.RetentionSweep, {})).rejects.toThrow(QueueClosedError);
  });

  it('refuses payloads that are not ids only, and bad job ids, queueing nothing', async () => {
    queue = await backend.open();
    const add = (payload: unknown, jobId?: string): Promise<string> =>
      queue.add(JobName.ClipAnalyse, payload as { storeId: string; clipId: string }, jobId === undefined ? {} : { jobId });
    await expect(add({ storeId: 's', clipId: Buffer.from('pixels') })).rejects.toThrow(/binary data; job payloads carry ids only/);
    await expect(add({ storeId: 's', clipId: 'x'.repeat(1_000_000) })).rejects.toThrow(InputError);
    await expect(add({ storeId: 's', clipId: 'c', frame: 'data:image/jpeg;base64,AAAA' })).rejects.toThrow(InputError);
    await expect(add({ storeId: 's' })).rejects.toThrow(/payload refused/);
    await expect(add({ storeId: 's', clipId: 'has space' })).rejects.toThrow(InputError);
    await expect(add(clip(1), 'clip:1')).rejects.toThrow(/job id "clip:1" refused/);
    await expect(add(clip(1), '-leading-dash')).rejects.toThrow(InputError);
    expect(await queue.counts()).toEqual({ waiting: 0, active: 0, delayed: 0, completed: 0, failed: 0 });
  });

  it('accepts any valid id, including names BullMQ uses for its own keys', async () => {
    queue = await backend.open();
    const ids = ['marker', 'meta', 'wait', 'events', 'id', '42', 'clip-9.v2/analyse'];
    const runs: string[] = [];
    queue.process(JobName.ClipAnalyse, async (_p, ctx) => {
      runs.push(ctx.jobId);
      return { status: 'success' };
    });
    const completed = collect(queue, 'completed');
    const allDone = new Promise<void>((resolve) => {
      queue.on('completed', () => {
        if (completed.length === ids.length) resolve();
      });
    });
    for (const [i, jobId] of ids.entries()) await queue.add(JobName.ClipAnalyse, clip(i), { jobId });
    await allDone;
    expect(runs).toEqual(ids);
    expect(completed.map((c) => c.jobId)).toEqual(ids);
  });

  it('refuses a second handler for the same job name', async () => {
    queue = await backend.open();
    const ok = async (): Promise<JobOutcome> => ({ status: 'success' });
    queue.process(JobName.ClipAnalyse, ok);
    expect(() => queue.process(JobName.ClipAnalyse, ok)).toThrow(QueueConfigError);
  });
});

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      srv.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0));
    });
  });
}

/** A connection to a just-started redis-server, retried until it listens (at most ~5 s). */
async function connectWhenUp(url: string): Promise<Redis> {
  for (let i = 0; ; i++) {
    const client = new Redis(url, { lazyConnect: true, retryStrategy: () => null });
    client.on('error', () => undefined);
    try {
      await client.connect();
      return client;
    } catch (err) {
      client.disconnect();
      if (i >= 100) throw err;
      await sleep(50);
    }
  }
}

describe('bullmq: a job for every worker (AddOptions.everyWorker)', () => {
  it('runs once in each process that handles its name, while a plain job runs in one; a malformed message runs nothing', async () => {
    const prefix = `swtest-${randomBytes(5).toString('hex')}`;
    prefixes.push(prefix);
    const [a, b, api] = (await Promise.all([0, 1, 2].map(() => openBullmqQueue({ url: REDIS_URL, prefix, settings: fast })))) as [JobQueue, JobQueue, JobQueue];
    const workers = [a, b] as [JobQueue, JobQueue];
    try {
      const runs: string[][] = [[], []];
      const errors: string[] = [];
      for (const [i, w] of workers.entries()) {
        w.process(JobName.DetectorsWarm, async (payload) => {
          runs[i]?.push(payload.cameraId);
          return { status: 'success' };
        });
        w.on('error', (e) => errors.push(e.error.message));
      }
      await subscribed(api, JobName.DetectorsWarm, 2);
      const both = Promise.all(workers.map((w) => nextEvent(w, 'completed', (e) => e.name === JobName.DetectorsWarm)));
      await api.add(JobName.DetectorsWarm, { storeId: 'store-1', cameraId: 'camera-1' }, { everyWorker: true });
      await both;
      expect(runs).toEqual([['camera-1'], ['camera-1']]);
      // A plain job of the same name still runs in exactly one of them.
      const plain = Promise.race(workers.map((w) => nextEvent(w, 'completed', (e) => e.jobId === 'plain')));
      await api.add(JobName.DetectorsWarm, { storeId: 'store-1', cameraId: 'camera-2' }, { jobId: 'plain', discardWhenDone: true });
      await plain;
      // Something else on the channel (another version, a hand-written PUBLISH) is refused by the payload check.
      const refused = Promise.all(workers.map((w) => nextEvent(w, 'error')));
      await admin.publish(`${prefix}:every:${JobName.DetectorsWarm}`, JSON.stringify({ id: 'x', payload: { storeId: 'store-1', cameraId: 'camera-3', extra: 1 } }));
      await refused;
      await new Promise((r) => setTimeout(r, 300));
      expect(runs.flat().sort()).toEqual(['camera-1', 'camera-1', 'camera-2']);
      expect(errors).toHaveLength(2);
      expect(errors[0]).toMatch(/was not a job of that name/);
      // Nothing is kept of it, in any queue.
      expect(await api.counts(JobName.DetectorsWarm)).toEqual({ waiting: 0, active: 0, delayed: 0, completed: 0, failed: 0 });
    } finally {
      await Promise.all([a, b, api].map((q) => q.close()));
    }
    // Closed workers have left the channel.
    expect(await numSub(`${prefix}:every:${JobName.DetectorsWarm}`)).toBe(0);
  });
});

describe('bullmq start-up checks', () => {
  it('refuses a Redis whose maxmemory-policy is not noeviction, and accepts it once fixed', async () => {
    const port = await freePort();
    const server = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--maxmemory-policy', 'allkeys-lru'], { stdio: 'ignore' });
    const url = `redis://127.0.0.1:${port}`;
    let probe: Redis | undefined;
    try {
      probe = await connectWhenUp(url);
      const err = await openBullmqQueue({ url, prefix: 'lru-check' }).then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(QueueConfigError);
      expect((err as Error).message).toMatch(/maxmemory-policy "allkeys-lru"; sopwatch needs "noeviction"/);
      await probe.config('SET', 'maxmemory-policy', 'noeviction');
      expect(server.exitCode).toBeNull();
      const queue = await openBullmqQueue({ url, prefix: 'lru-check' });
      await queue.close();
    } finally {
      probe?.disconnect();
      server.kill('SIGKILL');
    }
  });

  it('fails with a transport error when Redis cannot be reached', async () => {
    const port = await freePort();
    await expect(openBullmqQueue({ url: `redis://:secret@127.0.0.1:${port}` })).rejects.toThrow(/cannot reach Redis at redis:\/\/:\*\*\*@127\.0\.0\.1/);
  });
});
