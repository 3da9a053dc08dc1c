// Violations: idempotent upsert from the rule engine, lists within a caller's stores, and human review.
import type { MessageParts, Severity, Violation, ViolationKind } from '../contracts.ts';
import type { Database, Row } from './database.ts';
import { DatabaseError, NotFoundError } from './storage-errors.ts';

/**
 * Who took part in an episode: the most at once, each track's first-in and last-out time (seconds from the violation's
 * start), and their boxes `[x, y, w, h]` (normalised) on each evidence keyframe.
 */
export interface ViolationSubjects {
  count: number;
  tracks: Array<{ id: string; inS: number; outS: number }>;
  keyframes: Array<{ evidence: string; boxes: Array<{ id: string; box: [number, number, number, number] }> }>;
}

export type ViolationStatus = 'open' | 'confirmed' | 'dismissed' | 'needs_review';
export type ReviewDecision = 'confirmed' | 'dismissed';

export interface ViolationRecord {
  id: string;
  storeId: string;
  cameraId: string;
  clipId: string | null;
  sopId: string;
  sopVersion: number | null;
  rule: string;
  step: string | null;
  kind: ViolationKind;
  severity: Severity;
  /** Live cameras: wall-clock span. */
  startAt: Date | null;
  endAt: Date | null;
  /** Clips: seconds from the clip start. */
  startS: number | null;
  endS: number | null;
  subject: string | null;
  ongoing: boolean;
  message: string;
  decidedBy: string;
  confidence: number;
  evidence: string[];
  status: ViolationStatus;
  /** The rule is in shadow mode: recorded for a look, never alerted, never counted as a violation. */
  shadow: boolean;
  /** The episode's subjects, when several could take part (forbidden rules judged per episode). */
  subjects: ViolationSubjects | null;
  createdAt: Date;
  updatedAt: Date;
  /** When it happened: the wall-clock start, or the clip's time plus the offset in the clip (read queries only). */
  happenedAt: Date | null;
  /** The rule's title in its SOP file (read queries only). */
  ruleTitle: string | null;
  /** Its Chinese title, when the SOP file gives one (read queries only). */
  ruleTitleZh: string | null;
  /** `message` as data, for other languages; null for rows written before schema v14. */
  messageParts: MessageParts | null;
}

/** SQL for when a violation happened (aliases: v = violations, c = its clip, LEFT JOINed): filters, order, report days. */
export const EVENT_AT = `COALESCE(v.start_at, c.created_at + make_interval(secs => v.start_s), v.created_at)`;

/** SQL for the rule's title in the SOP version that raised it (the newest version when none is recorded). */
export const RULE_TITLE = `(SELECT r->>'title' FROM sop_files sf, jsonb_array_elements(sf.compiled->'rules') r
  WHERE sf.store_id = v.store_id AND sf.sop_id = v.sop_id AND (v.sop_version IS NULL OR sf.version = v.sop_version) AND r->>'id' = v.rule
  ORDER BY sf.version DESC LIMIT 1)`;

/** SQL for the rule's Chinese title (`title_zh`), as RULE_TITLE. */
export const RULE_TITLE_ZH = RULE_TITLE.replace(`r->>'title'`, `r->>'titleZh'`);

/** The columns read queries add to `v.*`. */
export const READ_COLUMNS = `${EVENT_AT} AS happened_at, ${RULE_TITLE} AS rule_title, ${RULE_TITLE_ZH} AS rule_title_zh`;

export interface ViolationUpsert {
  storeId: string;
  /** Set for an uploaded clip: the engine's times are then ms from the clip start. Absent: live camera, epoch ms. */
  clipId?: string;
  /** When the clip was recorded (its first frame): its violations then also get wall-clock times. */
  clipRecordedAt?: Date;
  sopVersion?: number;
  /** `needs_review` when the engine could not decide alone; default `open`. */
  status?: 'open' | 'needs_review';
  violation: Violation;
}

export interface ViolationFilter {
  storeIds: readonly string[];
  clipId?: string;
  cameraId?: string;
  sopId?: string;
  status?: ViolationStatus | readonly ViolationStatus[];
  severity?: Severity;
  createdFrom?: Date;
  createdTo?: Date;
  /** Default 100, at most 1000. */
  limit?: number;
}

export interface ReviewInput {
  violationId: string;
  userId: string;
  decision: ReviewDecision;
  reasonCode?: string;
  comment?: string;
}

/**
 * The stored id of an engine violation: the clip (globally unique) or the store's camera, then the engine's own
 * deterministic id. Analysing the same clip twice therefore lands on the same rows.
 */
export function violationKey(v: { storeId: string; clipId?: string; cameraId: string; engineId: string }): string {
  return v.clipId !== undefined ? `clip/${v.clipId}/${v.engineId}` : `camera/${v.storeId}/${v.cameraId}/${v.engineId}`;
}

function toRecord(r: Row): ViolationRecord {
  const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
  return {
    id: r.id as string,
    storeId: r.store_id as string,
    cameraId: r.camera_id as string,
    clipId: (r.clip_id as string | null) ?? null,
    sopId: r.sop_id as string,
    sopVersion: num(r.sop_version),
    rule: r.rule as string,
    step: (r.step as string | null) ?? null,
    kind: r.kind as ViolationKind,
    severity: r.severity as Severity,
    startAt: (r.start_at as Date | null) ?? null,
    endAt: (r.end_at as Date | null) ?? null,
    startS: num(r.start_s),
    endS: num(r.end_s),
    subject: (r.subject as string | null) ?? null,
    ongoing: Boolean(r.ongoing),
    message: r.message as string,
    decidedBy: r.decided_by as string,
    confidence: Number(r.confidence),
    evidence: (r.evidence as string[] | null) ?? [],
    status: r.status as ViolationStatus,
    shadow: r.shadow === true,
    subjects: (r.subjects as ViolationSubjects | null | undefined) ?? null,
    createdAt: r.created_at as Date,
    updatedAt: r.updated_at as Date,
    happenedAt: (r.happened_at as Date | null | undefined) ?? null,
    ruleTitle: (r.rule_title as string | null | undefined) ?? null,
    ruleTitleZh: (r.rule_title_zh as string | null | undefined) ?? null,
    messageParts: (r.message_parts as MessageParts | null | undefined) ?? null,
  };
}

function subjectsParam(v: Violation): string | null {
  const s = storedSubjects(v);
  return s === null ? null : JSON.stringify(s);
}

const offsetS = (ms: number, startMs: number): number => Math.round(Math.max(0, ms - startMs)) / 1000;

/** The stored form of an engine violation's subjects (times relative to its start), or null when it has none. */
export function storedSubjects(v: Violation): ViolationSubjects | null {
  if (v.subjects === undefined || v.subjects.length === 0) return null;
  const spans = new Map((v.spans ?? []).map((s) => [s.subject, s]));
  return {
    count: v.count ?? v.subjects.length,
    tracks: v.subjects.map((id) => {
      const s = spans.get(id);
      return { id, inS: offsetS(s?.firstMs ?? v.startMs, v.startMs), outS: offsetS(s?.lastMs ?? v.endMs, v.startMs) };
    }),
    keyframes: (v.keyframeBoxes ?? []).map((k) => ({
      evidence: k.evidence,
      boxes: k.boxes.map((b) => ({ id: b.subject, box: [b.box[0], b.box[1], b.box[2], b.box[3]] })),
    })),
  };
}

/** A clip violation's wall-clock time, when the clip's recording time is known. */
function atClipTime(recordedAt: Date | undefined, ms: number): Date | null {
  return recordedAt === undefined ? null : new Date(recordedAt.getTime() + ms);
}

export class ViolationRepository {
  constructor(private readonly db: Database) {}

  /**
   * Inserts the violation or, when the same one was stored before, refreshes what the engine may have
   * learnt since (end, message, evidence…). A person's decision (confirmed, dismissed) is never overwritten.
   */
  async upsert(input: ViolationUpsert): Promise<{ violation: ViolationRecord; created: boolean }> {
    const v = input.violation;
    const id = violationKey({ storeId: input.storeId, cameraId: v.cameraId, engineId: v.id, ...(input.clipId === undefined ? {} : { clipId: input.clipId }) });
    const clip = input.clipId !== undefined;
    const r = await this.db.query(
      `INSERT INTO violations (id, store_id, camera_id, clip_id, sop_id, sop_version, rule, step, kind, severity,
         start_at, end_at, start_s, end_s, subject, ongoing, message, decided_by, confidence, evidence, status, shadow, message_parts, subjects)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20::jsonb, $21, $22, $23::jsonb, $24::jsonb)
       ON CONFLICT (id) DO UPDATE SET
         sop_version = EXCLUDED.sop_version, severity = EXCLUDED.severity,
         start_at = EXCLUDED.start_at, end_at = EXCLUDED.end_at, start_s = EXCLUDED.start_s, end_s = EXCLUDED.end_s,
         ongoing = EXCLUDED.ongoing, message = EXCLUDED.message, message_parts = EXCLUDED.message_parts, decided_by = EXCLUDED.decided_by,
         confidence = EXCLUDED.confidence, evidence = EXCLUDED.evidence, shadow = EXCLUDED.shadow,
         subjects = COALESCE(EXCLUDED.subjects, violations.subjects),
         status = CASE WHEN violations.status IN ('confirmed', 'dismissed') THEN violations.status ELSE EXCLUDED.status END,
         updated_at = now()
       WHERE violations.store_id = EXCLUDED.store_id
       RETURNING *, (xmax = 0) AS inserted`,
      [
        id, input.storeId, v.cameraId, input.clipId ?? null, v.sop, input.sopVersion ?? null, v.rule, v.step ?? null,
        v.kind, v.severity,
        clip ? atClipTime(input.clipRecordedAt, v.startMs) : new Date(v.startMs), clip ? atClipTime(input.clipRecordedAt, v.endMs) : new Date(v.endMs),
        clip ? v.startMs / 1000 : null, clip ? v.endMs / 1000 : null,
        v.subject, v.ongoing ?? false, v.message, v.decidedBy, Math.min(Math.max(v.confidence, 0), 1),
        JSON.stringify(v.evidence), input.status ?? 'open', v.shadow === true, v.parts === undefined ? null : JSON.stringify(v.parts), subjectsParam(v),
      ],
    );
    const row = r.rows[0];
    // Only a key collision across stores can leave no row; the key includes the store, so this is a bug.
    if (row === undefined) throw new DatabaseError(`violation ${id} belongs to another store`);
    return { violation: toRecord(row), created: row.inserted === true };
  }

  async get(id: string, storeIds?: readonly string[]): Promise<ViolationRecord | undefined> {
    const r = storeIds === undefined
      ? await this.db.query(`SELECT v.*, ${READ_COLUMNS} FROM violations v LEFT JOIN clips c ON c.id = v.clip_id WHERE v.id = $1`, [id])
      : await this.db.query(
        `SELECT v.*, ${READ_COLUMNS} FROM violations v LEFT JOIN clips c ON c.id = v.clip_id WHERE v.id = $1 AND v.store_id = ANY($2::text[])`,
        [id, storeIds],
      );
    return r.rows[0] === undefined ? undefined : toRecord(r.rows[0]);
  }

  /** Newest first. */
  async list(filter: ViolationFilter): Promise<ViolationRecord[]> {
    const where = ['store_id = ANY($1::text[])'];
    const params: unknown[] = [filter.storeIds];
    const add = (sql: string, value: unknown): void => {
      where.push(sql.replace('?', `$${params.push(value)}`));
    };
    if (filter.clipId !== undefined) add('clip_id = ?', filter.clipId);
    if (filter.cameraId !== undefined) add('camera_id = ?', filter.cameraId);
    if (filter.sopId !== undefined) add('sop_id = ?', filter.sopId);
    if (filter.status !== undefined) add('status = ANY(?::text[])', Array.isArray(filter.status) ? filter.status : [filter.status]);
    if (filter.severity !== undefined) add('severity = ?', filter.severity);
    if (filter.createdFrom !== undefined) add('created_at >= ?', filter.createdFrom);
    if (filter.createdTo !== undefined) add('created_at < ?', filter.createdTo);
    const limit = Math.min(Math.max(filter.limit ?? 100, 1), 1000);
    const r = await this.db.query(`SELECT * FROM violations WHERE ${where.join(' AND ')} ORDER BY created_at DESC, id LIMIT ${limit}`, params);
    return r.rows.map(toRecord);
  }

  async setStatus(id: string, status: ViolationStatus): Promise<ViolationRecord> {
    const r = await this.db.query('UPDATE violations SET status = $2, updated_at = now() WHERE id = $1 RETURNING *', [id, status]);
    if (r.rows[0] === undefined) throw new NotFoundError(`violation ${id} not found`);
    return toRecord(r.rows[0]);
  }

  /**
   * A person's decision: the review row (with the status it replaces, for undo) and the new status are written
   * together.
   */
  async review(input: ReviewInput): Promise<ViolationRecord> {
    return this.db.transaction(async (tx) => {
      const r = await tx.query(
        `WITH old AS (SELECT status FROM violations WHERE id = $1 FOR UPDATE)
         UPDATE violations v SET status = $2, updated_at = now() FROM old WHERE v.id = $1 RETURNING v.*, old.status AS previous_status`,
        [input.violationId, input.decision],
      );
      const row = r.rows[0];
      if (row === undefined) throw new NotFoundError(`violation ${input.violationId} not found`);
      await tx.query(
        'INSERT INTO reviews (violation_id, user_id, decision, reason_code, comment, previous_status) VALUES ($1, $2, $3, $4, $5, $6)',
        [input.violationId, input.userId, input.decision, input.reasonCode ?? null, input.comment ?? null, row.previous_status],
      );
      return toRecord(row);
    });
  }

  /**
   * Takes back the newest decision on a violation, when the same person made it within `withinMs`: the violation
   * gets the status it had before, and the review row is kept, marked undone. Undefined when there is nothing the
   * person may undo (someone decided after them, too late, or already undone).
   */
  async undoReview(violationId: string, userId: string, withinMs: number): Promise<ViolationRecord | undefined> {
    return this.db.transaction(async (tx) => {
      const last = await tx.query(
        `SELECT r.id, r.user_id, r.decision, r.previous_status, r.at > now() - make_interval(secs => $2) AS fresh, v.status
           FROM reviews r JOIN violations v ON v.id = r.violation_id
          WHERE r.violation_id = $1 AND r.undone_at IS NULL ORDER BY r.at DESC, r.id DESC LIMIT 1 FOR UPDATE OF v`,
        [violationId, withinMs / 1000],
      );
      const row = last.rows[0];
      if (row === undefined || row.user_id !== userId || row.fresh !== true || row.status !== row.decision) return undefined;
      await tx.query('UPDATE reviews SET undone_at = now() WHERE id = $1', [row.id]);
      const previous = (row.previous_status as ViolationStatus | null) ?? 'open';
      const r = await tx.query('UPDATE violations SET status = $2, updated_at = now() WHERE id = $1 RETURNING *', [violationId, previous]);
      return toRecord(r.rows[0] as Row);
    });
  }
}

/** Row mapper, shared with the read-side queries of the API (violation-queries.repository.ts). */
export { toRecord as toViolationRecord };
