// Everything one store holds, read for an export or removed on request; the audit trail is read, never removed.
import type { Queryable, Row } from './database.ts';

export interface StoreData {
  store: Row;
  /** Without host and config: those may hold camera credentials, which are no one's personal data to export. */
  cameras: Row[];
  sopFiles: Row[];
  clips: Row[];
  violations: Row[];
  reviews: Row[];
  reviewItems: Row[];
  evidence: Row[];
  notifications: Row[];
  audit: Row[];
}

export interface StoreFiles {
  /** Clip files as stored by the upload route. */
  clipPaths: string[];
  clipIds: string[];
  /** Evidence files, relative to the data directory. */
  evidencePaths: string[];
  /** Live cameras' newest pictures (faces blurred), relative to the data directory. */
  snapshotPaths: string[];
}

export interface StoreDeletion {
  cameras: number;
  sopFiles: number;
  clips: number;
  violations: number;
  reviews: number;
  reviewItems: number;
  evidence: number;
  notifications: number;
}

export class StoreDataRepository {
  constructor(private readonly db: Queryable) {}

  async exists(storeId: string): Promise<boolean> {
    const r = await this.db.query('SELECT 1 FROM stores WHERE id = $1', [storeId]);
    return r.rows.length > 0;
  }

  async read(storeId: string): Promise<StoreData | undefined> {
    const q = async (sql: string): Promise<Row[]> => (await this.db.query(sql, [storeId])).rows;
    const [store] = await q('SELECT * FROM stores WHERE id = $1');
    if (store === undefined) return undefined;
    return {
      store,
      cameras: await q('SELECT id, store_id, name, tags, created_at FROM cameras WHERE store_id = $1 ORDER BY name'),
      sopFiles: await q('SELECT id, store_id, sop_id, version, yaml, enabled, shadow, camera_ids, created_at FROM sop_files WHERE store_id = $1 ORDER BY sop_id, version'),
      clips: await q('SELECT id, store_id, camera_id, filename, bytes, status, error, frames, sha256, created_at, finished_at FROM clips WHERE store_id = $1 ORDER BY created_at, id'),
      violations: await q('SELECT * FROM violations WHERE store_id = $1 ORDER BY created_at, id'),
      reviews: await q(`SELECT r.* FROM reviews r JOIN violations v ON v.id = r.violation_id WHERE v.store_id = $1 ORDER BY r.at, r.id`),
      reviewItems: await q('SELECT * FROM review_items WHERE store_id = $1 ORDER BY created_at, id'),
      evidence: await q(`SELECT e.* FROM evidence e JOIN violations v ON v.id = e.violation_id WHERE v.store_id = $1 ORDER BY e.path`),
      notifications: await q('SELECT id, channel, kind, status, attempts, violation_id, payload, created_at, sent_at, last_error FROM notifications WHERE store_id = $1 ORDER BY created_at, id'),
      audit: await q('SELECT * FROM audit_log WHERE store_id = $1 ORDER BY id'),
    };
  }

  /** The files a deletion must remove. */
  async files(storeId: string): Promise<StoreFiles> {
    const clips = await this.db.query('SELECT id, path FROM clips WHERE store_id = $1', [storeId]);
    const evidence = await this.db.query(
      'SELECT e.path FROM evidence e JOIN violations v ON v.id = e.violation_id WHERE v.store_id = $1', [storeId],
    );
    const clipIdsOfViolations = await this.db.query('SELECT DISTINCT clip_id FROM violations WHERE store_id = $1 AND clip_id IS NOT NULL', [storeId]);
    const clipIds = new Set([...clips.rows.map((r) => r.id as string), ...clipIdsOfViolations.rows.map((r) => r.clip_id as string)]);
    // camera_status arrives with schema v4 (live cameras); looked up by name so this keeps working without it.
    const hasStatus = await this.db.query(`SELECT to_regclass('camera_status') IS NOT NULL AS present`);
    const snapshots = hasStatus.rows[0]?.present === true
      ? (await this.db.query('SELECT snapshot_path FROM camera_status WHERE store_id = $1 AND snapshot_path IS NOT NULL', [storeId])).rows
      : [];
    return {
      clipPaths: clips.rows.map((r) => r.path as string), clipIds: [...clipIds], evidencePaths: evidence.rows.map((r) => r.path as string),
      snapshotPaths: snapshots.map((r) => r.snapshot_path as string),
    };
  }

  async analysingClips(storeId: string): Promise<number> {
    const r = await this.db.query(`SELECT count(*)::integer AS n FROM clips WHERE store_id = $1 AND status = 'analysing'`, [storeId]);
    return Number(r.rows[0]?.n ?? 0);
  }

  /**
   * Removes the store and every row that belongs to it (foreign keys cascade from the store); model-call costs stay,
   * without the store. Run in a transaction; returns what was counted just before.
   */
  async delete(storeId: string): Promise<StoreDeletion> {
    const count = async (sql: string): Promise<number> => Number((await this.db.query(sql, [storeId])).rows[0]?.n ?? 0);
    const counts: StoreDeletion = {
      cameras: await count('SELECT count(*)::integer AS n FROM cameras WHERE store_id = $1'),
      sopFiles: await count('SELECT count(*)::integer AS n FROM sop_files WHERE store_id = $1'),
      clips: await count('SELECT count(*)::integer AS n FROM clips WHERE store_id = $1'),
      violations: await count('SELECT count(*)::integer AS n FROM violations WHERE store_id = $1'),
      reviews: await count('SELECT count(*)::integer AS n FROM reviews r JOIN violations v ON v.id = r.violation_id WHERE v.store_id = $1'),
      reviewItems: await count('SELECT count(*)::integer AS n FROM review_items WHERE store_id = $1'),
      evidence: await count('SELECT count(*)::integer AS n FROM evidence e JOIN violations v ON v.id = e.violation_id WHERE v.store_id = $1'),
      notifications: await count('SELECT count(*)::integer AS n FROM notifications WHERE store_id = $1'),
    };
    // Violations first: review_items and notifications point at them, and the store cascade order is not ours to pick.
    await this.db.query('DELETE FROM violations WHERE store_id = $1', [storeId]);
    await this.db.query('DELETE FROM stores WHERE id = $1', [storeId]);
    return counts;
  }
}
