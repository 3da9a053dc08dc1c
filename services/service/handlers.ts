// The handler of every declared job: clip analysis and its detectors' warm-up, notifications, the retention sweep; the
// rest say so when one arrives.
import { JobName, type HandlerRegistry, type JobHandler, type JobOutcome } from '../core/jobs.ts';
import type { ClipAnalyseWorker } from './clip-analyse.handler.ts';

/**
 * Nothing queues these: verify questions and evidence are answered inside ClipAnalyse (and the live worker).
 * A job that arrives anyway (another version, by hand) ends visibly skipped.
 */
const notInThisBuild = (what: string) => async (): Promise<JobOutcome> => ({ status: 'skipped', reason: `${what} is not run as a separate job in this build` });

export interface MoreHandlers {
  notificationSend: JobHandler<JobName.NotificationSend>;
  retentionSweep: JobHandler<JobName.RetentionSweep>;
}

export function handlerRegistry(clipAnalyse: ClipAnalyseWorker, more: MoreHandlers): HandlerRegistry {
  return {
    [JobName.ClipAnalyse]: clipAnalyse.handle,
    [JobName.StepVerify]: notInThisBuild('step verification (done inside clip analysis)'),
    [JobName.EvidenceBuild]: notInThisBuild('evidence building (done inside clip analysis)'),
    [JobName.NotificationSend]: more.notificationSend,
    [JobName.RetentionSweep]: more.retentionSweep,
    [JobName.DetectorsWarm]: clipAnalyse.warmFor,
  };
}
