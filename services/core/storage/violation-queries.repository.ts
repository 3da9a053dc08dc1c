// Read side of violations for the API: filtered lists, counts, review history and the daily compliance report.
import type { Severity } from '../contracts.ts';
import type { Queryable, Row } from './database.ts';
import { EVENT_AT, READ_COLUMNS, RULE_TITLE, toViolationRecord, type ViolationRecord, type ViolationStatus } from './violations.repository.ts';

export interface ViolationQuery {
  /** The stores the caller may see (or the one asked for): required so nothing leaks across stores. */
  storeIds: readonly string[];
  clipId?: string;
  cameraId?: string;
  sopId?: string;
  rule?: string;
  severity?: Severity;
  status?: readonly ViolationStatus[];
  /** Only violations of shadow rules (true), only the others (false), or both (absent). */
  shadow?: boolean;
  /** On when it happened: the wall-clock start, or the clip's upload time plus the offset in the clip. */
  from?: Date;
  to?: Date;
  /** Words that must each appear in the rule, step, SOP, camera id or message (case-insensitive). */
  text?: string;
  /** Default 100, at most 500. */
  limit?: number;
  offset?: number;
}

export interface ReviewRecord {
  id: string;
  violationId: string;
  userId: string | null;
  userEmail: string | null;
  decision: 'confirmed' | 'dismissed';
  reasonCode: string | null;
  comment: string | null;
  at: Date;
  /** Set when the person took the decision back. */
  undoneAt: Date | null;
}

export interface ComplianceRow {
  day: string;
  storeId: string;
  storeName: string;
  sopId: string;
  rule: string;
  /** The rule's title and `title_zh` in the newest version of its SOP file, when the store still has it. */
  ruleTitle: string | null;
  ruleTitleZh: string | null;
  violations: number;
  open: number;
  needsReview: number;
  confirmed: number;
  dismissed: number;
  high: number;
}

export interface StatusCount {
  status: ViolationStatus;
  severity: Severity;
  count: number;
}


function where(q: ViolationQuery): { sql: string; params: unknown[] } {
  const parts = ['v.store_id = ANY($1::text[])'];
  const params: unknown[] = [q.storeIds];
  const add = (sql: string, value: unknown): void => {
    parts.push(sql.replace('?', `$${params.push(value)}`));
  };
  if (q.clipId !== undefined) add('v.clip_id = ?', q.clipId);
  if (q.cameraId !== undefined) add('v.camera_id = ?', q.cameraId);
  if (q.sopId !== undefined) add('v.sop_id = ?', q.sopId);
  if (q.rule !== undefined) add('v.rule = ?', q.rule);
  if (q.severity !== undefined) add('v.severity = ?', q.severity);
  if (q.status !== undefined && q.status.length > 0) add('v.status = ANY(?::text[])', q.status);
  if (q.shadow !== undefined) add('v.shadow = ?', q.shadow);
  if (q.from !== undefined) add(`${EVENT_AT} >= ?`, q.from);
  if (q.to !== undefined) add(`${EVENT_AT} < ?`, q.to);
  for (const word of (q.text ?? '').split(/\s+/).filter((w) => w !== '').slice(0, 8)) {
    const like = `%${word.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    add(`concat_ws(' ', v.rule, ${RULE_TITLE}, v.step, v.sop_id, v.message, c.filename, (SELECT cam.name FROM cameras cam WHERE cam.id = v.camera_id)) ILIKE ?`, like);
  }
  return { sql: parts.join(' AND '), params };
}

/** SQL for a rule's title (`title` or `titleZh` of the compiled file) in the newest version of its SOP file. */
const NEWEST_TITLE = (key: 'title' | 'titleZh'): string => `(SELECT r->>'${key}' FROM sop_files sf, jsonb_array_elements(sf.compiled->'rules') r
  WHERE sf.store_id = v.store_id AND sf.sop_id = v.sop_id AND r->>'id' = v.rule ORDER BY sf.version DESC LIMIT 1)`;

export class ViolationQueryRepository {
  constructor(private readonly db: Queryable) {}

  /** Newest first. */
  async list(q: ViolationQuery): Promise<ViolationRecord[]> {
    const { sql, params } = where(q);
    const limit = Math.min(Math.max(q.limit ?? 100, 1), 500);
    const offset = Math.max(q.offset ?? 0, 0);
    const r = await this.db.query(
      `SELECT v.*, ${READ_COLUMNS} FROM violations v LEFT JOIN clips c ON c.id = v.clip_id WHERE ${sql}
        ORDER BY ${EVENT_AT} DESC, v.id LIMIT ${limit} OFFSET ${offset}`,
      params,
    );
    return r.rows.map(toViolationRecord);
  }

  async counts(q: ViolationQuery): Promise<StatusCount[]> {
    const { sql, params } = where(q);
    const r = await this.db.query(
      `SELECT v.status, v.severity, count(*)::integer AS n FROM violations v LEFT JOIN clips c ON c.id = v.clip_id
        WHERE ${sql} GROUP BY v.status, v.severity ORDER BY v.status, v.severity`,
      params,
    );
    return r.rows.map((row) => ({ status: row.status as ViolationStatus, severity: row.severity as Severity, count: Number(row.n) }));
  }

  async reviews(violationId: string): Promise<ReviewRecord[]> {
    const r = await this.db.query(
      `SELECT r.*, u.email FROM reviews r LEFT JOIN users u ON u.id = r.user_id WHERE r.violation_id = $1 ORDER BY r.at, r.id`,
      [violationId],
    );
    return r.rows.map((row: Row) => ({
      id: row.id as string,
      violationId: row.violation_id as string,
      userId: (row.user_id as string | null) ?? null,
      userEmail: (row.email as string | null) ?? null,
      decision: row.decision as 'confirmed' | 'dismissed',
      reasonCode: (row.reason_code as string | null) ?? null,
      comment: (row.comment as string | null) ?? null,
      at: row.at as Date,
      undoneAt: (row.undone_at as Date | null) ?? null,
    }));
  }

  /** One row per store, local day, SOP and rule that had violations, oldest day first. Shadow rules never count. */
  async compliance(q: Pick<ViolationQuery, 'storeIds' | 'from' | 'to'>): Promise<ComplianceRow[]> {
    const { sql, params } = where({ ...q, shadow: false });
    const r = await this.db.query(
      `SELECT to_char((${EVENT_AT} AT TIME ZONE s.tz)::date, 'YYYY-MM-DD') AS day, v.store_id, s.name AS store_name,
              v.sop_id, v.rule, ${NEWEST_TITLE('title')} AS rule_title, ${NEWEST_TITLE('titleZh')} AS rule_title_zh,
              count(*)::integer AS violations,
              (count(*) FILTER (WHERE v.status = 'open'))::integer AS open,
              (count(*) FILTER (WHERE v.status = 'needs_review'))::integer AS needs_review,
              (count(*) FILTER (WHERE v.status = 'confirmed'))::integer AS confirmed,
              (count(*) FILTER (WHERE v.status = 'dismissed'))::integer AS dismissed,
              (count(*) FILTER (WHERE v.severity = 'high'))::integer AS high
         FROM violations v JOIN stores s ON s.id = v.store_id LEFT JOIN clips c ON c.id = v.clip_id
        WHERE ${sql}
        GROUP BY 1, v.store_id, s.name, v.sop_id, v.rule
        ORDER BY 1, s.name, v.sop_id, v.rule`,
      params,
    );
    return r.rows.map((row) => ({
      day: row.day as string,
      storeId: row.store_id as string,
      storeName: row.store_name as string,
      sopId: row.sop_id as string,
      rule: row.rule as string,
      ruleTitle: (row.rule_title as string | null) ?? null,
      ruleTitleZh: (row.rule_title_zh as string | null) ?? null,
      violations: Number(row.violations),
      open: Number(row.open),
      needsReview: Number(row.needs_review),
      confirmed: Number(row.confirmed),
      dismissed: Number(row.dismissed),
      high: Number(row.high),
    }));
  }
}
