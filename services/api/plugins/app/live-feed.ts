// Live events (clip.progress, violation.created) read from the database while someone listens, fanned out per store.
import type { ChangeRepository } from '../../../core/storage/changes.repository.ts';

export type LiveEvent =
  | { type: 'clip.progress'; storeId: string; data: { clipId: string; status: string; progress: number } }
  | { type: 'violation.created'; storeId: string; data: { violationId: string; cameraId: string; clipId: string | null; sop: string; rule: string; kind: string; severity: string } };

type Listener = (e: LiveEvent) => void;

/** Rows written in a transaction that began before our last read carry an earlier time: read back this far. */
const OVERLAP_MS = 5_000;
const SEEN_LIMIT = 5_000;

/**
 * Polls the database, not an in-process emitter, so that events from a worker in another process arrive too.
 * It runs only while at least one listener is subscribed.
 */
export class LiveFeed {
  private readonly listeners = new Set<Listener>();
  private timer: NodeJS.Timeout | undefined;
  private since: Date | undefined;
  private readonly lastClip = new Map<string, string>();
  private readonly seenViolations = new Set<string>();
  private polling = false;

  constructor(private readonly changes: ChangeRepository, private readonly intervalMs: number, private readonly onError: (err: unknown) => void) {}

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    if (this.timer === undefined) {
      this.timer = setInterval(() => void this.poll(), this.intervalMs);
      void this.poll();
    }
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) this.stop();
    };
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    this.since = undefined;
    this.lastClip.clear();
    this.seenViolations.clear();
  }

  get size(): number {
    return this.listeners.size;
  }

  /** One read of the changes (the interval calls it; tests may too). */
  async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      const now = await this.changes.now();
      // The first read only learns what exists, so a new listener is not flooded with the past.
      const quiet = this.since === undefined;
      const from = new Date((this.since ?? now).getTime() - OVERLAP_MS);
      for (const c of await this.changes.clipsChangedSince(from)) {
        const key = `${c.status}:${c.progress.toFixed(3)}`;
        if (this.lastClip.get(c.clipId) === key) continue;
        remember(this.lastClip, c.clipId, key);
        if (!quiet || c.at > now) this.emit({ type: 'clip.progress', storeId: c.storeId, data: { clipId: c.clipId, status: c.status, progress: c.progress } });
      }
      for (const v of await this.changes.violationsCreatedSince(from)) {
        if (this.seenViolations.has(v.violationId)) continue;
        remember(this.seenViolations, v.violationId);
        if (!quiet || v.at > now) this.emit({
          type: 'violation.created',
          storeId: v.storeId,
          data: { violationId: v.violationId, cameraId: v.cameraId, clipId: v.clipId, sop: v.sopId, rule: v.rule, kind: v.kind, severity: v.severity },
        });
      }
      this.since = now;
    } catch (err) {
      this.onError(err);
    } finally {
      this.polling = false;
    }
  }

  private emit(e: LiveEvent): void {
    for (const l of this.listeners) l(e);
  }
}

function remember<K, V>(into: Map<K, V> | Set<K>, key: K, value?: V): void {
  if (into instanceof Map) into.set(key, value as V);
  else into.add(key);
  while (into.size > SEEN_LIMIT) {
    const first = into.keys().next().value as K;
    into.delete(first);
  }
}
