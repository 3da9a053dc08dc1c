// Stores of a franchise: create, read and list, always within the stores a caller may see.
import type { Queryable, Row } from './database.ts';

export interface Store {
  id: string;
  name: string;
  franchise: string | null;
  /** IANA time zone: report days are the store's local days. */
  tz: string;
  retentionDays: number;
  /** Privacy setting: false forbids cutting, keeping and serving video around alerts. */
  keepVideo: boolean;
  /** Privacy setting: true lets an owner download the original clips (faces not blurred). Default false. */
  allowClipExport: boolean;
  createdAt: Date;
}

export interface NewStore {
  name: string;
  franchise: string;
  tz?: string;
  retentionDays?: number;
  keepVideo?: boolean;
}

function toStore(r: Row): Store {
  return {
    id: r.id as string,
    name: r.name as string,
    franchise: (r.franchise as string | null) ?? null,
    tz: r.tz as string,
    retentionDays: Number(r.retention_days),
    keepVideo: r.keep_video !== false,
    allowClipExport: r.allow_clip_export === true,
    createdAt: r.created_at as Date,
  };
}

export class StoreRepository {
  constructor(private readonly db: Queryable) {}

  async create(input: NewStore): Promise<Store> {
    const r = await this.db.query(
      'INSERT INTO stores (name, franchise, tz, retention_days, keep_video) VALUES ($1, $2, $3, $4, $5) RETURNING *',
      [input.name, input.franchise, input.tz ?? 'UTC', input.retentionDays ?? 3, input.keepVideo ?? true],
    );
    return toStore(r.rows[0] as Row);
  }

  /** The store, or undefined when it does not exist or is not among `storeIds`. */
  async get(id: string, storeIds?: readonly string[]): Promise<Store | undefined> {
    const r = storeIds === undefined
      ? await this.db.query('SELECT * FROM stores WHERE id = $1', [id])
      : await this.db.query('SELECT * FROM stores WHERE id = $1 AND id = ANY($2::text[])', [id, storeIds]);
    return r.rows[0] === undefined ? undefined : toStore(r.rows[0]);
  }

  async list(storeIds: readonly string[]): Promise<Store[]> {
    const r = await this.db.query('SELECT * FROM stores WHERE id = ANY($1::text[]) ORDER BY name, id', [storeIds]);
    return r.rows.map(toStore);
  }

  /** A franchise's store by id or by name (the CLI accepts either). */
  async findInFranchise(franchise: string, idOrName: string): Promise<Store | undefined> {
    const r = await this.db.query(
      'SELECT * FROM stores WHERE franchise = $1 AND (id = $2 OR name = $2) ORDER BY (id = $2) DESC LIMIT 1',
      [franchise, idOrName],
    );
    return r.rows[0] === undefined ? undefined : toStore(r.rows[0]);
  }

  /** Changes the privacy settings given; undefined when the store does not exist. */
  async setPrivacy(id: string, change: { keepVideo?: boolean; allowClipExport?: boolean }): Promise<Store | undefined> {
    const r = await this.db.query(
      'UPDATE stores SET keep_video = COALESCE($2, keep_video), allow_clip_export = COALESCE($3, allow_clip_export) WHERE id = $1 RETURNING *',
      [id, change.keepVideo ?? null, change.allowClipExport ?? null],
    );
    return r.rows[0] === undefined ? undefined : toStore(r.rows[0]);
  }

  /** Turns video around alerts on or off; false when the store does not exist. */
  async setKeepVideo(id: string, keepVideo: boolean): Promise<boolean> {
    const r = await this.db.query('UPDATE stores SET keep_video = $2 WHERE id = $1 RETURNING id', [id, keepVideo]);
    return r.rows.length > 0;
  }
}
