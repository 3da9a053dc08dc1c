// Clip chores the status machine does not cover: frames counted, deletion, and totals for /metrics.
import type { Queryable } from './database.ts';
import type { ClipStatus } from './clips.repository.ts';

export class ClipAdminRepository {
  constructor(private readonly db: Queryable) {}

  async setFrames(id: string, frames: number): Promise<void> {
    await this.db.query('UPDATE clips SET frames = $2 WHERE id = $1', [id, Math.max(0, Math.round(frames))]);
  }

  /** Deletes a clip row that is not being analysed; its violations stay (clip_id becomes NULL). */
  async delete(id: string, storeId: string): Promise<{ path: string } | undefined> {
    const r = await this.db.query(
      `DELETE FROM clips WHERE id = $1 AND store_id = $2 AND status <> 'analysing' RETURNING path`,
      [id, storeId],
    );
    const row = r.rows[0];
    return row === undefined ? undefined : { path: row.path as string };
  }

  async countByStatus(): Promise<Array<{ status: ClipStatus; count: number }>> {
    const r = await this.db.query('SELECT status, count(*)::integer AS n FROM clips GROUP BY status ORDER BY status');
    return r.rows.map((row) => ({ status: row.status as ClipStatus, count: Number(row.n) }));
  }

  async framesAnalysed(): Promise<number> {
    const r = await this.db.query('SELECT COALESCE(sum(frames), 0)::bigint AS n FROM clips');
    return Number(r.rows[0]?.n ?? 0);
  }

  async violationsByStatus(): Promise<Array<{ status: string; count: number }>> {
    const r = await this.db.query('SELECT status, count(*)::integer AS n FROM violations GROUP BY status ORDER BY status');
    return r.rows.map((row) => ({ status: row.status as string, count: Number(row.n) }));
  }
}
