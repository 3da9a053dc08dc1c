// Labels people put on a clip's timeline ("missed here", "not a violation"), and their counts for the accuracy report.
import type { Queryable, Row } from './database.ts';

export type ClipLabelType = 'missed' | 'not_violation';

export interface NewClipLabel {
  storeId: string;
  clipId: string;
  sopId: string;
  rule: string;
  kind: string;
  label: ClipLabelType;
  startS: number;
  endS: number;
  note?: string;
  violationId?: string;
  createdBy: string;
}

export interface ClipLabelRecord {
  id: string;
  storeId: string;
  clipId: string;
  sopId: string;
  rule: string;
  kind: string;
  label: ClipLabelType;
  startS: number;
  endS: number;
  note: string | null;
  violationId: string | null;
  createdBy: string | null;
  createdByEmail: string | null;
  createdAt: Date;
}

/** Missed labels of one store, local day, SOP and rule (the day the labelled moment happened, in the store's zone). */
export interface MissedRow {
  day: string;
  storeId: string;
  storeName: string;
  sopId: string;
  rule: string;
  missed: number;
}

function toRecord(r: Row): ClipLabelRecord {
  return {
    id: r.id as string,
    storeId: r.store_id as string,
    clipId: r.clip_id as string,
    sopId: r.sop_id as string,
    rule: r.rule as string,
    kind: r.kind as string,
    label: r.label as ClipLabelType,
    startS: Number(r.start_s),
    endS: Number(r.end_s),
    note: (r.note as string | null) ?? null,
    violationId: (r.violation_id as string | null) ?? null,
    createdBy: (r.created_by as string | null) ?? null,
    createdByEmail: (r.email as string | null) ?? null,
    createdAt: r.created_at as Date,
  };
}

/** When a labelled moment happened: the clip's recording time (else its upload time) plus the offset. */
const LABEL_AT = `(COALESCE(c.recorded_at, c.created_at) + make_interval(secs => l.start_s))`;

export class ClipLabelRepository {
  constructor(private readonly db: Queryable) {}

  async create(input: NewClipLabel): Promise<ClipLabelRecord> {
    const r = await this.db.query(
      `INSERT INTO clip_labels (store_id, clip_id, sop_id, rule, kind, label, start_s, end_s, note, violation_id, created_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id`,
      [input.storeId, input.clipId, input.sopId, input.rule, input.kind, input.label, input.startS, input.endS, input.note ?? null, input.violationId ?? null, input.createdBy],
    );
    const made = await this.get(String((r.rows[0] as Row).id), [input.storeId]);
    if (made === undefined) throw new Error('clip label vanished after insert');
    return made;
  }

  /** Only within the given stores. */
  async get(id: string, storeIds: readonly string[]): Promise<ClipLabelRecord | undefined> {
    const r = await this.db.query(
      'SELECT l.*, u.email FROM clip_labels l LEFT JOIN users u ON u.id = l.created_by WHERE l.id = $1 AND l.store_id = ANY($2::text[])',
      [id, storeIds],
    );
    return r.rows[0] === undefined ? undefined : toRecord(r.rows[0]);
  }

  /** A clip's labels in clip order. */
  async forClip(clipId: string, storeIds: readonly string[], sopId?: string): Promise<ClipLabelRecord[]> {
    const r = await this.db.query(
      `SELECT l.*, u.email FROM clip_labels l LEFT JOIN users u ON u.id = l.created_by
        WHERE l.clip_id = $1 AND l.store_id = ANY($2::text[]) AND ($3::text IS NULL OR l.sop_id = $3)
        ORDER BY l.start_s, l.rule, l.id`,
      [clipId, storeIds, sopId ?? null],
    );
    return r.rows.map(toRecord);
  }

  async forViolation(violationId: string): Promise<ClipLabelRecord | undefined> {
    const r = await this.db.query('SELECT l.*, u.email FROM clip_labels l LEFT JOIN users u ON u.id = l.created_by WHERE l.violation_id = $1', [violationId]);
    return r.rows[0] === undefined ? undefined : toRecord(r.rows[0]);
  }

  async delete(id: string, storeId: string): Promise<boolean> {
    const r = await this.db.query('DELETE FROM clip_labels WHERE id = $1 AND store_id = $2 RETURNING id', [id, storeId]);
    return r.rows.length > 0;
  }

  /** Missed labels per store, local day, SOP and rule, for moments between `from` and `to`. */
  async missedByDay(q: { storeIds: readonly string[]; from: Date; to: Date }): Promise<MissedRow[]> {
    const r = await this.db.query(
      `SELECT to_char((${LABEL_AT} AT TIME ZONE s.tz)::date, 'YYYY-MM-DD') AS day, l.store_id, s.name AS store_name, l.sop_id, l.rule,
              count(*)::integer AS missed
         FROM clip_labels l JOIN clips c ON c.id = l.clip_id JOIN stores s ON s.id = l.store_id
        WHERE l.label = 'missed' AND l.store_id = ANY($1::text[]) AND ${LABEL_AT} >= $2 AND ${LABEL_AT} < $3
        GROUP BY 1, l.store_id, s.name, l.sop_id, l.rule
        ORDER BY 1, s.name, l.sop_id, l.rule`,
      [q.storeIds, q.from, q.to],
    );
    return r.rows.map((row) => ({
      day: row.day as string, storeId: row.store_id as string, storeName: row.store_name as string,
      sopId: row.sop_id as string, rule: row.rule as string, missed: Number(row.missed),
    }));
  }
}
