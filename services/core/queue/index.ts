// Queue entry: BullMQ when a Redis URL is configured, else in-process; plus starting every declared job's worker.
import { env } from '../env.ts';
import { allJobNames, assertHandlers, type HandlerRegistry, type JobHandler, type JobName } from '../jobs.ts';
import { openBullmqQueue } from './bullmq.queue.ts';
import { InProcessQueue } from './in-process.queue.ts';
import type { JobQueue, QueueSettings } from './job-queue.ts';

export type { AddOptions, JobCounts, JobQueue, ProcessOptions, QueueEvent, QueueEventMap, QueueSettings } from './job-queue.ts';
export { defaultQueueSettings } from './job-queue.ts';
export { QueueClosedError, QueueConfigError } from './queue-errors.ts';
export { openBullmqQueue, type BullmqQueueOptions } from './bullmq.queue.ts';
export { InProcessQueue, backoffDelayMs } from './in-process.queue.ts';
export { assertNoEviction } from './redis-policy.ts';

export interface OpenQueueOptions {
  /** Redis URL; default env().redisUrl. Absent: jobs run in this process. */
  redisUrl?: string;
  /** Force the in-process runner even when a Redis URL is configured (tests, `sopwatch demo`). */
  inProcess?: boolean;
  prefix?: string;
  settings?: Partial<QueueSettings>;
}

/** The job queue of this process. Refuses (QueueConfigError) a Redis whose maxmemory-policy is not noeviction. */
export async function openJobQueue(options: OpenQueueOptions = {}): Promise<JobQueue> {
  const url = options.inProcess === true ? undefined : (options.redisUrl ?? env().redisUrl);
  if (url === undefined) return new InProcessQueue(options.settings);
  return openBullmqQueue({ url, ...(options.prefix === undefined ? {} : { prefix: options.prefix }), ...(options.settings === undefined ? {} : { settings: options.settings }) });
}

/**
 * Starts a worker for every declared job, after checking that each has a handler (a job nobody handles
 * would wait forever). `concurrency` overrides the default for some job names.
 */
export function startWorkers(queue: JobQueue, registry: HandlerRegistry, concurrency: Partial<Record<JobName, number>> = {}): void {
  assertHandlers(registry);
  for (const name of allJobNames) {
    const perName = concurrency[name];
    queue.process(name, registry[name] as JobHandler<typeof name>, perName === undefined ? {} : { concurrency: perName });
  }
}
