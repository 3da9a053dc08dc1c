// Every background job, declared once: its name, its payload (ids only), the outcome a handler returns,
// and the start-up check that each declared job has a handler.
import { Type, type Static, type TObject } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { InputError, SopwatchError } from './errors.ts';

export enum JobName {
  ClipAnalyse = 'clip.analyse',
  StepVerify = 'step.verify',
  EvidenceBuild = 'evidence.build',
  NotificationSend = 'notification.send',
  RetentionSweep = 'retention.sweep',
  DetectorsWarm = 'detectors.warm',
}

const Id = Type.String({ minLength: 1, maxLength: 256, pattern: '^[\\x21-\\x7e]+$', description: 'A row id: printable ASCII, no spaces' });

/**
 * Payload schemas. Job data sits in Redis in clear text (BullMQ "protecting data"), so it names rows and
 * nothing else: no pixels, no paths, no personal data. The handler loads what it needs from the database.
 */
export const jobPayloadSchemas = {
  [JobName.ClipAnalyse]: Type.Object({ storeId: Id, clipId: Id }, { additionalProperties: false }),
  /** A verify request the rule engine stored (as a review item) before queueing. */
  [JobName.StepVerify]: Type.Object(
    { storeId: Id, cameraId: Id, requestId: Id, clipId: Type.Optional(Id) },
    { additionalProperties: false },
  ),
  [JobName.EvidenceBuild]: Type.Object({ storeId: Id, violationId: Id }, { additionalProperties: false }),
  [JobName.NotificationSend]: Type.Object({ storeId: Id, notificationId: Id }, { additionalProperties: false }),
  /** Without a store: every store, each by its own retention_days. */
  [JobName.RetentionSweep]: Type.Object({ storeId: Type.Optional(Id) }, { additionalProperties: false }),
  /** A clip of this camera is on its way (an upload began, its SOP files changed): load its models meanwhile. */
  [JobName.DetectorsWarm]: Type.Object({ storeId: Id, cameraId: Id }, { additionalProperties: false }),
} satisfies Record<JobName, TObject>;

export type JobPayloads = { [N in JobName]: Static<(typeof jobPayloadSchemas)[N]> };

/** Bound on a serialised payload: ids only, so anything bigger is a mistake. */
export const MAX_PAYLOAD_BYTES = 1024;

export const allJobNames: readonly JobName[] = Object.values(JobName);

export function isJobName(value: string): value is JobName {
  return (allJobNames as readonly string[]).includes(value);
}

/** Throws InputError unless `payload` is exactly the declared shape of job `name`, within MAX_PAYLOAD_BYTES. */
export function assertJobPayload<N extends JobName>(name: N, payload: unknown): asserts payload is JobPayloads[N] {
  if (!isJobName(name)) throw new InputError(`unknown job "${String(name)}"`);
  if (typeof payload === 'object' && payload !== null) {
    for (const [key, value] of Object.entries(payload)) {
      if (Buffer.isBuffer(value) || ArrayBuffer.isView(value) || value instanceof ArrayBuffer) {
        throw new InputError(`job ${name}: "${key}" is binary data; job payloads carry ids only`);
      }
    }
  }
  const schema = jobPayloadSchemas[name];
  if (!Value.Check(schema, payload)) {
    const problems = [...Value.Errors(schema, payload)].slice(0, 3).map((e) => `${e.path || '/'}: ${e.message}`);
    throw new InputError(`job ${name}: payload refused (ids only): ${problems.join('; ')}`);
  }
  const bytes = Buffer.byteLength(JSON.stringify(payload));
  if (bytes > MAX_PAYLOAD_BYTES) throw new InputError(`job ${name}: payload is ${bytes} bytes, more than ${MAX_PAYLOAD_BYTES}`);
}

/**
 * Job ids make adding idempotent: a second add with the same id is ignored while the first is kept (queued,
 * running, or retained after it finished). Re-analysis therefore needs a new id (e.g. `<clipId>.v<n>`).
 * Letters, digits and `._-/`, starting with a letter or digit; no `:` (BullMQ's key separator).
 */
export function assertJobId(jobId: string): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9._/-]{0,199}$/.test(jobId)) {
    throw new InputError(`job id "${jobId.slice(0, 60)}" refused: use 1-200 letters, digits or ._-/`);
  }
}

/** What a handler reports. Expected conditions are values, not exceptions. */
export type JobOutcome =
  | { status: 'success' }
  /** Nothing to do (the clip was deleted meanwhile, the work was already done). */
  | { status: 'skipped'; reason: string }
  /** `retry: false` for content problems (a corrupt clip): retrying cannot help. */
  | { status: 'failed'; reason: string; retry: boolean };

export interface JobContext {
  name: JobName;
  jobId: string;
  /** 1 on the first run, 2 on the first retry… */
  attempt: number;
  /** Reports progress 0..1 (clamped); listeners of the queue's `progress` event see it. */
  progress(fraction: number): Promise<void>;
}

export type JobHandler<N extends JobName> = (payload: JobPayloads[N], context: JobContext) => Promise<JobOutcome>;
export type JobHandlers = { [N in JobName]: JobHandler<N> };
/** What services register; assertHandlers() turns it into a complete JobHandlers. */
export type HandlerRegistry = Partial<JobHandlers>;

/** A declared job has no handler: the process must not start. */
export class MissingHandlerError extends SopwatchError {}

/** Refuses to start when any declared job has no handler (a job queued for nobody would wait forever). */
export function assertHandlers(registry: HandlerRegistry): asserts registry is JobHandlers {
  const missing = allJobNames.filter((name) => typeof registry[name] !== 'function');
  if (missing.length > 0) {
    throw new MissingHandlerError(`no handler for job${missing.length > 1 ? 's' : ''} ${missing.join(', ')}: every declared job needs one before workers start`);
  }
}
