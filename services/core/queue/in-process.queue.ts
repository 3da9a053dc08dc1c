// Jobs run inside this process (no Redis): same semantics as the BullMQ backend — idempotent ids, retries with
// exponential backoff, per-name concurrency, graceful close — but nothing survives the process.
import { randomUUID } from 'node:crypto';
import { assertJobId, assertJobPayload, type JobHandler, type JobName, type JobPayloads } from '../jobs.ts';
import type { AddOptions, JobCounts, JobQueue, ProcessOptions, QueueEvent, QueueEventMap, QueueSettings } from './job-queue.ts';
import { defaultQueueSettings } from './job-queue.ts';
import { QueueClosedError, QueueConfigError } from './queue-errors.ts';
import { QueueEvents } from './queue-events.ts';
import { clampProgress, runHandler } from './run-handler.ts';

type State = 'waiting' | 'active' | 'delayed' | 'completed' | 'failed';

interface Entry {
  id: string;
  name: JobName;
  payload: unknown;
  state: State;
  /** Forgotten once finished (AddOptions.discardWhenDone). */
  discard: boolean;
  /** A job for every worker (AddOptions.everyWorker): a failed run is not retried. */
  once: boolean;
  /** Runs finished (failed or not). */
  attemptsMade: number;
  timer?: NodeJS.Timeout;
}

interface Runner {
  handler: JobHandler<JobName>;
  concurrency: number;
  running: number;
}

/** Delay before retry number `retry` (1-based): base·2^(retry-1), minus up to `jitter` of it at random. */
export function backoffDelayMs(retry: number, baseMs: number, jitter: number): number {
  const full = baseMs * 2 ** (retry - 1);
  return Math.floor(full * (1 - jitter * Math.random()));
}

export class InProcessQueue implements JobQueue {
  readonly kind = 'in-process';
  private readonly settings: QueueSettings;
  private readonly events = new QueueEvents();
  private readonly jobs = new Map<string, Entry>();
  private readonly waiting = new Map<JobName, Entry[]>();
  private readonly runners = new Map<JobName, Runner>();
  private readonly running = new Set<Promise<void>>();
  /** Finished ids, oldest first, so retention stays bounded like BullMQ's removeOnComplete/removeOnFail counts. */
  private readonly finished: Record<'completed' | 'failed', string[]> = { completed: [], failed: [] };
  private closing: Promise<void> | undefined;

  constructor(settings: Partial<QueueSettings> = {}) {
    this.settings = { ...defaultQueueSettings, ...settings };
  }

  async add<N extends JobName>(name: N, payload: JobPayloads[N], options: AddOptions = {}): Promise<string> {
    if (this.closing) throw new QueueClosedError(`cannot add job ${name}: the queue is closed`);
    assertJobPayload(name, payload);
    // A job for every worker has no id of the caller's (AddOptions.everyWorker).
    const id = options.everyWorker === true ? randomUUID() : (options.jobId ?? randomUUID());
    assertJobId(id);
    const existing = this.jobs.get(id);
    // Same rule as BullMQ's backend: an id still queued, running or completed is a no-op; one that failed runs again.
    if (existing !== undefined && existing.state !== 'failed') return id;
    if (existing !== undefined) this.forget(existing);
    // Every worker is this process: a hint for every worker runs here once, and is forgotten.
    const entry: Entry = { id, name, payload: structuredClone(payload), state: 'waiting', attemptsMade: 0, discard: options.discardWhenDone === true || options.everyWorker === true, once: options.everyWorker === true };
    this.jobs.set(id, entry);
    this.enqueue(entry);
    return id;
  }

  process<N extends JobName>(name: N, handler: JobHandler<N>, options: ProcessOptions = {}): void {
    if (this.closing) throw new QueueClosedError(`cannot process ${name}: the queue is closed`);
    if (this.runners.has(name)) throw new QueueConfigError(`job ${name} already has a handler in this process`);
    const concurrency = options.concurrency ?? this.settings.concurrency;
    if (!Number.isInteger(concurrency) || concurrency < 1) throw new QueueConfigError(`concurrency for ${name} must be a positive integer`);
    this.runners.set(name, { handler: handler as JobHandler<JobName>, concurrency, running: 0 });
    this.dispatch(name);
  }

  on<E extends QueueEvent>(event: E, listener: (e: QueueEventMap[E]) => void): () => void {
    return this.events.on(event, listener);
  }

  async counts(name?: JobName): Promise<JobCounts> {
    const counts: JobCounts = { waiting: 0, active: 0, delayed: 0, completed: 0, failed: 0 };
    for (const entry of this.jobs.values()) {
      if (name === undefined || entry.name === name) counts[entry.state] += 1;
    }
    return counts;
  }

  async close(): Promise<void> {
    this.closing ??= (async () => {
      // Jobs waiting on a backoff are dropped: this backend promises nothing across a stop (the reconciler re-queues).
      for (const entry of this.jobs.values()) clearTimeout(entry.timer);
      while (this.running.size > 0) await Promise.allSettled([...this.running]);
    })();
    return this.closing;
  }

  private enqueue(entry: Entry): void {
    entry.state = 'waiting';
    const list = this.waiting.get(entry.name) ?? [];
    list.push(entry);
    this.waiting.set(entry.name, list);
    // Asynchronous like a real queue: add() resolves before the job starts.
    queueMicrotask(() => this.dispatch(entry.name));
  }

  private dispatch(name: JobName): void {
    const runner = this.runners.get(name);
    const list = this.waiting.get(name);
    while (!this.closing && runner !== undefined && list !== undefined && runner.running < runner.concurrency && list.length > 0) {
      const entry = list.shift() as Entry;
      runner.running += 1;
      const run = this.run(entry, runner).finally(() => {
        runner.running -= 1;
        this.running.delete(run);
        this.dispatch(name);
      });
      this.running.add(run);
    }
  }

  private async run(entry: Entry, runner: Runner): Promise<void> {
    entry.state = 'active';
    const attempt = entry.attemptsMade + 1;
    const result = await runHandler(runner.handler, entry.payload as JobPayloads[JobName], {
      name: entry.name,
      jobId: entry.id,
      attempt,
      progress: async (fraction) => {
        this.events.emit('progress', { name: entry.name, jobId: entry.id, progress: clampProgress(fraction) });
      },
    });
    entry.attemptsMade = attempt;
    if (result.kind === 'completed') {
      this.finish(entry, 'completed');
      this.events.emit('completed', { name: entry.name, jobId: entry.id, attempt, outcome: result.outcome });
      return;
    }
    const willRetry = result.retry && !entry.once && attempt < this.settings.attempts;
    if (willRetry) {
      entry.state = 'delayed';
      // While closing, the retry is not scheduled: the job stays delayed and goes with the process.
      if (!this.closing) entry.timer = setTimeout(() => {
        entry.timer = undefined;
        this.enqueue(entry);
      }, backoffDelayMs(attempt, this.settings.backoffMs, this.settings.backoffJitter));
    } else {
      this.finish(entry, 'failed');
    }
    this.events.emit('failed', { name: entry.name, jobId: entry.id, attempt, reason: result.reason, willRetry });
  }

  private forget(entry: Entry): void {
    this.jobs.delete(entry.id);
    const kept = this.finished.failed;
    const at = kept.indexOf(entry.id);
    if (at >= 0) kept.splice(at, 1);
  }

  private finish(entry: Entry, state: 'completed' | 'failed'): void {
    entry.state = state;
    if (entry.discard) return void this.jobs.delete(entry.id);
    const kept = this.finished[state];
    kept.push(entry.id);
    const limit = state === 'completed' ? this.settings.keepCompleted : this.settings.keepFailed;
    while (kept.length > limit) this.jobs.delete(kept.shift() as string);
  }
}
