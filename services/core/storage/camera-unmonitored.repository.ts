// Spans in which a live camera was not monitored (offline, handed over, sopwatch stopped), and their time per local day.
import type { Queryable } from './database.ts';

export interface UnmonitoredSpan {
  storeId: string;
  cameraId: string;
  startAt: Date;
  /** Null while the span is still open. */
  endAt: Date | null;
  reason: string;
}

/** Not-monitored time of one camera on one local day of its store. */
export interface NotMonitoredDay {
  day: string;
  storeId: string;
  storeName: string;
  cameraId: string;
  /** Null when the camera was deleted since. */
  cameraName: string | null;
  seconds: number;
}

export class CameraUnmonitoredRepository {
  constructor(private readonly db: Queryable) {}

  /** Opens a span at `startAt`, unless the camera already has an open one (then nothing changes). */
  async open(span: { storeId: string; cameraId: string; startAt: Date; reason: string }): Promise<boolean> {
    const r = await this.db.query(
      `INSERT INTO camera_unmonitored (store_id, camera_id, start_at, reason)
       SELECT $1, $2, $3, $4
        WHERE NOT EXISTS (SELECT 1 FROM camera_unmonitored WHERE store_id = $1 AND camera_id = $2 AND end_at IS NULL)
       ON CONFLICT (store_id, camera_id, start_at) DO NOTHING`,
      [span.storeId, span.cameraId, span.startAt, span.reason],
    );
    return r.rowCount > 0;
  }

  /** Ends every open span of the camera that began at or before `endAt`; returns how many were ended. */
  async close(storeId: string, cameraId: string, endAt: Date): Promise<number> {
    const r = await this.db.query(
      `UPDATE camera_unmonitored SET end_at = $3
        WHERE store_id = $1 AND camera_id = $2 AND end_at IS NULL AND start_at <= $3`,
      [storeId, cameraId, endAt],
    );
    return r.rowCount;
  }

  /** Records a span known from start to end (when no open span was there to close). */
  async addClosed(span: { storeId: string; cameraId: string; startAt: Date; endAt: Date; reason: string }): Promise<void> {
    await this.db.query(
      `INSERT INTO camera_unmonitored (store_id, camera_id, start_at, end_at, reason) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (store_id, camera_id, start_at) DO UPDATE SET end_at = EXCLUDED.end_at
        WHERE camera_unmonitored.end_at IS NULL`,
      [span.storeId, span.cameraId, span.startAt, span.endAt < span.startAt ? span.startAt : span.endAt, span.reason],
    );
  }

  /** The newest spans of the stores' cameras, newest first. */
  async recent(storeIds: readonly string[], limit = 200): Promise<UnmonitoredSpan[]> {
    const r = await this.db.query(
      `SELECT store_id, camera_id, start_at, end_at, reason FROM camera_unmonitored WHERE store_id = ANY($1::text[])
        ORDER BY start_at DESC LIMIT ${Math.min(Math.max(limit, 1), 1000)}`,
      [storeIds],
    );
    return r.rows.map((row) => ({
      storeId: row.store_id as string,
      cameraId: row.camera_id as string,
      startAt: row.start_at as Date,
      endAt: (row.end_at as Date | null) ?? null,
      reason: row.reason as string,
    }));
  }

  /**
   * Not-monitored seconds per store, camera and local day (the store's time zone), for spans overlapping [from, to).
   * An open span counts until now. Overlapping spans of one camera (two workers reporting) are counted once.
   * Open spans of a deleted camera are left out: nobody can watch it any more, so its absence is no news.
   */
  async byDay(q: { storeIds: readonly string[]; from: Date; to: Date }): Promise<NotMonitoredDay[]> {
    const r = await this.db.query(
      `SELECT u.store_id, s.name AS store_name, u.camera_id, c.name AS camera_name, to_char(g.t::date, 'YYYY-MM-DD') AS day,
              greatest(u.start_at, (g.t::date::timestamp AT TIME ZONE s.tz)) AS piece_start,
              least(COALESCE(u.end_at, now()), ((g.t::date + 1)::timestamp AT TIME ZONE s.tz)) AS piece_end
         FROM camera_unmonitored u
         JOIN stores s ON s.id = u.store_id
         LEFT JOIN cameras c ON c.id = u.camera_id
         CROSS JOIN LATERAL generate_series((u.start_at AT TIME ZONE s.tz)::date, (COALESCE(u.end_at, now()) AT TIME ZONE s.tz)::date, interval '1 day') AS g(t)
        WHERE u.store_id = ANY($1::text[]) AND u.start_at < $3 AND COALESCE(u.end_at, now()) > $2
          AND (u.end_at IS NOT NULL OR c.id IS NOT NULL)`,
      [q.storeIds, q.from, q.to],
    );
    const groups = new Map<string, { row: Omit<NotMonitoredDay, 'seconds'>; pieces: Array<[number, number]> }>();
    for (const row of r.rows) {
      const start = (row.piece_start as Date).getTime();
      const end = (row.piece_end as Date).getTime();
      if (!(end > start)) continue;
      const key = `${row.store_id as string}\u0000${row.camera_id as string}\u0000${row.day as string}`;
      let g = groups.get(key);
      if (g === undefined) {
        g = {
          row: { day: row.day as string, storeId: row.store_id as string, storeName: row.store_name as string, cameraId: row.camera_id as string, cameraName: (row.camera_name as string | null) ?? null },
          pieces: [],
        };
        groups.set(key, g);
      }
      g.pieces.push([start, end]);
    }
    const out = [...groups.values()].map((g) => ({ ...g.row, seconds: Math.round(mergedLength(g.pieces) / 1000) }));
    return out.sort((a, b) => a.day.localeCompare(b.day) || a.storeName.localeCompare(b.storeName) || (a.cameraName ?? a.cameraId).localeCompare(b.cameraName ?? b.cameraId));
  }
}

/** Total length of the union of intervals. */
function mergedLength(pieces: Array<[number, number]>): number {
  const sorted = [...pieces].sort((a, b) => a[0] - b[0]);
  let total = 0;
  let curStart = Number.NEGATIVE_INFINITY;
  let curEnd = Number.NEGATIVE_INFINITY;
  for (const [s, e] of sorted) {
    if (s > curEnd) {
      if (curEnd > curStart) total += curEnd - curStart;
      curStart = s;
      curEnd = e;
    } else if (e > curEnd) {
      curEnd = e;
    }
  }
  if (curEnd > curStart) total += curEnd - curStart;
  return total;
}
