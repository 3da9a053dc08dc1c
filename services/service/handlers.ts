// The handler of every declared job. Only ClipAnalyse has work in this build; the others say so when one arrives.
import { JobName, type HandlerRegistry, type JobOutcome } from '../core/jobs.ts';
import type { ClipAnalyseWorker } from './clip-analyse.handler.ts';

/**
 * Nothing queues these yet: verify questions and evidence are answered inside ClipAnalyse, and notifications
 * and retention have no producer. A job that arrives anyway (another version, by hand) ends visibly skipped.
 */
const notInThisBuild = (what: string) => async (): Promise<JobOutcome> => ({ status: 'skipped', reason: `${what} is not run as a separate job in this build` });

export function handlerRegistry(clipAnalyse: ClipAnalyseWorker): HandlerRegistry {
  return {
    [JobName.ClipAnalyse]: clipAnalyse.handle,
    [JobName.StepVerify]: notInThisBuild('step verification (done inside clip analysis)'),
    [JobName.EvidenceBuild]: notInThisBuild('evidence building (done inside clip analysis)'),
    [JobName.NotificationSend]: notInThisBuild('notification sending'),
    [JobName.RetentionSweep]: notInThisBuild('the retention sweep'),
  };
}
