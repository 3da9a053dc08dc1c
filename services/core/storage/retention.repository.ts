// What the retention sweep reads and deletes: per-store limits, expired clips and violations, and their files' paths.
import type { Queryable } from './database.ts';

export interface RetentionPolicy {
  storeId: string;
  /** Uploaded clips and what was drawn from them that is not a violation's evidence (frames, timelines). */
  footageDays: number;
  /** Violations, their evidence and reviews, review items, notifications. */
  violationDays: number;
}

export interface ExpiredClip {
  id: string;
  /** As stored by the upload route (absolute, or relative to the working directory). */
  path: string;
}

export interface ExpiredViolation {
  id: string;
  clipId: string | null;
  /** Evidence files, relative to the data directory. */
  evidencePaths: string[];
}

export class RetentionRepository {
  constructor(private readonly db: Queryable) {}

  async policies(storeId?: string): Promise<RetentionPolicy[]> {
    const r = storeId === undefined
      ? await this.db.query('SELECT id, retention_days, violation_retention_days FROM stores ORDER BY id')
      : await this.db.query('SELECT id, retention_days, violation_retention_days FROM stores WHERE id = $1', [storeId]);
    return r.rows.map((row) => ({ storeId: row.id as string, footageDays: Number(row.retention_days), violationDays: Number(row.violation_retention_days) }));
  }

  async setPolicy(storeId: string, policy: { footageDays?: number; violationDays?: number }): Promise<void> {
    await this.db.query(
      `UPDATE stores SET retention_days = COALESCE($2, retention_days), violation_retention_days = COALESCE($3, violation_retention_days) WHERE id = $1`,
      [storeId, policy.footageDays ?? null, policy.violationDays ?? null],
    );
  }

  /** Clips uploaded before `before`; one being analysed right now is left for the next sweep. */
  async expiredClips(storeId: string, before: Date, limit: number): Promise<ExpiredClip[]> {
    const r = await this.db.query(
      `SELECT id, path FROM clips WHERE store_id = $1 AND created_at < $2 AND status <> 'analysing' ORDER BY created_at, id LIMIT $3`,
      [storeId, before, limit],
    );
    return r.rows.map((row) => ({ id: row.id as string, path: row.path as string }));
  }

  /** Evidence paths still recorded under a folder (a clip's `evidence/<clipId>/`): those belong to violations. */
  async evidenceUnder(prefix: string): Promise<Set<string>> {
    const r = await this.db.query('SELECT path FROM evidence WHERE left(path, length($1)) = $1', [prefix]);
    return new Set(r.rows.map((row) => row.path as string));
  }

  async deleteClips(storeId: string, ids: readonly string[]): Promise<number> {
    const r = await this.db.query('DELETE FROM clips WHERE store_id = $1 AND id = ANY($2::text[]) AND status <> \'analysing\'', [storeId, ids]);
    return r.rowCount;
  }

  async expiredViolations(storeId: string, before: Date, limit: number): Promise<ExpiredViolation[]> {
    const r = await this.db.query(
      `SELECT v.id, v.clip_id, COALESCE(array_agg(e.path) FILTER (WHERE e.path IS NOT NULL), '{}') AS paths
       FROM violations v LEFT JOIN evidence e ON e.violation_id = v.id
       WHERE v.store_id = $1 AND v.created_at < $2 GROUP BY v.id, v.clip_id, v.created_at ORDER BY v.created_at, v.id LIMIT $3`,
      [storeId, before, limit],
    );
    return r.rows.map((row) => ({ id: row.id as string, clipId: (row.clip_id as string | null) ?? null, evidencePaths: (row.paths as string[] | null) ?? [] }));
  }

  /** Deletes violations; their evidence rows, reviews and notifications go with them (foreign keys cascade). */
  async deleteViolations(storeId: string, ids: readonly string[]): Promise<number> {
    const r = await this.db.query('DELETE FROM violations WHERE store_id = $1 AND id = ANY($2::text[])', [storeId, ids]);
    return r.rowCount;
  }

  async deleteReviewItems(storeId: string, before: Date): Promise<number> {
    const r = await this.db.query('DELETE FROM review_items WHERE store_id = $1 AND created_at < $2', [storeId, before]);
    return r.rowCount;
  }

  /** Digests and other messages not tied to a violation (those went with their violation). */
  async deleteNotifications(storeId: string, before: Date): Promise<number> {
    const r = await this.db.query(`DELETE FROM notifications WHERE store_id = $1 AND created_at < $2 AND status <> 'sending'`, [storeId, before]);
    return r.rowCount;
  }
}
