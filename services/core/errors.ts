// Typed errors: one base class; messages name the operation; the original error is kept in `cause`.

export class SopwatchError extends Error {
  /** Exit code a CLI command returns when this error ends it. */
  readonly exitCode: number = 1;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The user gave something unusable: a bad flag, a missing file. */
export class UsageError extends SopwatchError {
  override readonly exitCode = 2;
}

/** An input file could not be used (a corrupt clip, a bad SOP file). Never retried. */
export class InputError extends SopwatchError {}

/** An outside system failed in a way that may pass (a network error, a busy server). Retried. */
export class TransportError extends SopwatchError {}

/** The detector could not answer: a worker thread crashed, hung past its deadline or was closed. Retried. */
export class DetectorError extends TransportError {}
