// The queue rule the Postgres chaos test depends on, on both backends: an id whose job failed for good runs again
// when added again (the reconciler's way back after an outage), while an id still kept as completed stays a no-op.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobName } from '../../services/core/jobs.ts';
import { InProcessQueue, openBullmqQueue, type JobQueue, type QueueEventMap, type QueueSettings } from '../../services/core/queue/index.ts';
import { startRedis, type PrivateRedis } from './helpers/redis-server.ts';
import { waitUntil } from './helpers/wait.ts';

const settings: Partial<QueueSettings> = { attempts: 2, backoffMs: 20, backoffJitter: 0, lockDurationMs: 10_000 };
const payload = { storeId: 'store-1', clipId: 'clip-1' };

let redis: PrivateRedis | undefined;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.destroy();
});

const backends: Array<{ name: string; open: () => Promise<JobQueue> }> = [
  { name: 'bullmq', open: () => openBullmqQueue({ url: (redis as PrivateRedis).url, prefix: `readd-${Date.now()}`, settings }) },
  { name: 'in-process', open: async () => new InProcessQueue(settings) },
];

describe.each(backends)('re-adding a job id on $name', (backend) => {
  it('runs a job that failed for good again, and ignores one that completed', async () => {
    const queue = await backend.open();
    try {
      const runs: number[] = [];
      let databaseUp = false;
      const jobIds: string[] = [];
      queue.process(JobName.ClipAnalyse, async (_p, ctx) => {
        runs.push(ctx.attempt);
        jobIds.push(ctx.jobId);
        return databaseUp ? { status: 'success' } : { status: 'failed', reason: 'database unavailable', retry: true };
      });
      const failed: Array<QueueEventMap['failed']> = [];
      const completed: Array<QueueEventMap['completed']> = [];
      queue.on('failed', (e) => failed.push(e));
      queue.on('completed', (e) => completed.push(e));

      await queue.add(JobName.ClipAnalyse, payload, { jobId: 'clip.clip-1.a0' });
      await waitUntil('the job to fail for good', 10_000, () => failed.some((f) => !f.willRetry), 20);
      expect(runs).toEqual([1, 2]);
      expect(await queue.counts(JobName.ClipAnalyse)).toMatchObject({ failed: 1, waiting: 0, active: 0 });

      databaseUp = true;
      await queue.add(JobName.ClipAnalyse, payload, { jobId: 'clip.clip-1.a0' });
      await waitUntil('the job to run again and complete', 10_000, () => completed.length === 1, 20);
      expect(runs).toEqual([1, 2, 1]);
      expect(await queue.counts(JobName.ClipAnalyse)).toMatchObject({ failed: 0, completed: 1 });

      // Completed and still kept: adding the same id again is the usual no-op. No fixed sleep to show that nothing
      // ran: a marker job added after it runs, and jobs are taken in order, so a re-run would have started first.
      await queue.add(JobName.ClipAnalyse, payload, { jobId: 'clip.clip-1.a0' });
      await queue.add(JobName.ClipAnalyse, payload, { jobId: 'clip.marker.a0' });
      await waitUntil('the marker job to complete', 10_000, () => completed.length === 2, 20);
      expect(jobIds).toEqual(['clip.clip-1.a0', 'clip.clip-1.a0', 'clip.clip-1.a0', 'clip.marker.a0']);
      expect(runs).toEqual([1, 2, 1, 1]);
      expect(await queue.counts(JobName.ClipAnalyse)).toMatchObject({ failed: 0, completed: 2, waiting: 0 });
    } finally {
      await queue.close();
    }
  });
});
