// Errors of the storage layer, each under the project's base class with the cause kept.
import { SopwatchError } from '../errors.ts';

/** Another process (or this one) already owns the embedded database directory. */
export class DatabaseLockedError extends SopwatchError {}

/** The schema cannot be brought to the version this build expects. */
export class MigrationError extends SopwatchError {}

/** A statement failed; the message names the statement, the driver error is the cause. */
export class DatabaseError extends SopwatchError {
  /** SQLSTATE of the driver error (`23505` unique violation, `P0001` raised by a trigger…). */
  readonly code: string | undefined;
  constructor(message: string, options: { cause?: unknown; code?: string | undefined } = {}) {
    super(message, options);
    this.code = options.code;
  }
}

/** Wraps a driver error so both backends fail with the same type and SQLSTATE. */
export function wrapDriverError(err: unknown, sql: string): DatabaseError {
  const code = (err as { code?: unknown }).code;
  const reason = err instanceof Error ? err.message : String(err);
  const head = sql.replace(/\s+/g, ' ').trim().slice(0, 80);
  return new DatabaseError(`query failed (${head}…): ${reason}`, { cause: err, code: typeof code === 'string' ? code : undefined });
}

/** A row was asked to move to a status its current status does not allow. */
export class InvalidTransitionError extends SopwatchError {}

/** A row the caller named does not exist (or is outside the caller's stores). */
export class NotFoundError extends SopwatchError {}
