// Failed sign-ins counted per IP and email (and per IP alone), in this process's memory, within a sliding window.

export interface LoginLimiterOptions {
  maxFailures: number;
  windowMs: number;
  /** Keys remembered at most; the oldest are forgotten first, so a flood cannot exhaust memory. */
  maxKeys?: number;
  now?: () => number;
}

export class LoginLimiter {
  private readonly failures = new Map<string, number[]>();
  private readonly now: () => number;
  private readonly maxKeys: number;

  constructor(private readonly options: LoginLimiterOptions) {
    this.now = options.now ?? Date.now;
    this.maxKeys = options.maxKeys ?? 10_000;
  }

  /** Milliseconds until the next attempt is allowed, or 0 when it is allowed now. */
  retryAfterMs(ip: string, email: string): number {
    const pair = this.wait(`${ip}|${email.toLowerCase()}`, this.options.maxFailures);
    const perIp = this.wait(`${ip}|*`, this.options.maxFailures * 10);
    return Math.max(pair, perIp);
  }

  fail(ip: string, email: string): void {
    this.push(`${ip}|${email.toLowerCase()}`);
    this.push(`${ip}|*`);
  }

  /** A good password clears that pair's failures (not the IP's: spraying many emails stays limited). */
  succeed(ip: string, email: string): void {
    this.failures.delete(`${ip}|${email.toLowerCase()}`);
  }

  private recent(key: string): number[] {
    const since = this.now() - this.options.windowMs;
    const list = (this.failures.get(key) ?? []).filter((t) => t > since);
    if (list.length === 0) this.failures.delete(key);
    else this.failures.set(key, list);
    return list;
  }

  private wait(key: string, limit: number): number {
    const list = this.recent(key);
    if (list.length < limit) return 0;
    const oldest = list[list.length - limit] ?? this.now();
    return Math.max(1, oldest + this.options.windowMs - this.now());
  }

  private push(key: string): void {
    const list = this.recent(key);
    list.push(this.now());
    this.failures.delete(key);
    this.failures.set(key, list);
    while (this.failures.size > this.maxKeys) {
      const first = this.failures.keys().next().value;
      if (first === undefined) break;
      this.failures.delete(first);
    }
  }
}
