// The sealed camera passwords as a set, for `sopwatch secrets rotate-key`: read them all, write each re-sealed one.
import type { Queryable } from './database.ts';

export interface SealedCameraPassword {
  cameraId: string;
  sealed: string;
}

export class CameraSecretRepository {
  constructor(private readonly db: Queryable) {}

  /** Every camera that has a password, in a stable order; `FOR UPDATE` inside a transaction holds them. */
  async all(lock = false): Promise<SealedCameraPassword[]> {
    const r = await this.db.query(`SELECT id, password_sealed FROM cameras WHERE password_sealed IS NOT NULL ORDER BY id${lock ? ' FOR UPDATE' : ''}`);
    return r.rows.map((row) => ({ cameraId: row.id as string, sealed: row.password_sealed as string }));
  }

  /** Replaces one sealed value, only if it is still the one that was read. */
  async replace(cameraId: string, was: string, sealed: string): Promise<boolean> {
    const r = await this.db.query('UPDATE cameras SET password_sealed = $3 WHERE id = $1 AND password_sealed = $2', [cameraId, was, sealed]);
    return r.rowCount > 0;
  }
}
