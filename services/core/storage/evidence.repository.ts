// Evidence files of violations (keyframes, faces blurred): one row per file, written idempotently by the analysis job.
import type { Queryable } from './database.ts';

export interface EvidenceFile {
  violationId: string;
  /** Relative to the data directory: `evidence/<clipId>/<name>.jpg`. */
  path: string;
  kind: string;
  bytes: number;
}

export class EvidenceRepository {
  constructor(private readonly db: Queryable) {}

  /** Records a file; recording the same path again (a re-run) refreshes its size. */
  async record(file: EvidenceFile): Promise<void> {
    await this.db.query(
      `INSERT INTO evidence (violation_id, path, kind, bytes) VALUES ($1, $2, $3, $4)
       ON CONFLICT (violation_id, path) DO UPDATE SET bytes = EXCLUDED.bytes`,
      [file.violationId, file.path, file.kind, file.bytes],
    );
  }

  /** The stored path of a violation's file whose last segment is `name`, if the violation has one. */
  async find(violationId: string, name: string): Promise<EvidenceFile | undefined> {
    const r = await this.db.query('SELECT * FROM evidence WHERE violation_id = $1 ORDER BY path', [violationId]);
    const row = r.rows.find((x) => (x.path as string).split('/').pop() === name);
    if (row === undefined) return undefined;
    return { violationId, path: row.path as string, kind: row.kind as string, bytes: Number(row.bytes) };
  }

  /** A violation's files of one kind (`video`, `video-meta`), oldest path first. */
  async ofKind(violationId: string, kind: string): Promise<EvidenceFile[]> {
    const r = await this.db.query('SELECT * FROM evidence WHERE violation_id = $1 AND kind = $2 ORDER BY path', [violationId, kind]);
    return r.rows.map((row) => ({ violationId, path: row.path as string, kind, bytes: Number(row.bytes) }));
  }
}
