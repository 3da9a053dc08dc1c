// Queueing clip analysis with job ids that make duplicates no-ops and re-analysis a new job; and the warm-up of the
// worker's detectors when a clip is on its way.
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

/**
 * A clip of this camera is on its way (an upload began, its SOP file changed): the workers load its models while the
 * bytes arrive instead of after. Every worker, not one: with several sharing Redis, the clip job may land on any of
 * them (AddOptions.everyWorker). Best effort, never awaited: a queue that is down or slow neither fails nor slows the
 * request, it is only logged. Each warm-up is a new hint, kept nowhere: it never blocks a later one by its id, and one
 * for detectors already warm costs a worker two small queries.
 */
export function queueDetectorsWarm(queue: JobQueue, log: { warn(obj: object, msg: string): void }, storeId: string, cameraId: string): void {
  void Promise.resolve()
    .then(() => queue.add(JobName.DetectorsWarm, { storeId, cameraId }, { everyWorker: true }))
    .catch((err: unknown) => log.warn({ err, storeId, cameraId }, 'the clip detectors could not be warmed ahead of a clip (the clip will load them)'));
}
