// Runs one handler call and turns what it returned or threw into a completion or a (retryable or final) failure.
import { InputError } from '../errors.ts';
import type { JobContext, JobHandler, JobName, JobOutcome } from '../jobs.ts';

export type HandlerResult =
  | { kind: 'completed'; outcome: Exclude<JobOutcome, { status: 'failed' }> }
  | { kind: 'failed'; reason: string; retry: boolean };

export async function runHandler<N extends JobName>(handler: JobHandler<N>, payload: Parameters<JobHandler<N>>[0], context: JobContext): Promise<HandlerResult> {
  let outcome: JobOutcome;
  try {
    outcome = await handler(payload, context);
  } catch (err) {
    // A thrown InputError is a content problem: retrying cannot help. Anything else may pass.
    const reason = err instanceof Error ? err.message : String(err);
    return { kind: 'failed', reason, retry: !(err instanceof InputError) };
  }
  switch (outcome.status) {
    case 'success':
    case 'skipped':
      return { kind: 'completed', outcome };
    case 'failed':
      return { kind: 'failed', reason: outcome.reason, retry: outcome.retry };
  }
}

export function clampProgress(fraction: number): number {
  return Number.isFinite(fraction) ? Math.min(Math.max(fraction, 0), 1) : 0;
}
