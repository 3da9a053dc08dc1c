// Spreads cameras over workers so that each camera is watched by exactly one worker at a time.
//
// The algorithm (one tick every `renewEveryMs`, on every worker):
//  1. Heartbeat: this worker is put in the roll-call with an expiry on Redis's clock; the live workers come back (k of them).
//  2. Renew every lease held (one Lua compare-and-extend). A lease found lost is stopped at once.
//  3. Read every camera's holder (one MGET). Fair share: ceil(n / k) cameras.
//  4. Under the fair share: take free cameras (SET NX PX), in rendezvous-hash order for this worker, so that workers
//     prefer different cameras and rarely race. A camera seen free on two ticks in a row is taken even above the share:
//     covering every camera comes before fairness (the roll-call can still list a dead worker for up to one TTL).
//  5. Over the share while a live worker holds fewer than floor(n / k): stop watching the surplus (the cameras that rank
//     lowest for this worker), then release their leases; the others take them on their next tick.
// Safety: a watch is always stopped before its lease is released, and only started after the lease is taken.
// A worker that cannot renew (Redis unreachable, process stalled) stops each watch on its own once
// `ttl - safety margin` has passed since the last renewal it sent, before the lease can expire in Redis and
// another worker take it. A worker that dies simply stops renewing: its leases expire after the TTL, its roll-call
// entry too, and the others take its cameras within about TTL + two ticks.
import { createHash } from 'node:crypto';
import type { LeaseStore } from './camera-lease.ts';

export interface WatchHandle {
  stop(): Promise<void>;
}

export type DistributorEvent =
  | { type: 'acquired' | 'released' | 'lost' | 'expired'; workerId: string; cameraId: string; atMs: number }
  | { type: 'error'; workerId: string; atMs: number; message: string };

export interface DistributorOptions {
  workerId: string;
  cameraIds: readonly string[];
  store: LeaseStore;
  /** Lease lifetime. Default 15 000. */
  ttlMs?: number;
  /** Tick period. Default ttl / 3. */
  renewEveryMs?: number;
  /** Stop watching this long before the lease could expire. Default ttl / 5. */
  safetyMs?: number;
  /** Starts watching a camera (the lease is held). A throw releases the lease again. */
  start: (cameraId: string) => Promise<WatchHandle> | WatchHandle;
  onEvent?: (event: DistributorEvent) => void;
}

interface Held {
  handle: WatchHandle;
  /** Local time until which the lease is surely still ours. */
  validUntilMs: number;
}

/** Rendezvous (highest random weight) score of a worker for a camera. */
export function rendezvousScore(workerId: string, cameraId: string): number {
  return createHash('sha1').update(`${workerId}\u0000${cameraId}`).digest().readUInt32BE(0);
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

export class LeaseDistributor {
  private readonly held = new Map<string, Held>();
  private readonly freeBefore = new Set<string>();
  private readonly ttlMs: number;
  private readonly everyMs: number;
  private readonly safetyMs: number;
  private tickTimer: NodeJS.Timeout | undefined;
  private deadlineTimer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly o: DistributorOptions) {
    this.ttlMs = o.ttlMs ?? 15_000;
    this.everyMs = o.renewEveryMs ?? Math.floor(this.ttlMs / 3);
    this.safetyMs = o.safetyMs ?? Math.floor(this.ttlMs / 5);
    if (!(this.everyMs + this.safetyMs < this.ttlMs)) throw new RangeError('camera leases: renewEveryMs + safetyMs must be below ttlMs');
  }

  /** Cameras this worker watches now. */
  watching(): string[] {
    return [...this.held.keys()].sort();
  }

  start(): void {
    if (this.tickTimer !== undefined) return;
    const run = (): void => {
      if (this.ticking === undefined && !this.stopped) {
        this.ticking = this.tick()
          .catch((err: unknown) => this.emit({ type: 'error', workerId: this.o.workerId, atMs: Date.now(), message: (err as Error).message }))
          .finally(() => {
            this.ticking = undefined;
          });
      }
    };
    this.tickTimer = setInterval(run, this.everyMs);
    this.deadlineTimer = setInterval(() => void this.enforceDeadlines(), Math.max(20, Math.floor(this.safetyMs / 2)));
    run();
  }

  /** Clean shutdown: stop every watch, then release its lease and leave the roll-call. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.tickTimer);
    clearInterval(this.deadlineTimer);
    await this.ticking;
    const ids = [...this.held.keys()];
    await Promise.all(ids.map((id) => this.drop(id, 'released', true)));
    await withTimeout(this.o.store.leave(this.o.workerId), this.ttlMs, 'leave').catch(() => undefined);
  }

  private emit(event: DistributorEvent): void {
    try {
      this.o.onEvent?.(event);
    } catch {
      // A listener's failure must not break the leases.
    }
  }

  private async drop(cameraId: string, why: 'released' | 'lost' | 'expired', release: boolean): Promise<void> {
    const held = this.held.get(cameraId);
    if (held === undefined) return;
    this.held.delete(cameraId);
    await held.handle.stop().catch(() => undefined);
    if (release) await withTimeout(this.o.store.release(cameraId, this.o.workerId), this.everyMs, 'release').catch(() => undefined);
    this.emit({ type: why, workerId: this.o.workerId, cameraId, atMs: Date.now() });
  }

  private async enforceDeadlines(): Promise<void> {
    const now = Date.now();
    const late = [...this.held.entries()].filter(([, h]) => now >= h.validUntilMs).map(([id]) => id);
    await Promise.all(late.map((id) => this.drop(id, 'expired', false)));
  }

  private async tick(): Promise<void> {
    const store = this.o.store;
    const me = this.o.workerId;
    const limit = this.everyMs;
    const sentMs = Date.now();
    const workers = await withTimeout(store.heartbeat(me, this.ttlMs), limit, 'heartbeat');
    const mine = [...this.held.keys()];
    const renewed = await withTimeout(store.renew(mine, me, this.ttlMs), limit, 'renew');
    for (const [i, id] of mine.entries()) {
      const h = this.held.get(id);
      if (h === undefined) continue;
      if (renewed[i] === true) h.validUntilMs = sentMs + this.ttlMs - this.safetyMs;
      else await this.drop(id, 'lost', false);
    }
    if (this.stopped) return;
    const all = [...this.o.cameraIds];
    const holders = await withTimeout(store.holders(all), limit, 'holders');
    const k = Math.max(1, workers.length);
    const share = Math.ceil(all.length / k);
    const counts = new Map<string, number>(workers.map((w) => [w, 0]));
    all.forEach((id, i) => {
      const w = holders[i];
      if (w !== undefined) counts.set(w, (counts.get(w) ?? 0) + 1);
    });
    const rank = (ids: string[]): string[] => ids.sort((a, b) => rendezvousScore(me, b) - rendezvousScore(me, a));
    const free = rank(all.filter((_, i) => holders[i] === undefined));
    for (const id of free) {
      const longFree = this.freeBefore.has(id);
      if (this.held.size >= share && !longFree) continue;
      if (this.stopped) return;
      await this.take(id);
    }
    this.freeBefore.clear();
    for (const id of free) if (!this.held.has(id)) this.freeBefore.add(id);
    const starving = workers.some((w) => w !== me && (counts.get(w) ?? 0) < Math.floor(all.length / k));
    if (this.held.size > share && starving) {
      const surplus = rank([...this.held.keys()]).slice(share);
      for (const id of surplus) await this.drop(id, 'released', true);
    }
  }

  private async take(cameraId: string): Promise<void> {
    const sentMs = Date.now();
    const got = await withTimeout(this.o.store.acquire(cameraId, this.o.workerId, this.ttlMs), this.everyMs, 'acquire').catch(() => false);
    if (!got) return;
    let handle: WatchHandle;
    try {
      handle = await this.o.start(cameraId);
    } catch (err) {
      await withTimeout(this.o.store.release(cameraId, this.o.workerId), this.everyMs, 'release').catch(() => undefined);
      this.emit({ type: 'error', workerId: this.o.workerId, atMs: Date.now(), message: `cannot watch ${cameraId}: ${(err as Error).message}` });
      return;
    }
    this.held.set(cameraId, { handle, validUntilMs: sentMs + this.ttlMs - this.safetyMs });
    this.emit({ type: 'acquired', workerId: this.o.workerId, cameraId, atMs: Date.now() });
  }
}

/** Without Redis: this process watches every camera. */
export class LocalDistributor {
  private readonly handles = new Map<string, WatchHandle>();
  constructor(private readonly o: Pick<DistributorOptions, 'cameraIds' | 'start'>) {}

  watching(): string[] {
    return [...this.handles.keys()].sort();
  }

  async start(): Promise<void> {
    for (const id of this.o.cameraIds) this.handles.set(id, await this.o.start(id));
  }

  async stop(): Promise<void> {
    await Promise.all([...this.handles.values()].map((h) => h.stop()));
    this.handles.clear();
  }
}
