// Individual alerts for an owner's spreadsheet: when (store-local), where, which rule, and what a person decided and why.
import type { Queryable } from './database.ts';
import { EVENT_AT, RULE_TITLE, RULE_TITLE_ZH } from './violations.repository.ts';

export interface AlertExportRow {
  /** Store-local time of the event, `YYYY-MM-DD HH:MM:SS`, and the day it counts for. */
  localTime: string;
  day: string;
  at: Date;
  storeName: string;
  cameraName: string;
  sopId: string;
  rule: string;
  ruleTitle: string | null;
  ruleTitleZh: string | null;
  severity: string;
  status: string;
  /** The standing decision (undone ones are left out): confirmed or dismissed, its reason code and comment. */
  decision: string | null;
  reasonCode: string | null;
  comment: string | null;
  message: string;
}

/** At most this many rows in one export; a longer range is refused by the route rather than cut silently. */
export const ALERT_EXPORT_MAX = 50_000;

export class AlertExportRepository {
  constructor(private readonly db: Queryable) {}

  /** Alerts (shadow-mode findings left out) that happened in [from, to), oldest first. */
  async list(q: { storeIds: readonly string[]; from: Date; to: Date; limit?: number }): Promise<AlertExportRow[]> {
    const r = await this.db.query(
      `SELECT to_char(${EVENT_AT} AT TIME ZONE s.tz, 'YYYY-MM-DD HH24:MI:SS') AS local_time,
              to_char((${EVENT_AT} AT TIME ZONE s.tz)::date, 'YYYY-MM-DD') AS day, ${EVENT_AT} AS at,
              s.name AS store_name, COALESCE((SELECT cam.name FROM cameras cam WHERE cam.id = v.camera_id), v.camera_id) AS camera_name,
              v.sop_id, v.rule, ${RULE_TITLE} AS rule_title, ${RULE_TITLE_ZH} AS rule_title_zh, v.severity, v.status, v.message,
              d.decision, d.reason_code, d.comment
         FROM violations v JOIN stores s ON s.id = v.store_id LEFT JOIN clips c ON c.id = v.clip_id
         LEFT JOIN LATERAL (
           SELECT rv.decision, rv.reason_code, rv.comment FROM reviews rv
            WHERE rv.violation_id = v.id AND rv.undone_at IS NULL ORDER BY rv.at DESC, rv.id DESC LIMIT 1
         ) d ON true
        WHERE v.store_id = ANY($1::text[]) AND v.shadow = false AND ${EVENT_AT} >= $2 AND ${EVENT_AT} < $3
        ORDER BY ${EVENT_AT}, v.id LIMIT $4`,
      [q.storeIds, q.from, q.to, q.limit ?? ALERT_EXPORT_MAX + 1],
    );
    const text = (v: unknown): string | null => (typeof v === 'string' ? v : null);
    return r.rows.map((row) => ({
      localTime: row.local_time as string,
      day: row.day as string,
      at: row.at as Date,
      storeName: row.store_name as string,
      cameraName: row.camera_name as string,
      sopId: row.sop_id as string,
      rule: row.rule as string,
      ruleTitle: text(row.rule_title),
      ruleTitleZh: text(row.rule_title_zh),
      severity: row.severity as string,
      status: row.status as string,
      decision: text(row.decision),
      reasonCode: text(row.reason_code),
      comment: text(row.comment),
      message: row.message as string,
    }));
  }
}
