// Queueing clip analysis with job ids that make duplicates no-ops and re-analysis a new job.
import { JobName } from '../core/jobs.ts';
import type { JobQueue } from '../core/queue/index.ts';

/**
 * `clip.<id>.a<attempts>`: the run that will be attempt `attempts + 1`. Adding it twice (a double click, the
 * reconciler) is ignored while the first is kept; once a run has started, the next request gets a new id.
 */
export function clipJobId(clip: { id: string; attempts: number }): string {
  return `clip.${clip.id}.a${clip.attempts}`;
}

export async function queueClipAnalysis(queue: JobQueue, clip: { id: string; storeId: string; attempts: number }): Promise<string> {
  return queue.add(JobName.ClipAnalyse, { storeId: clip.storeId, clipId: clip.id }, { jobId: clipJobId(clip) });
}
