// How one delivery attempt ended, as a value: the outbox decides from it whether to mark sent, retry or give up.

export type DeliveryResult =
  /** The receiver took it. */
  | { kind: 'delivered'; detail: string }
  /** Certainly not taken (connection refused, 5xx, rate limited): safe to send again later. */
  | { kind: 'retry'; reason: string; retryAfterMs?: number }
  /** Maybe taken (timed out after the request left, connection cut mid-answer): resending may duplicate. */
  | { kind: 'unknown'; reason: string }
  /** Refused for good (bad token, invalid payload): retrying cannot help. */
  | { kind: 'rejected'; reason: string };

/** Error codes of failures that happen before any byte of the request reaches the receiver. */
const NOT_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT', 'ERR_INVALID_URL']);

/** The code of an error or of the error it wraps (fetch puts the socket error in `cause`). */
export function errorCode(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e !== undefined && e !== null && depth < 4; e = (e as { cause?: unknown }).cause, depth += 1) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
  }
  return undefined;
}

export function connectFailedBeforeSending(err: unknown): boolean {
  const code = errorCode(err);
  return code !== undefined && NOT_SENT.has(code);
}

export function describe(err: unknown): string {
  const code = errorCode(err);
  const message = err instanceof Error ? err.message : String(err);
  const cause = (err as { cause?: unknown }).cause;
  const inner = cause instanceof Error && cause.message !== message ? `: ${cause.message}` : '';
  return `${message}${inner}${code === undefined ? '' : ` (${code})`}`;
}
