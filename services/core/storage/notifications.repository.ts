// The notification outbox: one row per (message, channel), claimed by one sender at a time, marked sent exactly once.
import type { Queryable, Row } from './database.ts';

export type NotificationStatus = 'pending' | 'sending' | 'sent' | 'failed' | 'suppressed';
export type NotificationKind = 'violation' | 'escalation' | 'digest';

export interface NewNotification {
  storeId: string;
  channel: string;
  kind: NotificationKind;
  /** What the message says, format-independent; rendered per channel at send time. */
  payload: unknown;
  /** Unique across the outbox: a second insert with the same key is ignored. Also sent as the idempotency key. */
  dedupeKey: string;
  violationId?: string;
  cooldownKey?: string;
  /** `suppressed`: held back by a cooldown, never sent, counted into the next message. Default `pending`. */
  status?: 'pending' | 'suppressed';
  suppressedCount?: number;
  createdAtMs: number;
}

export interface NotificationRecord {
  id: string;
  storeId: string;
  channel: string;
  kind: NotificationKind;
  payload: unknown;
  status: NotificationStatus;
  /** Deliveries started (counted when claimed, before anything is sent). */
  attempts: number;
  nextAt: Date;
  lastError: string | null;
  dedupeKey: string;
  violationId: string | null;
  cooldownKey: string | null;
  suppressedCount: number;
  claimedAt: Date | null;
  createdAt: Date;
  sentAt: Date | null;
}

function toRecord(r: Row): NotificationRecord {
  return {
    id: r.id as string,
    storeId: r.store_id as string,
    channel: r.channel as string,
    kind: r.kind as NotificationKind,
    payload: r.payload,
    status: r.status as NotificationStatus,
    attempts: Number(r.attempts),
    nextAt: r.next_at as Date,
    lastError: (r.last_error as string | null) ?? null,
    dedupeKey: r.dedupe_key as string,
    violationId: (r.violation_id as string | null) ?? null,
    cooldownKey: (r.cooldown_key as string | null) ?? null,
    suppressedCount: Number(r.suppressed_count),
    claimedAt: (r.claimed_at as Date | null) ?? null,
    createdAt: r.created_at as Date,
    sentAt: (r.sent_at as Date | null) ?? null,
  };
}

const clip = (s: string): string => s.slice(0, 2000);

export class NotificationRepository {
  constructor(private readonly db: Queryable) {}

  /** Inserts the row unless its dedupe key exists; resolves to the new row, or undefined when it was a duplicate. */
  async add(n: NewNotification): Promise<NotificationRecord | undefined> {
    const at = new Date(n.createdAtMs);
    const r = await this.db.query(
      `INSERT INTO notifications (store_id, channel, kind, payload, status, dedupe_key, violation_id, cooldown_key,
         suppressed_count, next_at, created_at)
       VALUES ($1, $2, $3, $4::jsonb, $5, $6, $7, $8, $9, $10, $10)
       ON CONFLICT (dedupe_key) DO NOTHING RETURNING *`,
      [n.storeId, n.channel, n.kind, JSON.stringify(n.payload), n.status ?? 'pending', n.dedupeKey, n.violationId ?? null,
        n.cooldownKey ?? null, n.suppressedCount ?? 0, at],
    );
    return r.rows[0] === undefined ? undefined : toRecord(r.rows[0]);
  }

  async get(id: string): Promise<NotificationRecord | undefined> {
    const r = await this.db.query('SELECT * FROM notifications WHERE id = $1', [id]);
    return r.rows[0] === undefined ? undefined : toRecord(r.rows[0]);
  }

  async byDedupeKey(key: string): Promise<NotificationRecord | undefined> {
    const r = await this.db.query('SELECT * FROM notifications WHERE dedupe_key = $1', [key]);
    return r.rows[0] === undefined ? undefined : toRecord(r.rows[0]);
  }

  /**
   * Claims a due pending row for one delivery attempt: pending -> sending and attempts + 1 in one statement, so
   * of two senders racing for a row exactly one gets it, and the attempt is on record before any byte is sent.
   */
  async claim(id: string, nowMs: number): Promise<NotificationRecord | undefined> {
    const r = await this.db.query(
      `UPDATE notifications SET status = 'sending', attempts = attempts + 1, claimed_at = $2
       WHERE id = $1 AND status = 'pending' AND next_at <= $2 RETURNING *`,
      [id, new Date(nowMs)],
    );
    return r.rows[0] === undefined ? undefined : toRecord(r.rows[0]);
  }

  /** sending -> sent; false when the row was no longer this sender's (recovered as stale meanwhile). */
  async markSent(id: string, nowMs: number): Promise<boolean> {
    const r = await this.db.query(
      `UPDATE notifications SET status = 'sent', sent_at = $2, last_error = NULL WHERE id = $1 AND status = 'sending'`,
      [id, new Date(nowMs)],
    );
    return r.rowCount > 0;
  }

  /** sending -> pending, due at `nextAtMs`. */
  async retryAt(id: string, nextAtMs: number, error: string): Promise<boolean> {
    const r = await this.db.query(
      `UPDATE notifications SET status = 'pending', next_at = $2, last_error = $3 WHERE id = $1 AND status = 'sending'`,
      [id, new Date(nextAtMs), clip(error)],
    );
    return r.rowCount > 0;
  }

  /** sending or pending -> failed, for good. */
  async fail(id: string, error: string): Promise<boolean> {
    const r = await this.db.query(
      `UPDATE notifications SET status = 'failed', last_error = $2 WHERE id = $1 AND status IN ('sending', 'pending')`,
      [id, clip(error)],
    );
    return r.rowCount > 0;
  }

  /** Pending rows whose time has come, oldest first. */
  async due(nowMs: number, limit = 100): Promise<NotificationRecord[]> {
    const r = await this.db.query(
      `SELECT * FROM notifications WHERE status = 'pending' AND next_at <= $1 ORDER BY next_at, id LIMIT $2`,
      [new Date(nowMs), limit],
    );
    return r.rows.map(toRecord);
  }

  /** Rows claimed before `claimedBeforeMs` and never finished: their sender died or hung. */
  async stale(claimedBeforeMs: number, limit = 100): Promise<NotificationRecord[]> {
    const r = await this.db.query(
      `SELECT * FROM notifications WHERE status = 'sending' AND claimed_at < $1 ORDER BY claimed_at LIMIT $2`,
      [new Date(claimedBeforeMs), limit],
    );
    return r.rows.map(toRecord);
  }

  /** sending -> pending (due now) for a stale row, only if it is still stale (another recoverer may have won). */
  async release(id: string, claimedBeforeMs: number, nowMs: number, note: string): Promise<boolean> {
    const r = await this.db.query(
      `UPDATE notifications SET status = 'pending', next_at = $3, last_error = $4
       WHERE id = $1 AND status = 'sending' AND claimed_at < $2`,
      [id, new Date(claimedBeforeMs), new Date(nowMs), clip(note)],
    );
    return r.rowCount > 0;
  }

  /** sending -> failed for a stale row whose channel cannot take the same message twice. */
  async abandon(id: string, claimedBeforeMs: number, note: string): Promise<boolean> {
    const r = await this.db.query(
      `UPDATE notifications SET status = 'failed', last_error = $3 WHERE id = $1 AND status = 'sending' AND claimed_at < $2`,
      [id, new Date(claimedBeforeMs), clip(note)],
    );
    return r.rowCount > 0;
  }

  /** Creation time of the newest message under a cooldown key that was not itself held back. */
  async lastSentUnder(cooldownKey: string): Promise<Date | undefined> {
    const r = await this.db.query(
      `SELECT max(created_at) AS at FROM notifications WHERE cooldown_key = $1 AND status <> 'suppressed'`,
      [cooldownKey],
    );
    return (r.rows[0]?.at as Date | null | undefined) ?? undefined;
  }

  /** Messages held back under a cooldown key after `afterMs` (all of them when undefined). */
  async suppressedSince(cooldownKey: string, after: Date | undefined): Promise<number> {
    const r = await this.db.query(
      `SELECT count(*)::integer AS n FROM notifications WHERE cooldown_key = $1 AND status = 'suppressed'
         AND ($2::timestamptz IS NULL OR created_at > $2)`,
      [cooldownKey, after ?? null],
    );
    return Number(r.rows[0]?.n ?? 0);
  }

  /** Rows of a store (tests, export), oldest first. */
  async listForStore(storeId: string, limit = 1000): Promise<NotificationRecord[]> {
    const r = await this.db.query('SELECT * FROM notifications WHERE store_id = $1 ORDER BY created_at, id LIMIT $2', [storeId, limit]);
    return r.rows.map(toRecord);
  }
}
