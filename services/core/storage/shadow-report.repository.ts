// What rules in shadow mode would have done: their recorded (never alerted) violations per store, SOP and rule.
import type { Queryable } from './database.ts';
import { EVENT_AT } from './violations.repository.ts';

export interface ShadowRow {
  /** The store's local day. */
  day: string;
  storeId: string;
  storeName: string;
  sopId: string;
  rule: string;
  /** Every violation the rule recorded in shadow mode: each one an alert, had the rule been live. */
  wouldHaveAlerted: number;
  /** Of those, on live cameras (the rest on uploaded clips). */
  onLiveCameras: number;
  open: number;
  needsReview: number;
  confirmed: number;
  dismissed: number;
}

export class ShadowReportRepository {
  constructor(private readonly db: Queryable) {}

  /** One row per local day, store, SOP and rule. */
  async byDay(q: { storeIds: readonly string[]; from: Date; to: Date }): Promise<ShadowRow[]> {
    const r = await this.db.query(
      `SELECT to_char((${EVENT_AT} AT TIME ZONE s.tz)::date, 'YYYY-MM-DD') AS day, v.store_id, s.name AS store_name, v.sop_id, v.rule, count(*)::integer AS n,
              (count(*) FILTER (WHERE v.clip_id IS NULL))::integer AS live,
              (count(*) FILTER (WHERE v.status = 'open'))::integer AS open,
              (count(*) FILTER (WHERE v.status = 'needs_review'))::integer AS needs_review,
              (count(*) FILTER (WHERE v.status = 'confirmed'))::integer AS confirmed,
              (count(*) FILTER (WHERE v.status = 'dismissed'))::integer AS dismissed
         FROM violations v JOIN stores s ON s.id = v.store_id LEFT JOIN clips c ON c.id = v.clip_id
        WHERE v.shadow AND v.store_id = ANY($1::text[]) AND ${EVENT_AT} >= $2 AND ${EVENT_AT} < $3
        GROUP BY 1, v.store_id, s.name, v.sop_id, v.rule
        ORDER BY 1, s.name, v.sop_id, v.rule`,
      [q.storeIds, q.from, q.to],
    );
    return r.rows.map((row) => ({
      day: row.day as string, storeId: row.store_id as string, storeName: row.store_name as string, sopId: row.sop_id as string, rule: row.rule as string,
      wouldHaveAlerted: Number(row.n), onLiveCameras: Number(row.live), open: Number(row.open), needsReview: Number(row.needs_review),
      confirmed: Number(row.confirmed), dismissed: Number(row.dismissed),
    }));
  }
}
