// Errors a route throws to answer with a status: each carries the status, a stable code and a message for people.
import { SopwatchError } from '../core/errors.ts';

export class HttpError extends SopwatchError {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    options: { cause?: unknown; details?: unknown; headers?: Record<string, string> } = {},
  ) {
    super(message, options);
    this.details = options.details;
    this.headers = options.headers ?? {};
  }
  readonly details: unknown;
  readonly headers: Record<string, string>;
}

export const unauthorized = (message = 'sign in first'): HttpError => new HttpError(401, 'unauthorized', message);
export const forbidden = (message: string): HttpError => new HttpError(403, 'forbidden', message);
/** Also the answer for another store's objects: "not found or no access" reveals nothing. */
export const notFound = (what: string): HttpError => new HttpError(404, 'not_found', `${what} not found or no access`);
export const conflict = (message: string): HttpError => new HttpError(409, 'conflict', message);
export const badRequest = (message: string): HttpError => new HttpError(400, 'bad_request', message);
export const tooLarge = (message: string): HttpError => new HttpError(413, 'too_large', message, { headers: { connection: 'close' } });
export const unsupportedMedia = (message: string): HttpError => new HttpError(415, 'unsupported_media', message);
export const unprocessable = (message: string, details: unknown): HttpError => new HttpError(422, 'invalid', message, { details });
export const unavailable = (message: string, cause?: unknown): HttpError => new HttpError(503, 'unavailable', message, { cause });
