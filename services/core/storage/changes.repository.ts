// What changed since a moment: the source of live events, read from the database so every process sees them.
import type { Queryable } from './database.ts';
import type { ClipStatus } from './clips.repository.ts';

export interface ClipChange {
  clipId: string;
  storeId: string;
  status: ClipStatus;
  progress: number;
  at: Date;
}

export interface ViolationCreated {
  violationId: string;
  storeId: string;
  cameraId: string;
  clipId: string | null;
  sopId: string;
  rule: string;
  kind: string;
  severity: string;
  at: Date;
}

export class ChangeRepository {
  constructor(private readonly db: Queryable) {}

  /** The database clock, so that "since" never depends on this machine's clock. */
  async now(): Promise<Date> {
    const r = await this.db.query('SELECT now() AS t');
    return r.rows[0]?.t as Date;
  }

  async clipsChangedSince(since: Date, limit = 500): Promise<ClipChange[]> {
    const r = await this.db.query(
      'SELECT id, store_id, status, progress, updated_at FROM clips WHERE updated_at >= $1 ORDER BY updated_at LIMIT $2',
      [since, limit],
    );
    return r.rows.map((row) => ({
      clipId: row.id as string,
      storeId: row.store_id as string,
      status: row.status as ClipStatus,
      progress: Number(row.progress),
      at: row.updated_at as Date,
    }));
  }

  async violationsCreatedSince(since: Date, limit = 500): Promise<ViolationCreated[]> {
    const r = await this.db.query(
      `SELECT id, store_id, camera_id, clip_id, sop_id, rule, kind, severity, created_at FROM violations
        WHERE created_at >= $1 ORDER BY created_at LIMIT $2`,
      [since, limit],
    );
    return r.rows.map((row) => ({
      violationId: row.id as string,
      storeId: row.store_id as string,
      cameraId: row.camera_id as string,
      clipId: (row.clip_id as string | null) ?? null,
      sopId: row.sop_id as string,
      rule: row.rule as string,
      kind: row.kind as string,
      severity: row.severity as string,
      at: row.created_at as Date,
    }));
  }
}
