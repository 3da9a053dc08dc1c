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
  /** Stream and snapshot settings (the cameras.yaml keys but id, tags, host and passwordEnv); no password in it. */
  config: Record<string, unknown>;
  /** The camera's password, sealed (services/core/secrets.ts, context `cameraPasswordContext(id)`); null: none. */
  passwordSealed: string | null;
}

/** What a sealed camera password is bound to: a sealed value copied to another camera's row does not open. */
export const cameraPasswordContext = (cameraId: string): string => `camera-password:${cameraId}`;

/** How a save treats the stored password: keep it, or replace it (null clears it). */
export type PasswordChange = 'keep' | { sealed: string | null };

/** An enabled SOP file version, with its compiled form. */
export interface EnabledSop {
  storeId: string;
  sopId: string;
  version: number;
  /** Null: every camera of the store the file names; otherwise only these camera row ids. */
  cameraIds: string[] | null;
  compiled: StoredSop;
}

function toRow(row: Record<string, unknown>): LiveCameraRow {
  return {
    id: row.id as string,
    storeId: row.store_id as string,
    name: row.name as string,
    host: (row.host as string | null) ?? null,
    tags: (row.tags as string[] | null) ?? [],
    config: (row.config as Record<string, unknown> | null) ?? {},
    passwordSealed: (row.password_sealed as string | null) ?? null,
  };
}

export class LiveCameraRepository {
  constructor(private readonly db: Queryable) {}

  /** One camera of a store as the worker reads it (for a connection test), or undefined when it is not in the store. */
  async camera(cameraId: string, storeId: string): Promise<LiveCameraRow | undefined> {
    const r = await this.db.query('SELECT id, store_id, name, host, tags, config, password_sealed FROM cameras WHERE id = $1 AND store_id = $2', [cameraId, storeId]);
    return r.rows.map(toRow)[0];
  }

  /** Every camera of every store (the worker decides which ones it can watch). */
  async cameras(): Promise<LiveCameraRow[]> {
    const r = await this.db.query('SELECT id, store_id, name, host, tags, config, password_sealed FROM cameras ORDER BY store_id, name');
    return r.rows.map(toRow);
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

  /** The camera's stream settings and whether it has a password (never the password, not even sealed). */
  async streamConfig(cameraId: string, storeId: string): Promise<{ host: string | null; config: Record<string, unknown>; hasPassword: boolean } | undefined> {
    const r = await this.db.query('SELECT host, config, password_sealed IS NOT NULL AS has_password FROM cameras WHERE id = $1 AND store_id = $2', [cameraId, storeId]);
    const row = r.rows[0];
    return row === undefined
      ? undefined
      : { host: (row.host as string | null) ?? null, config: (row.config as Record<string, unknown> | null) ?? {}, hasPassword: row.has_password === true };
  }

  /** Replaces the camera's host and stream settings, and its password unless `password` is 'keep'; false when the camera is not in the store. */
  async setStreamConfig(cameraId: string, storeId: string, host: string | null, config: Record<string, unknown>, password: PasswordChange = 'keep'): Promise<boolean> {
    const r = password === 'keep'
      ? await this.db.query('UPDATE cameras SET host = $3, config = $4::jsonb WHERE id = $1 AND store_id = $2', [cameraId, storeId, host, JSON.stringify(config)])
      : await this.db.query('UPDATE cameras SET host = $3, config = $4::jsonb, password_sealed = $5 WHERE id = $1 AND store_id = $2', [cameraId, storeId, host, JSON.stringify(config), password.sealed]);
    return r.rowCount > 0;
  }
}
