// Jobs on Redis through BullMQ: survives restarts, shared by several worker processes. One BullMQ queue per job name.
import { randomUUID } from 'node:crypto';
import { Queue, UnrecoverableError, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { TransportError } from '../errors.ts';
import { allJobNames, assertJobId, assertJobPayload, type JobHandler, type JobName, type JobPayloads } from '../jobs.ts';
import type { AddOptions, JobCounts, JobQueue, ProcessOptions, QueueEvent, QueueEventMap, QueueSettings } from './job-queue.ts';
import { defaultQueueSettings } from './job-queue.ts';
import { QueueClosedError, QueueConfigError } from './queue-errors.ts';
import { QueueEvents } from './queue-events.ts';
import { assertNoEviction, redactRedisUrl } from './redis-policy.ts';
import { clampProgress, runHandler } from './run-handler.ts';

export interface BullmqQueueOptions {
  url: string;
  /** Key prefix in Redis; tests use a unique one each. Default `sopwatch`. */
  prefix?: string;
  settings?: Partial<QueueSettings>;
}

/** Opens the producer connection, refuses a Redis that may evict keys, and returns the queue. */
export async function openBullmqQueue(options: BullmqQueueOptions): Promise<JobQueue> {
  const prefix = options.prefix ?? 'sopwatch';
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(prefix)) throw new QueueConfigError(`queue prefix "${prefix}" must be 1-64 letters, digits or _.-`);
  const where = redactRedisUrl(options.url);
  // Producers fail fast while Redis is down (the API answers 503; the reconciler re-queues later).
  const producer = new Redis(options.url, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 1, connectTimeout: 5_000 });
  producer.on('error', () => undefined);
  try {
    await producer.connect();
  } catch (err) {
    producer.disconnect();
    throw new TransportError(`cannot reach Redis at ${where}`, { cause: err });
  }
  try {
    await assertNoEviction(producer, where);
  } catch (err) {
    producer.disconnect();
    throw err;
  }
  return new BullmqQueue(options.url, prefix, { ...defaultQueueSettings, ...options.settings }, producer);
}

/**
 * Our ids live in BullMQ under `j-`: a bare id such as `marker` or `meta` would name one of BullMQ's own keys
 * (`<prefix>:<queue>:marker`) and corrupt the queue.
 */
const toBullId = (jobId: string): string => `j-${jobId}`;
/** The Redis pub/sub channel of the hints for every worker of one job name (AddOptions.everyWorker). */
const everyChannel = (prefix: string, name: JobName): string => `${prefix}:every:${name}`;
const fromBullId = (bullId: string | undefined): string => (bullId?.startsWith('j-') === true ? bullId.slice(2) : String(bullId));

interface EveryHandler {
  name: JobName;
  handler: JobHandler<JobName>;
  concurrency: number;
  runs: Set<Promise<void>>;
}

class BullmqQueue implements JobQueue {
  readonly kind = 'bullmq';
  private readonly events = new QueueEvents();
  private readonly queues = new Map<JobName, Queue>();
  private readonly workers = new Map<JobName, Worker>();
  private workerConnection: Redis | undefined;
  /** Subscribed to the every-worker channels of the job names this process handles. */
  private subscriber: Redis | undefined;
  /** Per every-worker channel subscribed here: its job name, handler and concurrency, and its runs under way. */
  private readonly every = new Map<string, EveryHandler>();
  private closing: Promise<void> | undefined;

  constructor(
    private readonly url: string,
    private readonly prefix: string,
    private readonly settings: QueueSettings,
    private readonly producer: Redis,
  ) {}

  async add<N extends JobName>(name: N, payload: JobPayloads[N], options: AddOptions = {}): Promise<string> {
    if (this.closing) throw new QueueClosedError(`cannot add job ${name}: the queue is closed`);
    assertJobPayload(name, payload);
    if (options.everyWorker === true) {
      const id = randomUUID();
      try {
        await this.producer.publish(everyChannel(this.prefix, name), JSON.stringify({ id, payload }));
      } catch (err) {
        throw new TransportError(`cannot send job ${name} to every worker`, { cause: err });
      }
      return id;
    }
    const jobId = options.jobId ?? randomUUID();
    assertJobId(jobId);
    const queue = this.queue(name);
    const bullId = toBullId(jobId);
    try {
      // A job that failed for good is retained under its id, and BullMQ would ignore this add: asking again means
      // running again (a clip whose every attempt met a database outage is queued again by the reconciler).
      if ((await queue.getJobState(bullId)) === 'failed') await queue.remove(bullId);
      // Any other existing id (queued, running, or completed and retained) makes BullMQ ignore the add: the idempotency.
      await queue.add(name, payload, { jobId: bullId, ...(options.discardWhenDone === true ? { removeOnComplete: true, removeOnFail: true } : {}) });
    } catch (err) {
      // Redis down or full (OOM under noeviction): the caller answers 503 and the reconciler queues it later.
      throw new TransportError(`cannot queue job ${name} (${jobId})`, { cause: err });
    }
    return jobId;
  }

  process<N extends JobName>(name: N, handler: JobHandler<N>, options: ProcessOptions = {}): void {
    if (this.closing) throw new QueueClosedError(`cannot process ${name}: the queue is closed`);
    if (this.workers.has(name)) throw new QueueConfigError(`job ${name} already has a handler in this process`);
    const concurrency = options.concurrency ?? this.settings.concurrency;
    if (!Number.isInteger(concurrency) || concurrency < 1) throw new QueueConfigError(`concurrency for ${name} must be a positive integer`);
    // Workers block on Redis and must retry forever (BullMQ requires maxRetriesPerRequest null).
    if (this.workerConnection === undefined) {
      this.workerConnection = new Redis(this.url, { maxRetriesPerRequest: null });
      // Reconnection is ioredis's job; the workers report trouble through their own 'error' events.
      this.workerConnection.on('error', () => undefined);
    }
    const worker = new Worker(name, (job: Job) => this.runJob(name, handler, job), {
      connection: this.workerConnection,
      prefix: this.prefix,
      concurrency,
      lockDuration: this.settings.lockDurationMs,
      stalledInterval: this.settings.stalledIntervalMs,
      maxStalledCount: this.settings.maxStalledCount,
    });
    worker.on('progress', (job, progress) => {
      if (typeof progress === 'number') this.events.emit('progress', { name, jobId: fromBullId(job.id), progress });
    });
    worker.on('completed', (job, result: QueueEventMap['completed']['outcome']) => {
      this.events.emit('completed', { name, jobId: fromBullId(job.id), attempt: job.attemptsMade, outcome: result });
    });
    worker.on('failed', (job, err) => {
      if (job === undefined) return;
      // BullMQ sets finishedOn only when the job moved to failed for good.
      const willRetry = typeof job.finishedOn !== 'number';
      this.events.emit('failed', { name, jobId: fromBullId(job.id), attempt: job.attemptsMade, reason: err.message, willRetry });
    });
    worker.on('error', (error) => this.events.emit('error', { error }));
    this.workers.set(name, worker);
    this.listenForEvery({ name, handler: handler as JobHandler<JobName>, concurrency, runs: new Set() });
  }

  /** Subscribes to the hints for every worker of the handler's name; ioredis subscribes again after a reconnection. */
  private listenForEvery(h: EveryHandler): void {
    if (this.subscriber === undefined) {
      const subscriber = new Redis(this.url, { maxRetriesPerRequest: null });
      subscriber.on('error', () => undefined);
      subscriber.on('message', (channel: string, message: string) => {
        const found = this.every.get(channel);
        if (found !== undefined) this.runEvery(found, message);
      });
      this.subscriber = subscriber;
    }
    const channel = everyChannel(this.prefix, h.name);
    this.every.set(channel, h);
    this.subscriber.subscribe(channel).catch((error: unknown) => this.events.emit('error', { error: error as Error }));
  }

  /**
   * Runs one hint for every worker here: checked as a job's payload is, at most the name's concurrency at a time (a
   * hint that finds them all busy is dropped: it is a hint), never retried; reported by the same events as a job.
   */
  private runEvery(h: EveryHandler, message: string): void {
    const { name } = h;
    if (this.closing !== undefined) return;
    let id: string;
    let payload: unknown;
    try {
      const parsed = JSON.parse(message) as { id?: unknown; payload?: unknown };
      if (typeof parsed.id !== 'string') throw new Error('no id');
      assertJobId(parsed.id);
      assertJobPayload(name, parsed.payload);
      ({ id, payload } = parsed as { id: string; payload: unknown });
    } catch (err) {
      this.events.emit('error', { error: new Error(`a message for every ${name} worker was not a job of that name: ${(err as Error).message}`) });
      return;
    }
    if (h.runs.size >= h.concurrency) return;
    const run = (async () => {
      const result = await runHandler(h.handler, payload as JobPayloads[JobName], { name, jobId: id, attempt: 1, progress: async () => undefined });
      if (result.kind === 'completed') this.events.emit('completed', { name, jobId: id, attempt: 1, outcome: result.outcome });
      else this.events.emit('failed', { name, jobId: id, attempt: 1, reason: result.reason, willRetry: false });
    })().finally(() => h.runs.delete(run));
    h.runs.add(run);
  }

  on<E extends QueueEvent>(event: E, listener: (e: QueueEventMap[E]) => void): () => void {
    return this.events.on(event, listener);
  }

  async counts(name?: JobName): Promise<JobCounts> {
    const names = name === undefined ? allJobNames : [name];
    const total: JobCounts = { waiting: 0, active: 0, delayed: 0, completed: 0, failed: 0 };
    for (const n of names) {
      const c = await this.queue(n).getJobCounts('waiting', 'prioritized', 'paused', 'active', 'delayed', 'completed', 'failed');
      total.waiting += (c.waiting ?? 0) + (c.prioritized ?? 0) + (c.paused ?? 0);
      total.active += c.active ?? 0;
      total.delayed += c.delayed ?? 0;
      total.completed += c.completed ?? 0;
      total.failed += c.failed ?? 0;
    }
    return total;
  }

  async close(): Promise<void> {
    this.closing ??= (async () => {
      // Worker.close() waits for the jobs it is running; only then are connections released.
      await Promise.allSettled([...this.workers.values()].map((w) => w.close()));
      await Promise.allSettled([...this.every.values()].flatMap((h) => [...h.runs]));
      await Promise.allSettled([...this.queues.values()].map((q) => q.close()));
      const connections = [this.producer, this.workerConnection, this.subscriber].filter((c): c is Redis => c !== undefined);
      await Promise.allSettled(connections.map((c) => c.quit()));
    })();
    return this.closing;
  }

  private queue(name: JobName): Queue {
    let queue = this.queues.get(name);
    if (queue === undefined) {
      queue = new Queue(name, {
        connection: this.producer,
        prefix: this.prefix,
        defaultJobOptions: {
          attempts: this.settings.attempts,
          backoff: { type: 'exponential', delay: this.settings.backoffMs, jitter: this.settings.backoffJitter },
          removeOnComplete: { count: this.settings.keepCompleted },
          removeOnFail: { count: this.settings.keepFailed },
        },
      });
      queue.on('error', (error) => this.events.emit('error', { error }));
      this.queues.set(name, queue);
    }
    return queue;
  }

  private async runJob<N extends JobName>(name: N, handler: JobHandler<N>, job: Job): Promise<unknown> {
    try {
      assertJobPayload(name, job.data);
    } catch (err) {
      // Data written by another version, or by hand: retrying cannot fix it.
      throw new UnrecoverableError((err as Error).message);
    }
    const result = await runHandler(handler, job.data, {
      name,
      jobId: fromBullId(job.id),
      attempt: job.attemptsMade + 1,
      progress: (fraction) => job.updateProgress(clampProgress(fraction)),
    });
    if (result.kind === 'completed') return result.outcome;
    throw result.retry ? new Error(result.reason) : new UnrecoverableError(result.reason);
  }
}
