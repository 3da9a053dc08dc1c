// What the live worker reads to know what to watch: every camera with its stream settings, and the enabled SOP files.
import type { Queryable } from './database.ts';
import type { StoredSop } from './sop-files.repository.ts';

/** A camera row with what the live worker needs to watch it. */
export interface LiveCameraRow {
  id: string;
  storeId: string;
  name: string;
  host: string | null;
  tags: string[];
  /** Stream and snapshot settings (the cameras.yaml keys but id, tags and host); credentials by env var name only. */
  config: Record<string, unknown>;
}

/** An enabled SOP file version, with its compiled form. */
export interface EnabledSop {
  storeId: string;
  sopId: string;
  version: number;
  /** Null: every camera of the store the file names; otherwise only these camera row ids. */
  cameraIds: string[] | null;
  compiled: StoredSop;
}

export class LiveCameraRepository {
  constructor(private readonly db: Queryable) {}

  /** Every camera of every store (the worker decides which ones it can watch). */
  async cameras(): Promise<LiveCameraRow[]> {
    const r = await this.db.query('SELECT id, store_id, name, host, tags, config FROM cameras ORDER BY store_id, name');
    return r.rows.map((row) => ({
      id: row.id as string,
      storeId: row.store_id as string,
      name: row.name as string,
      host: (row.host as string | null) ?? null,
      tags: (row.tags as string[] | null) ?? [],
      config: (row.config as Record<string, unknown> | null) ?? {},
    }));
  }

  /** The enabled version of every SOP id of every store. */
  async enabledSops(): Promise<EnabledSop[]> {
    const r = await this.db.query('SELECT store_id, sop_id, version, camera_ids, compiled FROM sop_files WHERE enabled ORDER BY store_id, sop_id');
    return r.rows.map((row) => ({
      storeId: row.store_id as string,
      sopId: row.sop_id as string,
      version: Number(row.version),
      cameraIds: (row.camera_ids as string[] | null) ?? null,
      compiled: row.compiled as StoredSop,
    }));
  }

  async streamConfig(cameraId: string, storeId: string): Promise<{ host: string | null; config: Record<string, unknown> } | undefined> {
    const r = await this.db.query('SELECT host, config FROM cameras WHERE id = $1 AND store_id = $2', [cameraId, storeId]);
    const row = r.rows[0];
    return row === undefined ? undefined : { host: (row.host as string | null) ?? null, config: (row.config as Record<string, unknown> | null) ?? {} };
  }

  /** Replaces the camera's host and stream settings; false when the camera is not in the store. */
  async setStreamConfig(cameraId: string, storeId: string, host: string | null, config: Record<string, unknown>): Promise<boolean> {
    const r = await this.db.query('UPDATE cameras SET host = $3, config = $4::jsonb WHERE id = $1 AND store_id = $2', [cameraId, storeId, host, JSON.stringify(config)]);
    return r.rowCount > 0;
  }
}
