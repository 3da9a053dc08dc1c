// Queues again every clip the database says is accepted but unfinished: Redis (or a restart) may have lost its job.
import { queueClipAnalysis } from '../api/clip-jobs.ts';
import type { JobQueue } from '../core/queue/index.ts';
import { ClipRepository, type Database } from '../core/storage/index.ts';

export interface ReconcilerOptions {
  db: Database;
  queue: JobQueue;
  /** A clip untouched this long is queued again. Longer than a job lock plus a stall check, so BullMQ recovers its own first. */
  idleMs?: number;
  intervalMs?: number;
  onError?: (err: unknown) => void;
}

export interface Reconciler {
  /** One pass; returns how many clips were (re-)queued. Job ids make a clip still queued a no-op. */
  runOnce(idleMs?: number): Promise<number>;
  stop(): void;
}

export const DEFAULT_RECONCILE_IDLE_MS = 5 * 60_000;
export const DEFAULT_RECONCILE_INTERVAL_MS = 60_000;

export function startReconciler(options: ReconcilerOptions): Reconciler {
  const clips = new ClipRepository(options.db);
  const idleMs = options.idleMs ?? DEFAULT_RECONCILE_IDLE_MS;
  let busy = false;
  const runOnce = async (idle = idleMs): Promise<number> => {
    let queued = 0;
    for (const clip of await clips.listUnfinished(idle, 500)) {
      await queueClipAnalysis(options.queue, clip);
      queued += 1;
    }
    return queued;
  };
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    runOnce().catch((err: unknown) => options.onError?.(err)).finally(() => {
      busy = false;
    });
  }, options.intervalMs ?? DEFAULT_RECONCILE_INTERVAL_MS);
  timer.unref();
  return { runOnce, stop: () => clearInterval(timer) };
}
