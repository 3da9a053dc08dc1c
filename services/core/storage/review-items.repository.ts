// Cases the engine could not decide alone (no model, an unsure answer): stored for a person, never dropped.
import type { MessageParts, Severity } from '../contracts.ts';
import type { Queryable, Row } from './database.ts';
import { RULE_TITLE, RULE_TITLE_ZH } from './violations.repository.ts';

/** The item and its rule's titles from the SOP version that raised it (aliased v, as the violations' SQL expects). */
const SELECT = `SELECT v.*, ${RULE_TITLE} AS rule_title, ${RULE_TITLE_ZH} AS rule_title_zh FROM review_items v`;

export interface ReviewItemUpsert {
  storeId: string;
  cameraId: string;
  clipId: string;
  /** The engine's deterministic id; stored under the clip so a re-run lands on the same row. */
  engineId: string;
  sopId: string;
  sopVersion?: number;
  rule: string;
  step?: string;
  severity: Severity;
  /** Seconds from the clip start. */
  startS: number;
  endS: number;
  reason: string;
  /** `reason` as data, for other languages. */
  reasonParts?: MessageParts;
  question?: string;
  answer?: unknown;
  /** The rule is in shadow mode: the case is kept for a look, out of the review queue by default. */
  shadow?: boolean;
}

export interface ReviewItemRecord {
  id: string;
  storeId: string;
  cameraId: string;
  clipId: string | null;
  sopId: string;
  rule: string;
  /** The rule's title and `title_zh` in its SOP file, when the store has them. */
  ruleTitle: string | null;
  ruleTitleZh: string | null;
  step: string | null;
  severity: Severity;
  startS: number | null;
  endS: number | null;
  reason: string;
  /** Null for rows written before schema v14. */
  reasonParts: MessageParts | null;
  question: string | null;
  /** The model's answer as the engine stored it (a VerifyAnswer), when a model was asked. */
  answer: unknown;
  status: 'open' | 'resolved';
  /** The violation a person's decision created, if any. */
  violationId: string | null;
  resolvedAt: Date | null;
  /** The rule is in shadow mode (see ViolationRecord.shadow). */
  shadow: boolean;
  createdAt: Date;
}

function toRecord(r: Row): ReviewItemRecord {
  return {
    id: r.id as string,
    storeId: r.store_id as string,
    cameraId: r.camera_id as string,
    clipId: (r.clip_id as string | null) ?? null,
    sopId: r.sop_id as string,
    rule: r.rule as string,
    ruleTitle: (r.rule_title as string | null | undefined) ?? null,
    ruleTitleZh: (r.rule_title_zh as string | null | undefined) ?? null,
    step: (r.step as string | null) ?? null,
    severity: r.severity as Severity,
    startS: r.start_s === null ? null : Number(r.start_s),
    endS: r.end_s === null ? null : Number(r.end_s),
    reason: r.reason as string,
    reasonParts: (r.reason_parts as MessageParts | null | undefined) ?? null,
    question: (r.question as string | null) ?? null,
    answer: r.answer ?? null,
    status: r.status as 'open' | 'resolved',
    violationId: (r.violation_id as string | null) ?? null,
    resolvedAt: (r.resolved_at as Date | null) ?? null,
    shadow: r.shadow === true,
    createdAt: r.created_at as Date,
  };
}

export class ReviewItemRepository {
  constructor(private readonly db: Queryable) {}

  async upsert(item: ReviewItemUpsert): Promise<void> {
    await this.db.query(
      `INSERT INTO review_items (id, store_id, camera_id, clip_id, sop_id, sop_version, rule, step, severity,
         start_s, end_s, reason, question, answer, shadow, reason_parts)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14::jsonb, $15, $16::jsonb)
       ON CONFLICT (id) DO UPDATE SET sop_version = EXCLUDED.sop_version, severity = EXCLUDED.severity,
         start_s = EXCLUDED.start_s, end_s = EXCLUDED.end_s, reason = EXCLUDED.reason, reason_parts = EXCLUDED.reason_parts, question = EXCLUDED.question,
         answer = EXCLUDED.answer, shadow = EXCLUDED.shadow
       WHERE review_items.store_id = EXCLUDED.store_id`,
      [
        `clip/${item.clipId}/${item.engineId}`, item.storeId, item.cameraId, item.clipId, item.sopId, item.sopVersion ?? null,
        item.rule, item.step ?? null, item.severity, item.startS, item.endS, item.reason, item.question ?? null,
        item.answer === undefined ? null : JSON.stringify(item.answer), item.shadow === true,
        item.reasonParts === undefined ? null : JSON.stringify(item.reasonParts),
      ],
    );
  }

  /** `shadow`: only cases of shadow rules (true), only the others (false), or both (absent). */
  async list(storeIds: readonly string[], filter: { clipId?: string; status?: 'open' | 'resolved'; shadow?: boolean; limit?: number } = {}): Promise<ReviewItemRecord[]> {
    const params: unknown[] = [storeIds];
    const where = ['store_id = ANY($1::text[])'];
    if (filter.clipId !== undefined) where.push(`clip_id = $${params.push(filter.clipId)}`);
    if (filter.shadow !== undefined) where.push(`shadow = $${params.push(filter.shadow)}`);
    if (filter.status !== undefined) where.push(`status = $${params.push(filter.status)}`);
    const limit = Math.min(Math.max(filter.limit ?? 100, 1), 500);
    const r = await this.db.query(`${SELECT} WHERE ${where.join(' AND ')} ORDER BY created_at DESC, id LIMIT ${limit}`, params);
    return r.rows.map(toRecord);
  }

  async get(id: string, storeIds: readonly string[]): Promise<ReviewItemRecord | undefined> {
    const r = await this.db.query(`${SELECT} WHERE id = $1 AND store_id = ANY($2::text[])`, [id, storeIds]);
    return r.rows[0] === undefined ? undefined : toRecord(r.rows[0]);
  }

  /** Closes an open item once; returns undefined when it was already resolved (a second decision changes nothing). */
  async resolve(id: string, violationId: string | null): Promise<ReviewItemRecord | undefined> {
    const r = await this.db.query(
      `UPDATE review_items SET status = 'resolved', violation_id = $2, resolved_at = now() WHERE id = $1 AND status = 'open' RETURNING *`,
      [id, violationId],
    );
    return r.rows[0] === undefined ? undefined : toRecord(r.rows[0]);
  }
}
