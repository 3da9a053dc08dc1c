// The health each live camera's worker last reported, read by the API and /metrics, and requests for a fresh snapshot.
import type { Queryable, Row } from './database.ts';

export interface CameraStatusRecord {
  cameraId: string;
  storeId: string;
  workerId: string | null;
  state: string;
  /** The figures of services/ingester CameraHealth and the pipeline's counters, as last reported. */
  health: Record<string, unknown>;
  /** Null when no worker has reported yet. */
  reportedAt: Date | null;
  /** How long ago that was, on the database clock (null: never). */
  ageMs: number | null;
  /** The newest picture, faces blurred, relative to the data directory. */
  snapshotPath: string | null;
  snapshotAt: Date | null;
  snapshotWantedAt: Date | null;
}

export interface StatusReport {
  cameraId: string;
  storeId: string;
  workerId: string;
  state: string;
  health: Record<string, unknown>;
}

const AGE_MS = 'extract(epoch FROM (now() - reported_at)) * 1000 AS age_ms';

function toStatus(r: Row): CameraStatusRecord {
  return {
    cameraId: r.camera_id as string,
    storeId: r.store_id as string,
    workerId: (r.worker_id as string | null) ?? null,
    state: r.state as string,
    health: (r.health as Record<string, unknown> | null) ?? {},
    reportedAt: (r.reported_at as Date | null) ?? null,
    ageMs: r.age_ms === null || r.age_ms === undefined ? null : Math.max(0, Math.round(Number(r.age_ms))),
    snapshotPath: (r.snapshot_path as string | null) ?? null,
    snapshotAt: (r.snapshot_at as Date | null) ?? null,
    snapshotWantedAt: (r.snapshot_wanted_at as Date | null) ?? null,
  };
}

export class CameraStatusRepository {
  constructor(private readonly db: Queryable) {}

  /** Writes the newest health of watched cameras (one statement per camera; a deleted camera is skipped). */
  async report(reports: readonly StatusReport[]): Promise<void> {
    for (const s of reports) {
      await this.db.query(
        `INSERT INTO camera_status (camera_id, store_id, worker_id, state, health, reported_at)
         SELECT $1, $2, $3, $4, $5::jsonb, now() WHERE EXISTS (SELECT 1 FROM cameras WHERE id = $1 AND store_id = $2)
         ON CONFLICT (camera_id) DO UPDATE SET worker_id = EXCLUDED.worker_id, state = EXCLUDED.state,
           health = EXCLUDED.health, reported_at = EXCLUDED.reported_at`,
        [s.cameraId, s.storeId, s.workerId, s.state, JSON.stringify(s.health)],
      );
    }
  }

  async statuses(storeIds: readonly string[]): Promise<CameraStatusRecord[]> {
    const r = await this.db.query(`SELECT *, ${AGE_MS} FROM camera_status WHERE store_id = ANY($1::text[])`, [storeIds]);
    return r.rows.map(toStatus);
  }

  /** Every reported camera, with its store and camera names (for /metrics). */
  async allStatuses(): Promise<Array<CameraStatusRecord & { cameraName: string }>> {
    const r = await this.db.query(`SELECT s.*, ${AGE_MS}, c.name AS camera_name FROM camera_status s JOIN cameras c ON c.id = s.camera_id WHERE s.reported_at IS NOT NULL ORDER BY s.store_id, c.name`);
    return r.rows.map((row) => ({ ...toStatus(row), cameraName: row.camera_name as string }));
  }

  /** The worker stopped watching these cameras: shown as stopped, unless another worker reports them by now. */
  async markStopped(cameraIds: readonly string[], workerId: string): Promise<void> {
    if (cameraIds.length === 0) return;
    await this.db.query(
      `UPDATE camera_status SET state = 'stopped', health = jsonb_set(health, '{state}', '"stopped"'), reported_at = now()
        WHERE camera_id = ANY($1::text[]) AND worker_id = $2`,
      [cameraIds, workerId],
    );
  }

  /** A new picture of the camera was written (path relative to the data directory). */
  async setSnapshot(cameraId: string, storeId: string, path: string, takenAt: Date): Promise<void> {
    await this.db.query('UPDATE camera_status SET snapshot_path = $3, snapshot_at = $4 WHERE camera_id = $1 AND store_id = $2', [cameraId, storeId, path, takenAt]);
  }

  /** Someone looked at the camera's picture: its worker refreshes the snapshot more often for a while. */
  async wantSnapshot(cameraId: string, storeId: string): Promise<void> {
    await this.db.query(
      `INSERT INTO camera_status (camera_id, store_id, state, snapshot_wanted_at) SELECT $1, $2, 'unknown', now()
        WHERE EXISTS (SELECT 1 FROM cameras WHERE id = $1 AND store_id = $2)
       ON CONFLICT (camera_id) DO UPDATE SET snapshot_wanted_at = now()`,
      [cameraId, storeId],
    );
  }

  /** Of these cameras, those whose snapshot was asked for within the last `withinMs` (on the database clock). */
  async snapshotsWanted(cameraIds: readonly string[], withinMs: number): Promise<Set<string>> {
    if (cameraIds.length === 0) return new Set();
    const r = await this.db.query(
      `SELECT camera_id FROM camera_status WHERE camera_id = ANY($1::text[]) AND snapshot_wanted_at >= now() - make_interval(secs => $2::double precision)`,
      [cameraIds, withinMs / 1000],
    );
    return new Set(r.rows.map((row) => row.camera_id as string));
  }
}
