// Typed errors of the model transport: transport errors may pass and are retried, request errors are not.
import { SopwatchError, TransportError } from '../core/errors.ts';

/** A 5xx, a timeout, a reset connection, or an unreadable body: the provider may do better on a retry. */
export class VlmTransportError extends TransportError {
  constructor(
    readonly provider: string,
    readonly kind: 'server_error' | 'timeout' | 'connection' | 'protocol',
    message: string,
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** 429: the provider asks to wait `retryAfterMs`. */
export class VlmRateLimitError extends TransportError {
  constructor(readonly provider: string, readonly retryAfterMs: number, message: string) {
    super(message);
  }
}

/** A 4xx the request caused (not auth): the same request will fail again. */
export class VlmRequestError extends SopwatchError {
  constructor(readonly provider: string, readonly status: number, message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** 401/403, or the key's environment variable is unset: the provider is disabled for this process. */
export class VlmAuthError extends SopwatchError {
  constructor(readonly provider: string, message: string) {
    super(message);
  }
}

/** The caller cancelled the call. */
export class VlmAbortedError extends SopwatchError {}

export interface ProviderAttempt {
  provider: string;
  kind: 'budget' | 'disabled' | 'circuit_open' | 'cooling' | 'failed';
  reason: string;
}

/** No provider in the list produced a reply; `attempts` says why each did not. */
export class VlmUnavailableError extends SopwatchError {
  constructor(readonly attempts: ProviderAttempt[], options?: { cause?: unknown }) {
    super(`no provider answered: ${attempts.map((a) => `${a.provider}: ${a.reason}`).join('; ') || 'none configured'}`, options);
  }

  /** True when only money stood in the way. */
  get budgetOnly(): boolean {
    return this.attempts.length > 0 && this.attempts.every((a) => a.kind === 'budget');
  }
}
