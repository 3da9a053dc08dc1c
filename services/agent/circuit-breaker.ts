// One provider's health: closed, open after N consecutive failures, half-open (one probe) after a cool-down.
import type { CircuitState } from './types.ts';

export class CircuitBreaker {
  private failures = 0;
  private openedAtMs: number | undefined;
  private probing = false;
  private disabled: string | undefined;

  constructor(
    private readonly threshold: number,
    private readonly coolDownMs: number,
    private readonly now: () => number,
  ) {}

  get state(): CircuitState {
    if (this.disabled !== undefined) return 'disabled';
    if (this.openedAtMs === undefined) return 'closed';
    return this.now() - this.openedAtMs >= this.coolDownMs ? 'half_open' : 'open';
  }

  get consecutiveFailures(): number {
    return this.failures;
  }

  get disabledReason(): string | undefined {
    return this.disabled;
  }

  /** Whether a call may go now; in half-open state only one probe at a time is let through. */
  tryAcquire(): boolean {
    switch (this.state) {
      case 'closed':
        return true;
      case 'half_open':
        if (this.probing) return false;
        this.probing = true;
        return true;
      case 'open':
      case 'disabled':
        return false;
    }
  }

  success(): void {
    this.failures = 0;
    this.openedAtMs = undefined;
    this.probing = false;
  }

  failure(): void {
    this.failures++;
    // A failed probe re-opens at once: the provider has not recovered.
    if (this.probing || this.failures >= this.threshold) this.openedAtMs = this.now();
    this.probing = false;
  }

  /** Ends a probe that neither succeeded nor failed (rate limit, cancelled): the next caller may probe. */
  release(): void {
    this.probing = false;
  }

  /** For the rest of the process: a bad key does not heal by waiting. */
  disable(reason: string): void {
    this.disabled = reason;
  }
}
