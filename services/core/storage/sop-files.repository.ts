// SOP files per store, versioned: each upload of an SOP id is a new version; one version per id is enabled.
import type { Database, Row } from './database.ts';
import { NotFoundError } from './storage-errors.ts';

export interface SopFileRecord {
  /** Row id of this version. */
  id: string;
  storeId: string;
  sopId: string;
  version: number;
  title: string;
  /** `title_zh` of the file, when given. */
  titleZh: string | null;
  enabled: boolean;
  /** NULL: every camera of the store the file names; otherwise only these camera ids. */
  cameraIds: string[] | null;
  createdAt: Date;
}

/** What storage needs to know of a compiled SOP (rules/compiled.ts CompiledSop); the rest is kept as JSON. */
export interface StoredSop {
  id: string;
  title: string;
  cameras: readonly string[];
}

export interface SopFileWithBody extends SopFileRecord {
  yaml: string;
  compiled: StoredSop;
}

export interface Enablement {
  enabled: boolean;
  /** Which version; default the newest. */
  version?: number;
  /** Absent: unchanged; null: every camera the file names. */
  cameraIds?: readonly string[] | null;
}

/** Whether an enabled file applies to a camera: chosen for it (or for every camera) and naming it, or `*`. */
export function sopAppliesTo(file: { cameraIds: readonly string[] | null; compiled: { cameras: readonly string[] } }, camera: { id: string; name: string }): boolean {
  return (file.cameraIds === null || file.cameraIds.includes(camera.id)) && file.compiled.cameras.some((c) => c === '*' || c === camera.name);
}

function toRecord(r: Row): SopFileRecord {
  const compiled = r.compiled as { title?: unknown; titleZh?: unknown } | null;
  return {
    id: r.id as string,
    storeId: r.store_id as string,
    sopId: r.sop_id as string,
    version: Number(r.version),
    title: typeof compiled?.title === 'string' ? compiled.title : (r.sop_id as string),
    titleZh: typeof compiled?.titleZh === 'string' ? compiled.titleZh : null,
    enabled: Boolean(r.enabled),
    cameraIds: (r.camera_ids as string[] | null) ?? null,
    createdAt: r.created_at as Date,
  };
}

function withBody(r: Row): SopFileWithBody {
  return { ...toRecord(r), yaml: r.yaml as string, compiled: r.compiled as StoredSop };
}

export class SopFileRepository {
  constructor(private readonly db: Database) {}

  /**
   * Stores a new version (previous newest + 1) and makes it the enabled one, keeping the camera choice of the
   * version it replaces. Runs in one transaction with a row lock, so two uploads cannot take the same number.
   */
  async addVersion(storeId: string, sopId: string, yaml: string, compiled: StoredSop): Promise<SopFileRecord> {
    return this.db.transaction(async (tx) => {
      await tx.query('SELECT id FROM stores WHERE id = $1 FOR UPDATE', [storeId]);
      const prev = await tx.query(
        'SELECT version, camera_ids, enabled FROM sop_files WHERE store_id = $1 AND sop_id = $2 ORDER BY version DESC',
        [storeId, sopId],
      );
      const newest = prev.rows[0];
      const enabledRow = prev.rows.find((row) => row.enabled === true);
      await tx.query('UPDATE sop_files SET enabled = false WHERE store_id = $1 AND sop_id = $2 AND enabled', [storeId, sopId]);
      const r = await tx.query(
        `INSERT INTO sop_files (store_id, sop_id, version, yaml, compiled, enabled, camera_ids)
         VALUES ($1, $2, $3, $4, $5::jsonb, true, $6::text[]) RETURNING *`,
        [storeId, sopId, newest === undefined ? 1 : Number(newest.version) + 1, yaml, JSON.stringify(compiled), enabledRow?.camera_ids ?? null],
      );
      return toRecord(r.rows[0] as Row);
    });
  }

  /** The newest version of every SOP id of the stores, plus the enabled one where it differs. */
  async list(storeIds: readonly string[]): Promise<SopFileRecord[]> {
    const r = await this.db.query(
      `SELECT f.* FROM sop_files f
        WHERE f.store_id = ANY($1::text[])
          AND (f.enabled OR f.version = (SELECT max(version) FROM sop_files g WHERE g.store_id = f.store_id AND g.sop_id = f.sop_id))
        ORDER BY f.store_id, f.sop_id, f.version DESC`,
      [storeIds],
    );
    return r.rows.map(toRecord);
  }

  async versions(storeId: string, sopId: string): Promise<SopFileRecord[]> {
    const r = await this.db.query('SELECT * FROM sop_files WHERE store_id = $1 AND sop_id = $2 ORDER BY version DESC', [storeId, sopId]);
    return r.rows.map(toRecord);
  }

  /** One version with its YAML (default: the newest). */
  async get(storeId: string, sopId: string, version?: number): Promise<SopFileWithBody | undefined> {
    const r = version === undefined
      ? await this.db.query('SELECT * FROM sop_files WHERE store_id = $1 AND sop_id = $2 ORDER BY version DESC LIMIT 1', [storeId, sopId])
      : await this.db.query('SELECT * FROM sop_files WHERE store_id = $1 AND sop_id = $2 AND version = $3', [storeId, sopId, version]);
    return r.rows[0] === undefined ? undefined : withBody(r.rows[0]);
  }

  /** Enables one version (disabling the others) or disables the SOP id altogether. */
  async setEnablement(storeId: string, sopId: string, change: Enablement): Promise<SopFileRecord> {
    return this.db.transaction(async (tx) => {
      const target = change.version === undefined
        ? await tx.query('SELECT * FROM sop_files WHERE store_id = $1 AND sop_id = $2 ORDER BY version DESC LIMIT 1 FOR UPDATE', [storeId, sopId])
        : await tx.query('SELECT * FROM sop_files WHERE store_id = $1 AND sop_id = $2 AND version = $3 FOR UPDATE', [storeId, sopId, change.version]);
      const row = target.rows[0];
      if (row === undefined) throw new NotFoundError(`SOP ${sopId}${change.version === undefined ? '' : ` version ${change.version}`} not found in store ${storeId}`);
      await tx.query('UPDATE sop_files SET enabled = false WHERE store_id = $1 AND sop_id = $2 AND enabled AND id <> $3', [storeId, sopId, row.id]);
      const cameraIds = change.cameraIds === undefined ? (row.camera_ids ?? null) : change.cameraIds;
      const r = await tx.query(
        'UPDATE sop_files SET enabled = $2, camera_ids = $3::text[] WHERE id = $1 RETURNING *',
        [row.id, change.enabled, cameraIds],
      );
      return toRecord(r.rows[0] as Row);
    });
  }

  /** The enabled version uploaded last, in any store (what a worker with no clip analysed yet readies its models for). */
  async newestEnabled(): Promise<SopFileWithBody | undefined> {
    const r = await this.db.query('SELECT * FROM sop_files WHERE enabled ORDER BY created_at DESC, id LIMIT 1');
    return r.rows[0] === undefined ? undefined : withBody(r.rows[0]);
  }

  /** Enabled versions that apply to a camera: chosen for it (or for every camera) and naming it, or `*`. */
  async enabledForCamera(storeId: string, camera: { id: string; name: string }): Promise<SopFileWithBody[]> {
    const r = await this.db.query(
      `SELECT * FROM sop_files WHERE store_id = $1 AND enabled AND (camera_ids IS NULL OR $2 = ANY(camera_ids))
        ORDER BY sop_id`,
      [storeId, camera.id],
    );
    return r.rows.map(withBody).filter((f) => sopAppliesTo(f, camera));
  }
}
