// What a live camera adds to a violation after it was raised (its end, its evidence) and its review cases, on wall-clock time.
import type { KeyframeBoxes, MessageParts, Severity } from '../contracts.ts';
import type { Queryable } from './database.ts';
import { violationKey } from './violations.repository.ts';

export interface LiveReviewItem {
  storeId: string;
  /** The camera's row id. */
  cameraId: string;
  /** The engine's deterministic id: the same case on the same camera lands on the same row. */
  engineId: string;
  sopId: string;
  sopVersion?: number;
  rule: string;
  step?: string;
  severity: Severity;
  startMs: number;
  endMs: number;
  reason: string;
  /** `reason` as data, for other languages. */
  reasonParts?: MessageParts;
  question?: string;
  answer?: unknown;
  /** The rule is in shadow mode. */
  shadow?: boolean;
}

export class LiveResultRepository {
  constructor(private readonly db: Queryable) {}

  /** Stores a case for a person; keyed like live violations (`camera/<store>/<camera>/<engine id>`). */
  async upsertReviewItem(item: LiveReviewItem): Promise<string> {
    const id = violationKey({ storeId: item.storeId, cameraId: item.cameraId, engineId: item.engineId });
    await this.db.query(
      `INSERT INTO review_items (id, store_id, camera_id, clip_id, sop_id, sop_version, rule, step, severity,
         start_at, end_at, reason, question, answer, shadow, reason_parts)
       VALUES ($1, $2, $3, NULL, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13::jsonb, $14, $15::jsonb)
       ON CONFLICT (id) DO UPDATE SET sop_version = EXCLUDED.sop_version, severity = EXCLUDED.severity,
         start_at = EXCLUDED.start_at, end_at = EXCLUDED.end_at, reason = EXCLUDED.reason, reason_parts = EXCLUDED.reason_parts, question = EXCLUDED.question,
         answer = EXCLUDED.answer, shadow = EXCLUDED.shadow
       WHERE review_items.store_id = EXCLUDED.store_id`,
      [
        id, item.storeId, item.cameraId, item.sopId, item.sopVersion ?? null, item.rule, item.step ?? null, item.severity,
        new Date(item.startMs), new Date(Math.max(item.startMs, item.endMs)), item.reason, item.question ?? null,
        item.answer === undefined ? null : JSON.stringify(item.answer), item.shadow === true,
        item.reasonParts === undefined ? null : JSON.stringify(item.reasonParts),
      ],
    );
    return id;
  }

  /**
   * An ongoing live violation ended (or its end moved): a person's decision on it is kept. `subjects` (the stored form,
   * see storedSubjects) replaces who took part, keeping the boxes already stored for its keyframes.
   */
  async endViolation(id: string, endMs: number, subjects?: { count: number; tracks: unknown[] }): Promise<boolean> {
    const r = await this.db.query(
      `UPDATE violations SET end_at = greatest(start_at, $2), ongoing = false,
         subjects = CASE WHEN $3::jsonb IS NULL THEN subjects
           ELSE jsonb_set($3::jsonb, '{keyframes}', COALESCE(subjects->'keyframes', '[]'::jsonb)) END,
         updated_at = now()
       WHERE id = $1 AND clip_id IS NULL`,
      [id, new Date(endMs), subjects === undefined ? null : JSON.stringify({ count: subjects.count, tracks: subjects.tracks, keyframes: [] })],
    );
    return r.rowCount > 0;
  }

  /**
   * The evidence file names of a live violation (the files are recorded in `evidence` by the caller) and, for an
   * episode with subjects, their boxes on each keyframe.
   */
  async setEvidence(id: string, names: readonly string[], keyframes: readonly KeyframeBoxes[] = []): Promise<void> {
    const boxes = keyframes.map((k) => ({ evidence: k.evidence, boxes: k.boxes.map((b) => ({ id: b.subject, box: [b.box[0], b.box[1], b.box[2], b.box[3]] })) }));
    await this.db.query(
      `UPDATE violations SET evidence = $2::jsonb,
         subjects = CASE WHEN subjects IS NULL OR $3::jsonb IS NULL THEN subjects ELSE jsonb_set(subjects, '{keyframes}', $3::jsonb) END,
         updated_at = now()
       WHERE id = $1 AND clip_id IS NULL`,
      [id, JSON.stringify(names), boxes.length === 0 ? null : JSON.stringify(boxes)],
    );
  }
}
