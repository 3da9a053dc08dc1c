// The one job-queue interface both backends (BullMQ on Redis, in-process) implement, with its events and settings.
import type { JobHandler, JobName, JobOutcome, JobPayloads } from '../jobs.ts';

export interface AddOptions {
  /**
   * Idempotency key: a second add with the same id is ignored while the first is queued, running, or completed and
   * still kept; a job that failed for good is replaced and runs again. Default: random.
   */
  jobId?: string;
  /**
   * Forget the job once it has run (completed or failed for good) instead of keeping it among the finished ones: for
   * frequent jobs worth nothing afterwards (a warm-up), so that they neither fill the retention that keeps other jobs'
   * ids deduplicated nor stop a later add of the same id. Default false.
   */
  discardWhenDone?: boolean;
  /**
   * Run it now in every process that handles this job name, not in one of them: a hint each of them acts on (a
   * warm-up of what every worker keeps). Nothing is queued or kept: a process that is not running then never sees it,
   * and a failed run is not retried. `jobId` is ignored (each run gets its own). The in-process queue is one such
   * process: it runs the job there once, as with `discardWhenDone`. Default false.
   */
  everyWorker?: boolean;
}

export interface ProcessOptions {
  /** Jobs of this name run at most this many at a time in this process. Default from QueueSettings. */
  concurrency?: number;
}

export interface JobCounts {
  waiting: number;
  active: number;
  /** Waiting for a retry's backoff to pass. */
  delayed: number;
  completed: number;
  failed: number;
}

export interface QueueEventMap {
  progress: { name: JobName; jobId: string; progress: number };
  completed: { name: JobName; jobId: string; attempt: number; outcome: Exclude<JobOutcome, { status: 'failed' }> };
  /** Emitted for every failed attempt; `willRetry` false when it was the last one. */
  failed: { name: JobName; jobId: string; attempt: number; reason: string; willRetry: boolean };
  /** The backend's own trouble (a lost Redis connection): the queue keeps trying. */
  error: { error: Error };
}
export type QueueEvent = keyof QueueEventMap;

export interface JobQueue {
  readonly kind: 'bullmq' | 'in-process';
  /** Queues a job; the payload is checked (ids only, bounded). Resolves to the job id. */
  add<N extends JobName>(name: N, payload: JobPayloads[N], options?: AddOptions): Promise<string>;
  /** Starts running jobs of `name` with `handler`. One handler per name. */
  process<N extends JobName>(name: N, handler: JobHandler<N>, options?: ProcessOptions): void;
  /** Subscribes; returns the unsubscribe function. */
  on<E extends QueueEvent>(event: E, listener: (e: QueueEventMap[E]) => void): () => void;
  /** Counts for one job name, or summed over all. */
  counts(name?: JobName): Promise<JobCounts>;
  /** Stops taking jobs, waits for the running ones to finish, then releases connections. */
  close(): Promise<void>;
}

export interface QueueSettings {
  /** Runs per job, first included. */
  attempts: number;
  /** First retry delay; doubled on every further retry. */
  backoffMs: number;
  /** Share of the delay drawn at random (0..1), so a burst of failures does not retry in lock-step. */
  backoffJitter: number;
  /** Finished jobs kept (bounds memory; ids stay deduplicated while kept). */
  keepCompleted: number;
  keepFailed: number;
  /** Default concurrency per job name: one, for a 2-core machine. */
  concurrency: number;
  /** BullMQ: how long a job's lock lives without renewal; a dead worker's job restarts after about this. */
  lockDurationMs: number;
  /** BullMQ: how often stalled jobs are looked for. */
  stalledIntervalMs: number;
  /** BullMQ: stalls (worker died mid-job) tolerated before the job fails. */
  maxStalledCount: number;
}

export const defaultQueueSettings: QueueSettings = {
  attempts: 3,
  backoffMs: 5_000,
  backoffJitter: 0.2,
  keepCompleted: 1_000,
  keepFailed: 5_000,
  concurrency: 1,
  // Clip analysis runs for minutes; the lock is renewed every half of this while the event loop is free.
  lockDurationMs: 120_000,
  stalledIntervalMs: 30_000,
  maxStalledCount: 2,
};
