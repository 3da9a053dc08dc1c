// Queues the RetentionSweep job once per period; every worker may run this, the job id makes the period's sweep one.
import { JobName } from '../core/jobs.ts';
import type { JobQueue } from '../core/queue/index.ts';

export interface RetentionSchedule {
  /** Queues this period's sweep now (ignored when it is already queued); resolves to its job id. */
  runOnce(): Promise<string>;
  stop(): void;
}

/** Same id for every add within one period, so N workers queue one sweep. */
export function retentionJobId(nowMs: number, everyMs: number): string {
  return `retention.${Math.floor(nowMs / everyMs)}`;
}

export function startRetentionSchedule(options: {
  queue: JobQueue;
  /** Default one hour. */
  everyMs?: number;
  clock?: () => number;
  onError?: (err: unknown) => void;
}): RetentionSchedule {
  const everyMs = options.everyMs ?? 3_600_000;
  const clock = options.clock ?? Date.now;
  const runOnce = (): Promise<string> => options.queue.add(JobName.RetentionSweep, {}, { jobId: retentionJobId(clock(), everyMs) });
  runOnce().catch((err: unknown) => options.onError?.(err));
  const timer = setInterval(() => {
    runOnce().catch((err: unknown) => options.onError?.(err));
  }, everyMs);
  timer.unref();
  return { runOnce, stop: () => clearInterval(timer) };
}
