// Uploaded clips: create, read, list within a caller's stores, and the status machine of their analysis.
import type { Queryable, Row } from './database.ts';
import { InvalidTransitionError, NotFoundError } from './storage-errors.ts';

export type ClipStatus = 'accepted' | 'analysing' | 'done' | 'failed';

export interface Clip {
  id: string;
  storeId: string;
  cameraId: string | null;
  filename: string;
  path: string;
  bytes: number;
  status: ClipStatus;
  /** 0..1 while analysing; 1 when done. */
  progress: number;
  error: string | null;
  startedAt: Date | null;
  finishedAt: Date | null;
  /** Analysis runs started, counting re-runs after a crash. */
  attempts: number;
  sha256: string | null;
  createdAt: Date;
  updatedAt: Date;
  /** Wall-clock instant of the first frame, when the file or the uploader said. */
  recordedAt: Date | null;
  recordedAtSource: RecordedAtSource | null;
  /** Stretches of the clip (seconds) that could not be analysed: never compliance. */
  notAnalysed: NotAnalysedSpan[];
}

export type RecordedAtSource = 'recorder_header' | 'file_name' | 'container' | 'form' | 'cli';

export interface NotAnalysedSpan {
  start: number;
  end: number;
  reason: string;
}

export interface NewClip {
  /** Chosen by the caller when the file is already stored under it; otherwise generated. */
  id?: string;
  storeId: string;
  cameraId?: string;
  filename: string;
  path: string;
  bytes: number;
  sha256?: string;
  recordedAt?: Date;
  recordedAtSource?: RecordedAtSource;
}

export interface ClipFilter {
  /** The stores the caller may see; required so no list can leak across stores. */
  storeIds: readonly string[];
  status?: ClipStatus | readonly ClipStatus[];
  cameraId?: string;
  createdBefore?: Date;
  /** Default 50, at most 500. */
  limit?: number;
}

/** Which statuses each status may be entered from. */
const enterableFrom: Record<ClipStatus, readonly ClipStatus[]> = {
  // Back to the queue: a retry, or an operator re-submitting a failed clip.
  accepted: ['analysing', 'failed'],
  // analysing -> analysing: delivery is at-least-once, a job whose worker died runs again.
  analysing: ['accepted', 'analysing', 'done', 'failed'],
  done: ['analysing'],
  failed: ['accepted', 'analysing'],
};

function toClip(r: Row): Clip {
  return {
    id: r.id as string,
    storeId: r.store_id as string,
    cameraId: (r.camera_id as string | null) ?? null,
    filename: r.filename as string,
    path: r.path as string,
    bytes: Number(r.bytes),
    status: r.status as ClipStatus,
    progress: Number(r.progress),
    error: (r.error as string | null) ?? null,
    startedAt: (r.started_at as Date | null) ?? null,
    finishedAt: (r.finished_at as Date | null) ?? null,
    attempts: Number(r.attempts),
    sha256: (r.sha256 as string | null) ?? null,
    createdAt: r.created_at as Date,
    updatedAt: r.updated_at as Date,
    recordedAt: (r.recorded_at as Date | null) ?? null,
    recordedAtSource: (r.recorded_at_source as RecordedAtSource | null) ?? null,
    notAnalysed: Array.isArray(r.not_analysed) ? (r.not_analysed as NotAnalysedSpan[]) : [],
  };
}

function asList<T>(v: T | readonly T[] | undefined): readonly T[] | undefined {
  if (v === undefined) return undefined;
  return Array.isArray(v) ? (v as readonly T[]) : [v as T];
}

export class ClipRepository {
  constructor(private readonly db: Queryable) {}

  async create(input: NewClip): Promise<Clip> {
    const r = await this.db.query(
      `INSERT INTO clips (id, store_id, camera_id, filename, path, bytes, sha256, recorded_at, recorded_at_source)
       VALUES (COALESCE($1, gen_random_uuid()::text), $2, $3, $4, $5, $6, $7, $8, $9) RETURNING *`,
      [
        input.id ?? null, input.storeId, input.cameraId ?? null, input.filename, input.path, input.bytes, input.sha256 ?? null,
        input.recordedAt ?? null, input.recordedAt === undefined ? null : (input.recordedAtSource ?? null),
      ],
    );
    return toClip(r.rows[0] as Row);
  }

  /**
   * A clip registered while its upload arrived (no hash then) is complete: its hash, and its size as it ended up.
   * Nothing else changes (the analysis may be running).
   */
  async setReceived(id: string, bytes: number, sha256: string | null): Promise<void> {
    await this.db.query('UPDATE clips SET bytes = $2, sha256 = COALESCE($3, sha256), updated_at = now() WHERE id = $1', [id, bytes, sha256]);
  }

  /** The stretches an analysis could not cover (a damaged middle); replaced on each run. */
  async setNotAnalysed(id: string, spans: readonly NotAnalysedSpan[]): Promise<void> {
    await this.db.query('UPDATE clips SET not_analysed = $2::jsonb, updated_at = now() WHERE id = $1', [id, JSON.stringify(spans)]);
  }

  /** The clip, or undefined when it does not exist or (with `storeIds`) belongs to another store. */
  async get(id: string, storeIds?: readonly string[]): Promise<Clip | undefined> {
    const r = storeIds === undefined
      ? await this.db.query('SELECT * FROM clips WHERE id = $1', [id])
      : await this.db.query('SELECT * FROM clips WHERE id = $1 AND store_id = ANY($2::text[])', [id, storeIds]);
    return r.rows[0] === undefined ? undefined : toClip(r.rows[0]);
  }

  /** Newest first. */
  async list(filter: ClipFilter): Promise<Clip[]> {
    const where = ['store_id = ANY($1::text[])'];
    const params: unknown[] = [filter.storeIds];
    const statuses = asList(filter.status);
    if (statuses !== undefined) where.push(`status = ANY($${params.push(statuses)}::text[])`);
    if (filter.cameraId !== undefined) where.push(`camera_id = $${params.push(filter.cameraId)}`);
    if (filter.createdBefore !== undefined) where.push(`created_at < $${params.push(filter.createdBefore)}`);
    const limit = Math.min(Math.max(filter.limit ?? 50, 1), 500);
    const r = await this.db.query(
      `SELECT * FROM clips WHERE ${where.join(' AND ')} ORDER BY created_at DESC, id LIMIT ${limit}`,
      params,
    );
    return r.rows.map(toClip);
  }

  /** The clip whose analysis started last, in any store (a starting worker readies the detector its camera needs). */
  async lastAnalysed(): Promise<Clip | undefined> {
    const r = await this.db.query('SELECT * FROM clips WHERE started_at IS NOT NULL AND camera_id IS NOT NULL ORDER BY started_at DESC LIMIT 1');
    return r.rows[0] === undefined ? undefined : toClip(r.rows[0]);
  }

  /** Clips not finished and untouched for `idleMs`: the reconciler queues them again (Redis may have lost them). */
  async listUnfinished(idleMs: number, limit = 100): Promise<Clip[]> {
    const r = await this.db.query(
      `SELECT * FROM clips WHERE status IN ('accepted', 'analysing')
         AND updated_at <= now() - make_interval(secs => $1) ORDER BY updated_at LIMIT $2`,
      [idleMs / 1000, limit],
    );
    return r.rows.map(toClip);
  }

  /** An analysis run starts: counts the attempt and clears the last run's result. */
  async startAnalysis(id: string): Promise<Clip> {
    return this.transition(id, 'analysing', 'attempts = attempts + 1, progress = 0, error = NULL, started_at = now(), finished_at = NULL');
  }

  /** Progress of the running analysis; ignored unless the clip is analysing (a late report from a lost run). */
  async setProgress(id: string, progress: number): Promise<boolean> {
    const p = Math.min(Math.max(progress, 0), 1);
    const r = await this.db.query(
      `UPDATE clips SET progress = $2, updated_at = now() WHERE id = $1 AND status = 'analysing'`,
      [id, p],
    );
    return r.rowCount > 0;
  }

  async finish(id: string): Promise<Clip> {
    return this.transition(id, 'done', 'progress = 1, finished_at = now()');
  }

  async fail(id: string, error: string): Promise<Clip> {
    return this.transition(id, 'failed', 'error = $3, finished_at = now()', [error.slice(0, 2000)]);
  }

  /** Back to the queue (a retry will follow). */
  async requeue(id: string): Promise<Clip> {
    return this.transition(id, 'accepted', 'progress = 0');
  }

  private async transition(id: string, to: ClipStatus, set: string, extra: unknown[] = []): Promise<Clip> {
    const r = await this.db.query(
      `UPDATE clips SET status = '${to}', ${set}, updated_at = now()
       WHERE id = $1 AND status = ANY($2::text[]) RETURNING *`,
      [id, enterableFrom[to], ...extra],
    );
    if (r.rows[0] !== undefined) return toClip(r.rows[0]);
    const now = await this.get(id);
    if (now === undefined) throw new NotFoundError(`clip ${id} not found`);
    throw new InvalidTransitionError(`clip ${id} is ${now.status}; it cannot become ${to}`);
  }
}
