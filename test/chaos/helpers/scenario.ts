// What every chaos scenario shares: the SOP, tiny generated clips, the serve environment and the database checks.
import { expect } from 'vitest';
import { EXPECTED_VIOLATIONS } from './clip-fixture.ts';
import type { PrivatePostgres } from './postgres-server.ts';
import { waitUntil } from './wait.ts';

export { CHAOS_SOP_YAML, EXPECTED_VIOLATIONS, makeClip } from './clip-fixture.ts';

/**
 * The environment of every serve process of a scenario: the private servers, one data directory (a shared volume),
 * short job locks and reconciler intervals, and analysis at 2 fps on one detector thread (2 cores, several processes).
 */
export function serveVars(options: { databaseUrl: string; redisUrl: string; dataDir: string }): Record<string, string> {
  return {
    DATABASE_URL: options.databaseUrl,
    REDIS_URL: options.redisUrl,
    SOPWATCH_DATA_DIR: options.dataDir,
    SOPWATCH_JOB_LOCK_MS: '4000',
    SOPWATCH_JOB_STALLED_CHECK_MS: '2000',
    SOPWATCH_JOB_BACKOFF_MS: '1000',
    SOPWATCH_RECONCILE_IDLE_MS: '8000',
    SOPWATCH_RECONCILE_INTERVAL_MS: '2000',
    SOPWATCH_ANALYSIS_FPS: '2',
    SOPWATCH_DETECTOR_THREADS: '1',
  };
}

export interface ClipRow extends Record<string, unknown> {
  id: string;
  status: string;
  attempts: number;
  error: string | null;
  progress: number;
  /** Wall time of the last run, start to finish; null while unfinished. */
  run_ms: number | null;
}

export async function clipRows(pg: PrivatePostgres): Promise<ClipRow[]> {
  return pg.query<ClipRow>(`SELECT id, status, attempts, error, progress::float AS progress,
            round(extract(epoch FROM finished_at - started_at) * 1000)::int AS run_ms FROM clips ORDER BY created_at`);
}

/** Waits until every clip is done; a clip that failed ends the wait at once with its error. */
export async function waitAllDone(pg: PrivatePostgres, clipIds: readonly string[], timeoutMs: number, explain: () => string = () => ''): Promise<ClipRow[]> {
  let rows: ClipRow[] = [];
  try {
    await waitUntil(`${clipIds.length} clips to be done`, timeoutMs, async () => {
      rows = (await clipRows(pg)).filter((r) => clipIds.includes(r.id));
      const failed = rows.find((r) => r.status === 'failed');
      if (failed !== undefined) throw new Error(`clip ${failed.id} failed: ${failed.error ?? ''}`);
      return rows.length === clipIds.length && rows.every((r) => r.status === 'done');
    }, 500);
  } catch (err) {
    throw new Error(`${(err as Error).message}\nclips: ${JSON.stringify(rows)}\n${explain()}`);
  }
  return rows;
}

/**
 * The database holds one set of results per clip: each clip done, exactly the expected violations, no two rows for
 * the same (clip, rule, start), one evidence row per file, one review item per engine id.
 */
export async function expectOneSetOfResults(pg: PrivatePostgres, clipIds: readonly string[]): Promise<void> {
  const clips = (await clipRows(pg)).filter((r) => clipIds.includes(r.id));
  expect(clips).toHaveLength(clipIds.length);
  for (const c of clips) expect({ id: c.id, status: c.status, progress: c.progress }).toEqual({ id: c.id, status: 'done', progress: 1 });
  const violations = await pg.query<{ id: string; clip_id: string; rule: string; kind: string; start_s: number }>(
    'SELECT id, clip_id, rule, kind, start_s::float AS start_s FROM violations WHERE clip_id = ANY($1::text[])', [clipIds],
  );
  for (const id of clipIds) {
    const mine = violations.filter((v) => v.clip_id === id);
    expect(mine.map((v) => `${v.rule}:${v.kind}`).sort(), `violations of clip ${id}`).toEqual(EXPECTED_VIOLATIONS);
  }
  const byStart = await pg.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM violations WHERE clip_id = ANY($1::text[]) GROUP BY clip_id, rule, start_s HAVING count(*) > 1', [clipIds],
  );
  expect(byStart, 'violations duplicated by (clip, rule, start)').toEqual([]);
  expect(new Set(violations.map((v) => v.id)).size).toBe(violations.length);
  const evidence = await pg.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM evidence e JOIN violations v ON v.id = e.violation_id
      WHERE v.clip_id = ANY($1::text[]) GROUP BY e.violation_id, e.path HAVING count(*) > 1`, [clipIds],
  );
  expect(evidence, 'evidence rows duplicated').toEqual([]);
  const perViolation = await pg.query<{ n: number }>(
    `SELECT count(e.path)::int AS n FROM violations v LEFT JOIN evidence e ON e.violation_id = v.id
      WHERE v.clip_id = ANY($1::text[]) GROUP BY v.id`, [clipIds],
  );
  for (const row of perViolation) expect(row.n, 'every violation keeps its evidence').toBeGreaterThan(0);
}
