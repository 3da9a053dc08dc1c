// What the compliance score is computed from: the stores' cameras, the live rules that apply to them, the clips analysed,
// the violations (never shadow ones) and the spans cameras were not watched. The arithmetic is in eval/compliance-score.ts.
import type { Queryable } from './database.ts';
import type { ViolationStatus } from './violations.repository.ts';

export interface ScoreStore {
  id: string;
  name: string;
  tz: string;
}

export interface ScoreCamera {
  id: string;
  storeId: string;
  name: string;
  /**
   * It has an address and a worker has reported watching it at least once: from then on every stretch it was not
   * watched is recorded as not monitored, so its other time was watched. A camera never watched has no live checks.
   */
  live: boolean;
  createdAtMs: number;
}

/** One enabled, non-shadow rule of an SOP file's enabled version. */
export interface ScoreRule {
  storeId: string;
  sopId: string;
  rule: string;
  title: string;
  titleZh: string | null;
  /** The SOP's `cameras:` (names, or `*`). */
  cameras: readonly string[];
  /** The cameras the file was chosen for; null: every camera it names. */
  cameraIds: readonly string[] | null;
  /** When the store's first version of this SOP file was added: nothing before was checked by it. */
  sinceMs: number;
}

export interface ScoreClip {
  id: string;
  storeId: string;
  cameraId: string;
  /** When the clip came in: the time base of its violations (violations.repository.ts EVENT_AT). */
  atMs: number;
}

export interface ScoreViolation {
  storeId: string;
  cameraId: string;
  /** Set for an uploaded clip's violation. */
  clipId: string | null;
  sopId: string;
  rule: string;
  status: ViolationStatus;
  /** Wall-clock start of a live camera's violation; null for clips. */
  startMs: number | null;
}

export interface ScoreSpan {
  storeId: string;
  cameraId: string;
  startMs: number;
  /** Null while still open. */
  endMs: number | null;
}

export interface ComplianceFacts {
  stores: ScoreStore[];
  cameras: ScoreCamera[];
  rules: ScoreRule[];
  clips: ScoreClip[];
  violations: ScoreViolation[];
  spans: ScoreSpan[];
}

interface CompiledRuleJson {
  id?: unknown;
  title?: unknown;
  titleZh?: unknown;
  enabled?: unknown;
  shadow?: unknown;
}

export class ComplianceFactsRepository {
  constructor(private readonly db: Queryable) {}

  /** Everything of these stores that bears on [from, to): clips analysed then, live violations then, spans overlapping it. */
  async facts(q: { storeIds: readonly string[]; from: Date; to: Date }): Promise<ComplianceFacts> {
    const ids = [q.storeIds];
    const stores = await this.db.query('SELECT id, name, tz FROM stores WHERE id = ANY($1::text[]) ORDER BY name, id', ids);
    const cameras = await this.db.query(
      `SELECT c.id, c.store_id, c.name, c.host, c.created_at,
              EXISTS (SELECT 1 FROM camera_status cs WHERE cs.camera_id = c.id AND cs.reported_at IS NOT NULL) AS watched
         FROM cameras c WHERE c.store_id = ANY($1::text[]) ORDER BY c.name`,
      ids,
    );
    const files = await this.db.query(
      `SELECT f.store_id, f.sop_id, f.compiled, f.camera_ids,
              (SELECT min(g.created_at) FROM sop_files g WHERE g.store_id = f.store_id AND g.sop_id = f.sop_id) AS since
         FROM sop_files f WHERE f.store_id = ANY($1::text[]) AND f.enabled ORDER BY f.store_id, f.sop_id`,
      ids,
    );
    const clips = await this.db.query(
      `SELECT id, store_id, camera_id, created_at FROM clips
        WHERE store_id = ANY($1::text[]) AND status = 'done' AND camera_id IS NOT NULL AND created_at >= $2 AND created_at < $3`,
      [q.storeIds, q.from, q.to],
    );
    const clipIds = clips.rows.map((r) => r.id as string);
    const violations = await this.db.query(
      `SELECT store_id, camera_id, clip_id, sop_id, rule, status, start_at FROM violations
        WHERE store_id = ANY($1::text[]) AND NOT shadow
          AND (clip_id = ANY($4::text[]) OR (clip_id IS NULL AND start_at >= $2 AND start_at < $3))`,
      [q.storeIds, q.from, q.to, clipIds],
    );
    const spans = await this.db.query(
      `SELECT store_id, camera_id, start_at, end_at FROM camera_unmonitored
        WHERE store_id = ANY($1::text[]) AND start_at < $3 AND (end_at IS NULL OR end_at > $2)`,
      [q.storeIds, q.from, q.to],
    );
    const rules: ScoreRule[] = [];
    for (const f of files.rows) {
      const compiled = f.compiled as { cameras?: unknown; rules?: unknown };
      const list = Array.isArray(compiled.rules) ? (compiled.rules as CompiledRuleJson[]) : [];
      for (const r of list) {
        if (typeof r.id !== 'string' || r.enabled === false || r.shadow === true) continue;
        rules.push({
          storeId: f.store_id as string,
          sopId: f.sop_id as string,
          rule: r.id,
          title: typeof r.title === 'string' ? r.title : r.id,
          titleZh: typeof r.titleZh === 'string' ? r.titleZh : null,
          cameras: Array.isArray(compiled.cameras) ? (compiled.cameras as string[]) : [],
          cameraIds: (f.camera_ids as string[] | null) ?? null,
          sinceMs: (f.since as Date).getTime(),
        });
      }
    }
    return {
      stores: stores.rows.map((r) => ({ id: r.id as string, name: r.name as string, tz: r.tz as string })),
      cameras: cameras.rows.map((r) => ({
        id: r.id as string, storeId: r.store_id as string, name: r.name as string, live: r.host !== null && r.watched === true, createdAtMs: (r.created_at as Date).getTime(),
      })),
      rules,
      clips: clips.rows.map((r) => ({ id: r.id as string, storeId: r.store_id as string, cameraId: r.camera_id as string, atMs: (r.created_at as Date).getTime() })),
      violations: violations.rows.map((r) => ({
        storeId: r.store_id as string,
        cameraId: r.camera_id as string,
        clipId: (r.clip_id as string | null) ?? null,
        sopId: r.sop_id as string,
        rule: r.rule as string,
        status: r.status as ViolationStatus,
        startMs: r.start_at === null ? null : (r.start_at as Date).getTime(),
      })),
      spans: spans.rows.map((r) => ({
        storeId: r.store_id as string,
        cameraId: r.camera_id as string,
        startMs: (r.start_at as Date).getTime(),
        endMs: r.end_at === null ? null : (r.end_at as Date).getTime(),
      })),
    };
  }
}
