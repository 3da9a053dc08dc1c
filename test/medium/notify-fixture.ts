// Shared by the notify and privacy tests: both database backends (PGlite in memory, PostgreSQL in a fresh schema),
// stores and cameras, violations at chosen times, and a notify config built through the real schema.
import { randomBytes } from 'node:crypto';
import { configFromObject, type NotifyConfig } from '../../services/core/config.ts';
import { ViolationKind, type Severity, type Violation } from '../../services/core/contracts.ts';
import type { JobQueue } from '../../services/core/queue/index.ts';
import { ViolationRepository, migrate, openPglite, openPostgres, type Database } from '../../services/core/storage/index.ts';
import { CameraRepository } from '../../services/core/storage/cameras.repository.ts';
import { StoreRepository } from '../../services/core/storage/stores.repository.ts';

export const PG_URL = 'postgres://postgres@127.0.0.1:5432/test';

export interface Backend {
  name: 'pglite' | 'postgres';
  open(): Promise<{ db: Database; schema?: string; cleanup: () => Promise<void> }>;
}

export const backends: Backend[] = [
  {
    name: 'pglite',
    open: async () => {
      const db = await openPglite({ template: true });
      await migrate(db);
      return { db, cleanup: () => db.close() };
    },
  },
  {
    name: 'postgres',
    open: async () => {
      const admin = openPostgres({ url: PG_URL, max: 1 });
      const schema = `sw_${randomBytes(5).toString('hex')}`;
      await admin.exec(`CREATE SCHEMA ${schema}`);
      const db = openPostgres({ url: PG_URL, schema });
      await migrate(db);
      return {
        db, schema,
        cleanup: async () => {
          await db.close();
          await admin.exec(`DROP SCHEMA ${schema} CASCADE`);
          await admin.close();
        },
      };
    },
  },
];

export interface Seeded {
  storeId: string;
  cameraIds: Record<string, string>;
}

export async function seedStore(db: Database, name: string, cameras: string[] = ['bar-1', 'bar-2'], tz = 'Asia/Shanghai'): Promise<Seeded> {
  const store = await new StoreRepository(db).create({ name, franchise: 'F1', tz });
  const cameraIds: Record<string, string> = {};
  for (const c of cameras) cameraIds[c] = (await new CameraRepository(db).create({ storeId: store.id, name: c })).id;
  return { storeId: store.id, cameraIds };
}

let counter = 0;

/** A live-camera violation recorded at `createdAtMs` (the row's created_at is set to it). */
export async function addViolation(
  db: Database, storeId: string, cameraId: string,
  over: { rule?: string; severity?: Severity; createdAtMs?: number; status?: 'open' | 'needs_review'; step?: string } = {},
): Promise<string> {
  counter += 1;
  const startMs = over.createdAtMs ?? Date.now();
  const v: Violation = {
    id: `espresso-bar/${over.rule ?? 'shot-sequence'}/missing_step/tamp/p:${counter}/${startMs}`,
    sop: 'espresso-bar', rule: over.rule ?? 'shot-sequence', step: over.step ?? 'tamp', kind: ViolationKind.MissingStep, cameraId,
    startMs, endMs: startMs + 5_000, severity: over.severity ?? 'medium', message: 'tamp was not seen before the shot',
    decidedBy: 'detector', confidence: 0.9, evidence: [], subject: `p:${counter}`,
  };
  const { violation } = await new ViolationRepository(db).upsert({ storeId, violation: v, ...(over.status === undefined ? {} : { status: over.status }) });
  if (over.createdAtMs !== undefined) await db.query('UPDATE violations SET created_at = $2 WHERE id = $1', [violation.id, new Date(over.createdAtMs)]);
  return violation.id;
}

export function notifyConfig(notify: Record<string, unknown>): NotifyConfig {
  return configFromObject({ notify }).notify;
}

/** Waits until the queue has nothing waiting, running or delayed. */
export async function drain(queue: JobQueue, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const c = await queue.counts();
    if (c.waiting + c.active + c.delayed === 0) return;
    if (Date.now() > deadline) throw new Error(`queue not drained: ${JSON.stringify(c)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A clock the test moves by hand. */
export function manualClock(startMs = Date.now()): { now: () => number; set: (ms: number) => void; advance: (ms: number) => void } {
  let t = startMs;
  return { now: () => t, set: (ms) => { t = ms; }, advance: (ms) => { t += ms; } };
}
