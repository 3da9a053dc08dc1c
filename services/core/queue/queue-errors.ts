// Errors of the job queue, under the project's base class.
import { SopwatchError } from '../errors.ts';

/** The queue cannot be used as configured (a Redis that may evict keys, a bad setting). Fatal at start-up. */
export class QueueConfigError extends SopwatchError {}

/** The queue was used after close(). */
export class QueueClosedError extends SopwatchError {}
