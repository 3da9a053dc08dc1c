// What the notifier reads: violations not yet announced, unreviewed ones to escalate, and a shift's summary.
import type { Severity } from '../contracts.ts';
import type { Queryable, Row } from './database.ts';
import { RULE_TITLE, RULE_TITLE_ZH, toViolationRecord, type ViolationRecord } from './violations.repository.ts';

/** A violation with the names a message shows (the camera's name when the camera is a row of the store). */
export interface NotifiableViolation extends ViolationRecord {
  /** The step's title and `title_zh` in the SOP version that raised it, for a sequence rule's step. */
  stepTitle: string | null;
  stepTitleZh: string | null;
  storeName: string;
  storeTz: string;
  cameraName: string;
}

export interface StoreClock {
  id: string;
  name: string;
  tz: string;
}

export interface ShiftSummary {
  total: number;
  bySeverity: Record<Severity, number>;
  /** Doubtful cases a person should look at. */
  needsReview: number;
  /** Recorded in the shift and still neither confirmed nor dismissed. */
  unreviewed: number;
  /** The most frequent rules, most first. */
  topRules: Array<{ sop: string; rule: string; count: number }>;
  /** Messages held back by a cooldown during the shift. */
  suppressed: number;
}

function toNotifiable(r: Row): NotifiableViolation {
  return {
    ...toViolationRecord(r),
    stepTitle: (r.step_title as string | null | undefined) ?? null,
    stepTitleZh: (r.step_title_zh as string | null | undefined) ?? null,
    storeName: r.store_name as string,
    storeTz: r.store_tz as string,
    cameraName: (r.camera_name as string | null) ?? (r.camera_id as string),
  };
}

/** SQL for a step's title (`title` or `titleZh`) in the SOP version that raised the violation, as RULE_TITLE. */
const STEP_TITLE = (key: 'title' | 'titleZh'): string => `(SELECT st->>'${key}' FROM sop_files sf, jsonb_array_elements(sf.compiled->'rules') r,
    jsonb_array_elements(COALESCE(r->'steps', '[]'::jsonb)) st
  WHERE sf.store_id = v.store_id AND sf.sop_id = v.sop_id AND (v.sop_version IS NULL OR sf.version = v.sop_version) AND r->>'id' = v.rule
    AND st->>'id' = v.step ORDER BY sf.version DESC LIMIT 1)`;

const SELECT = `SELECT v.*, ${RULE_TITLE} AS rule_title, ${RULE_TITLE_ZH} AS rule_title_zh, ${STEP_TITLE('title')} AS step_title,
    ${STEP_TITLE('titleZh')} AS step_title_zh, s.name AS store_name, s.tz AS store_tz, c.name AS camera_name
  FROM violations v JOIN stores s ON s.id = v.store_id LEFT JOIN cameras c ON c.id = v.camera_id AND c.store_id = v.store_id`;

export class NotifySourceRepository {
  constructor(private readonly db: Queryable) {}

  /**
   * Violations recorded in [fromMs, toMs] that a person may need to hear about (open or already confirmed; a
   * doubtful one waits for review, a dismissed one is silent) and that no violation message was planned for yet.
   * A rule in shadow mode alerts nobody.
   */
  async unannounced(fromMs: number, toMs: number, limit = 500): Promise<NotifiableViolation[]> {
    const r = await this.db.query(
      `${SELECT} WHERE v.created_at >= $1 AND v.created_at <= $2 AND v.status IN ('open', 'confirmed') AND NOT v.shadow
         AND NOT EXISTS (SELECT 1 FROM notifications n WHERE n.violation_id = v.id AND n.kind = 'violation')
       ORDER BY v.created_at, v.id LIMIT $3`,
      [new Date(fromMs), new Date(toMs), limit],
    );
    return r.rows.map(toNotifiable);
  }

  /** Violations of these severities recorded in [fromMs, toMs], still unreviewed, not escalated yet (never shadow ones). */
  async unreviewed(fromMs: number, toMs: number, severities: readonly Severity[], limit = 500): Promise<NotifiableViolation[]> {
    const r = await this.db.query(
      `${SELECT} WHERE v.created_at >= $1 AND v.created_at <= $2 AND v.status IN ('open', 'needs_review') AND NOT v.shadow
         AND v.severity = ANY($3::text[])
         AND NOT EXISTS (SELECT 1 FROM notifications n WHERE n.violation_id = v.id AND n.kind = 'escalation')
       ORDER BY v.created_at, v.id LIMIT $4`,
      [new Date(fromMs), new Date(toMs), severities, limit],
    );
    return r.rows.map(toNotifiable);
  }

  async stores(): Promise<StoreClock[]> {
    const r = await this.db.query('SELECT id, name, tz FROM stores ORDER BY id');
    return r.rows.map((row) => ({ id: row.id as string, name: row.name as string, tz: row.tz as string }));
  }

  /** What happened in one store between two instants (a shift); shadow rules are not part of it. */
  async shiftSummary(storeId: string, fromMs: number, toMs: number): Promise<ShiftSummary> {
    const window = [storeId, new Date(fromMs), new Date(toMs)];
    const counts = await this.db.query(
      `SELECT severity, status, count(*)::integer AS n FROM violations
       WHERE store_id = $1 AND created_at >= $2 AND created_at < $3 AND NOT shadow GROUP BY severity, status`,
      window,
    );
    const summary: ShiftSummary = { total: 0, bySeverity: { low: 0, medium: 0, high: 0 }, needsReview: 0, unreviewed: 0, topRules: [], suppressed: 0 };
    for (const row of counts.rows) {
      const n = Number(row.n);
      summary.total += n;
      summary.bySeverity[row.severity as Severity] += n;
      if (row.status === 'needs_review') summary.needsReview += n;
      if (row.status === 'open' || row.status === 'needs_review') summary.unreviewed += n;
    }
    const rules = await this.db.query(
      `SELECT sop_id, rule, count(*)::integer AS n FROM violations
       WHERE store_id = $1 AND created_at >= $2 AND created_at < $3 AND NOT shadow GROUP BY sop_id, rule ORDER BY n DESC, sop_id, rule LIMIT 5`,
      window,
    );
    summary.topRules = rules.rows.map((row) => ({ sop: row.sop_id as string, rule: row.rule as string, count: Number(row.n) }));
    // One held-back violation counts once however many channels held it back.
    const held = await this.db.query(
      `SELECT count(DISTINCT violation_id)::integer AS n FROM notifications
       WHERE store_id = $1 AND status = 'suppressed' AND created_at >= $2 AND created_at < $3`,
      window,
    );
    summary.suppressed = Number(held.rows[0]?.n ?? 0);
    return summary;
  }
}
