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

/**
 * The database cannot be reached or is restarting: the statement may succeed if tried again later. `statusCode`
 * follows the Node/fastify convention, so an HTTP layer answers 503 rather than 500.
 */
export class DatabaseUnavailableError extends DatabaseError {
  readonly statusCode = 503;
}

/** Socket errors, and SQLSTATE classes 08 (connection exception) and 57P01-57P03 (shutdown, crash, starting up). */
const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ENOTFOUND', '57P01', '57P02', '57P03']);
/** What `pg` says, with no code, when its server went away under it or a connect timed out. */
const UNREACHABLE_MESSAGE = /Connection terminated|connection error and is not queryable|timeout exceeded when trying to connect|Client was closed and is not queryable/i;

function isUnreachable(code: unknown, reason: string): boolean {
  if (typeof code === 'string' && (UNREACHABLE_CODES.has(code) || code.startsWith('08'))) return true;
  return UNREACHABLE_MESSAGE.test(reason);
}

/** Wraps a driver error so both backends fail with the same type and SQLSTATE. */
export function wrapDriverError(err: unknown, sql: string): DatabaseError {
  const code = (err as { code?: unknown }).code;
  const reason = err instanceof Error ? err.message : String(err);
  const head = sql.replace(/\s+/g, ' ').trim().slice(0, 80);
  const options = { cause: err, code: typeof code === 'string' ? code : undefined };
  if (isUnreachable(code, reason)) return new DatabaseUnavailableError(`database unavailable (${head}…): ${reason}`, options);
  return new DatabaseError(`query failed (${head}…): ${reason}`, options);
}

/** A row was asked to move to a status its current status does not allow. */
export class InvalidTransitionError extends SopwatchError {}

/** A row the caller named does not exist (or is outside the caller's stores). */
export class NotFoundError extends SopwatchError {}
