// Cameras of a store. SOP files name cameras by `name` (or a tag); rows and violations use the id.
import type { Queryable, Row } from './database.ts';

export interface Camera {
  id: string;
  storeId: string;
  /** Unique within the store; the camera id SOP files use in `cameras:` and `zones:`. */
  name: string;
  host: string | null;
  tags: string[];
  createdAt: Date;
}

export interface NewCamera {
  storeId: string;
  name: string;
  host?: string;
  tags?: readonly string[];
}

function toCamera(r: Row): Camera {
  return {
    id: r.id as string,
    storeId: r.store_id as string,
    name: r.name as string,
    host: (r.host as string | null) ?? null,
    tags: (r.tags as string[] | null) ?? [],
    createdAt: r.created_at as Date,
  };
}

export class CameraRepository {
  constructor(private readonly db: Queryable) {}

  async create(input: NewCamera): Promise<Camera> {
    const r = await this.db.query(
      'INSERT INTO cameras (store_id, name, host, tags) VALUES ($1, $2, $3, $4::text[]) RETURNING *',
      [input.storeId, input.name, input.host ?? null, input.tags ?? []],
    );
    return toCamera(r.rows[0] as Row);
  }

  /** The camera, or undefined when it does not exist or belongs to a store outside `storeIds`. */
  async get(id: string, storeIds?: readonly string[]): Promise<Camera | undefined> {
    const r = storeIds === undefined
      ? await this.db.query('SELECT * FROM cameras WHERE id = $1', [id])
      : await this.db.query('SELECT * FROM cameras WHERE id = $1 AND store_id = ANY($2::text[])', [id, storeIds]);
    return r.rows[0] === undefined ? undefined : toCamera(r.rows[0]);
  }

  async list(storeIds: readonly string[]): Promise<Camera[]> {
    const r = await this.db.query('SELECT * FROM cameras WHERE store_id = ANY($1::text[]) ORDER BY store_id, name', [storeIds]);
    return r.rows.map(toCamera);
  }

  /** True when a camera was deleted. Clips keep their rows (camera_id becomes NULL). */
  async delete(id: string, storeId: string): Promise<boolean> {
    const r = await this.db.query('DELETE FROM cameras WHERE id = $1 AND store_id = $2', [id, storeId]);
    return r.rowCount > 0;
  }
}
