// One storage suite run against both backends: embedded PGlite (in memory) and a real PostgreSQL in a fresh schema.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ViolationKind, type Violation } from '../../services/core/contracts.ts';
import {
  AuditRepository,
  ClipRepository,
  DatabaseLockedError,
  InvalidTransitionError,
  MigrationError,
  NotFoundError,
  ViolationRepository,
  migrate,
  migrations,
  openDatabase,
  openPglite,
  openPostgres,
  type Database,
} from '../../services/core/storage/index.ts';

const PG_URL = 'postgres://postgres@127.0.0.1:5432/test';
const V1_TABLES = [
  'audit_log', 'budget_reservations', 'camera_status', 'camera_unmonitored', 'cameras', 'clip_labels', 'clips', 'evidence', 'model_calls', 'notifications', 'review_items',
  'reviews', 'schema_migrations', 'sessions', 'sop_files', 'stores', 'user_stores', 'users', 'violations',
];

function schemaName(): string {
  return `sw_${randomBytes(5).toString('hex')}`;
}

/** A fresh PostgreSQL schema, dropped by the returned function; nothing outside it is touched. */
async function freshSchema(): Promise<{ schema: string; drop: () => Promise<void> }> {
  const admin = openPostgres({ url: PG_URL, max: 1 });
  const schema = schemaName();
  await admin.exec(`CREATE SCHEMA ${schema}`);
  return {
    schema,
    drop: async () => {
      await admin.exec(`DROP SCHEMA ${schema} CASCADE`);
      await admin.close();
    },
  };
}

interface Backend {
  name: 'pglite' | 'postgres';
  open(): Promise<{ db: Database; cleanup: () => Promise<void> }>;
}

const backends: Backend[] = [
  {
    name: 'pglite',
    open: async () => {
      const db = await openPglite();
      return { db, cleanup: () => db.close() };
    },
  },
  {
    name: 'postgres',
    open: async () => {
      const { schema, drop } = await freshSchema();
      const db = openPostgres({ url: PG_URL, schema });
      return { db, cleanup: async () => { await db.close(); await drop(); } };
    },
  },
];

function engineViolation(over: Partial<Violation> = {}): Violation {
  return {
    id: 'espresso-bar/shot-sequence/missing_step/tamp/p:3/12500',
    sop: 'espresso-bar',
    rule: 'shot-sequence',
    step: 'tamp',
    kind: ViolationKind.MissingStep,
    cameraId: 'bar-1',
    startMs: 12_500,
    endMs: 31_000,
    severity: 'medium',
    message: 'tamp was not seen',
    decidedBy: 'detector',
    confidence: 0.8,
    evidence: ['kf-1'],
    subject: 'p:3',
    ...over,
  };
}

describe.each(backends)('storage on $name', (backend) => {
  let db: Database;
  let cleanup: () => Promise<void>;
  let storeA: string;
  let storeB: string;

  beforeAll(async () => {
    ({ db, cleanup } = await backend.open());
  });
  afterAll(async () => {
    await cleanup();
  });

  it('applies the migrations once, and re-applying is a no-op', async () => {
    const first = await migrate(db);
    expect(first).toEqual({ applied: migrations.map((m) => m.version), version: migrations.at(-1)?.version });
    const again = await migrate(db);
    expect(again).toEqual({ applied: [], version: migrations.at(-1)?.version });
    const rows = await db.query<{ n: number }>('SELECT count(*) AS n FROM schema_migrations');
    expect(rows.rows[0]?.n).toBe(migrations.length);
    const tables = await db.query<{ table_name: string }>(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() ORDER BY table_name`,
    );
    expect(tables.rows.map((r) => r.table_name)).toEqual(V1_TABLES);

    const a = await db.query<{ id: string }>(`INSERT INTO stores (name) VALUES ('Store A') RETURNING id`);
    const b = await db.query<{ id: string }>(`INSERT INTO stores (name) VALUES ('Store B') RETURNING id`);
    storeA = a.rows[0]?.id ?? '';
    storeB = b.rows[0]?.id ?? '';
  });

  it('refuses a migration edited after it was applied, and a schema newer than the build', async () => {
    const edited = migrations.map((m) => ({ ...m, sql: `${m.sql}\n-- edited` }));
    await expect(migrate(db, edited)).rejects.toThrow(MigrationError);
    await expect(migrate(db, edited)).rejects.toThrow(/changed after it was applied/);
    await expect(migrate(db, [])).rejects.toThrow(/newer than this build/);
  });

  it('rolls a failed transaction back', async () => {
    await expect(db.transaction(async (tx) => {
      await tx.query(`INSERT INTO stores (id, name) VALUES ('rolled-back', 'x')`);
      throw new Error('boom');
    })).rejects.toThrow('boom');
    const r = await db.query(`SELECT 1 FROM stores WHERE id = 'rolled-back'`);
    expect(r.rowCount).toBe(0);
  });

  it('upserting the same violation twice keeps one row, refreshed, and never undoes a review', async () => {
    const clips = new ClipRepository(db);
    const repo = new ViolationRepository(db);
    const clip = await clips.create({ storeId: storeA, filename: 'bar.mp4', path: '/data/clips/bar.mp4', bytes: 5_000_000_000 });
    expect(clip.bytes).toBe(5_000_000_000);

    const first = await repo.upsert({ storeId: storeA, clipId: clip.id, sopVersion: 2, violation: engineViolation() });
    expect(first.created).toBe(true);
    expect(first.violation).toMatchObject({ startS: 12.5, endS: 31, startAt: null, status: 'open', evidence: ['kf-1'] });
    const second = await repo.upsert({
      storeId: storeA, clipId: clip.id, sopVersion: 2,
      violation: engineViolation({ endMs: 40_000, message: 'tamp was not seen (longer)', evidence: ['kf-1', 'kf-2'] }),
    });
    expect(second.created).toBe(false);
    expect(second.violation.id).toBe(first.violation.id);
    expect(second.violation).toMatchObject({ endS: 40, message: 'tamp was not seen (longer)', evidence: ['kf-1', 'kf-2'] });
    const count = await db.query<{ n: number }>('SELECT count(*) AS n FROM violations WHERE clip_id = $1', [clip.id]);
    expect(count.rows[0]?.n).toBe(1);

    const user = await db.query<{ id: string }>(`INSERT INTO users (email, password_hash, role) VALUES ('m@x.test', 'h', 'manager') RETURNING id`);
    const reviewed = await repo.review({ violationId: first.violation.id, userId: user.rows[0]?.id ?? '', decision: 'confirmed', reasonCode: 'seen' });
    expect(reviewed.status).toBe('confirmed');
    const third = await repo.upsert({ storeId: storeA, clipId: clip.id, violation: engineViolation({ message: 'again' }) });
    expect(third.violation).toMatchObject({ status: 'confirmed', message: 'again' });
    const reviews = await db.query('SELECT * FROM reviews WHERE violation_id = $1', [first.violation.id]);
    expect(reviews.rowCount).toBe(1);
  });

  it('stores live-camera violations with wall-clock times and lists them only within the asked stores', async () => {
    const repo = new ViolationRepository(db);
    const startMs = Date.UTC(2026, 0, 5, 8, 0, 0);
    const live = engineViolation({ id: `espresso-bar/no-phone/forbidden/-/o:7/${startMs}`, kind: ViolationKind.Forbidden, startMs, endMs: startMs + 20_000 });
    const inA = await repo.upsert({ storeId: storeA, violation: live, status: 'needs_review' });
    // Same camera name and engine id in another store: a different row, never a collision.
    const inB = await repo.upsert({ storeId: storeB, violation: live });
    expect(inA.violation.id).not.toBe(inB.violation.id);
    expect(inA.violation.startAt?.getTime()).toBe(startMs);
    expect(inA.violation.startS).toBeNull();

    const listA = await repo.list({ storeIds: [storeA], status: 'needs_review' });
    expect(listA.map((v) => v.id)).toEqual([inA.violation.id]);
    const listB = await repo.list({ storeIds: [storeB] });
    expect(listB.map((v) => v.id)).toEqual([inB.violation.id]);
    expect(await repo.get(inA.violation.id, [storeB])).toBeUndefined();
    expect((await repo.get(inA.violation.id, [storeA]))?.kind).toBe('forbidden');
    await expect(repo.setStatus('no-such-violation', 'dismissed')).rejects.toThrow(NotFoundError);
  });

  it('moves clips through their status machine and refuses impossible moves', async () => {
    const clips = new ClipRepository(db);
    const clip = await clips.create({ storeId: storeB, filename: 'line.mp4', path: '/data/clips/line.mp4', bytes: 1234, sha256: 'a'.repeat(64) });
    expect(clip).toMatchObject({ status: 'accepted', progress: 0, attempts: 0 });
    expect((await clips.startAnalysis(clip.id)).attempts).toBe(1);
    expect(await clips.setProgress(clip.id, 0.5)).toBe(true);
    expect((await clips.get(clip.id))?.progress).toBe(0.5);
    const done = await clips.finish(clip.id);
    expect(done).toMatchObject({ status: 'done', progress: 1 });
    expect(done.finishedAt).toBeInstanceOf(Date);
    expect(await clips.setProgress(clip.id, 0.2)).toBe(false);
    await expect(clips.fail(clip.id, 'late')).rejects.toThrow(InvalidTransitionError);
    await expect(clips.requeue(clip.id)).rejects.toThrow(/is done; it cannot become accepted/);
    // Re-analysis of a finished clip is allowed and counted.
    expect((await clips.startAnalysis(clip.id)).attempts).toBe(2);
    const failed = await clips.fail(clip.id, 'decoder error');
    expect(failed).toMatchObject({ status: 'failed', error: 'decoder error' });
    await expect(clips.finish('no-such-clip')).rejects.toThrow(NotFoundError);

    expect((await clips.list({ storeIds: [storeB], status: ['failed'] })).map((c) => c.id)).toEqual([clip.id]);
    expect((await clips.list({ storeIds: [storeB], status: 'done' }))).toEqual([]);
    expect((await clips.list({ storeIds: [storeA] })).some((c) => c.id === clip.id)).toBe(false);
    expect(await clips.get(clip.id, [storeA])).toBeUndefined();
    await clips.requeue(clip.id);
    const stale = await clips.listUnfinished(0);
    expect(stale.map((c) => c.id)).toContain(clip.id);
    expect(await clips.listUnfinished(60_000)).toEqual([]);
  });

  it('keeps audit_log append-only: UPDATE, DELETE and TRUNCATE are refused', async () => {
    const audit = new AuditRepository(db);
    const entry = await audit.append({ actor: 'u1', storeId: storeA, action: 'evidence.view', target: 'ev-1', detail: { why: 'review' } });
    await expect(db.query(`UPDATE audit_log SET actor = 'someone else' WHERE id = $1`, [entry.id])).rejects.toMatchObject({
      code: '42501',
      message: expect.stringMatching(/append-only: UPDATE refused/),
    });
    await expect(db.query('DELETE FROM audit_log WHERE id = $1', [entry.id])).rejects.toThrow(/append-only: DELETE refused/);
    await expect(db.exec('TRUNCATE audit_log')).rejects.toThrow(/append-only: TRUNCATE refused/);
    const rows = await audit.list([storeA]);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ actor: 'u1', action: 'evidence.view', detail: { why: 'review' } });
  });
});

describe('postgres: concurrent migrators', () => {
  it('three processes migrating one schema at once all succeed, and the schema is built once', async () => {
    const { schema, drop } = await freshSchema();
    const dbs = [0, 1, 2].map(() => openPostgres({ url: PG_URL, schema, max: 1 }));
    try {
      const results = await Promise.all(dbs.map((d) => migrate(d)));
      const applied = results.map((r) => r.applied);
      expect(applied.filter((a) => a.length > 0)).toEqual([migrations.map((m) => m.version)]);
      expect(applied.filter((a) => a.length === 0)).toHaveLength(2);
      const rows = await dbs[0]!.query<{ n: number }>('SELECT count(*) AS n FROM schema_migrations');
      expect(rows.rows[0]?.n).toBe(migrations.length);
    } finally {
      await Promise.all(dbs.map((d) => d.close()));
      await drop();
    }
  });
});

const pgliteModule = resolve(import.meta.dirname, '../../services/core/storage/pglite.database.ts');

/** A child process that opens the directory and, if allowed, writes a row and waits to be killed. */
function childOpen(dir: string): { child: ChildProcess; firstLine: Promise<string> } {
  const code = `
    const { openPglite } = await import(${JSON.stringify(pgliteModule)});
    try {
      const db = await openPglite({ dir: ${JSON.stringify(dir)} });
      await db.exec("CREATE TABLE IF NOT EXISTS owner (pid int); INSERT INTO owner VALUES (" + process.pid + ")");
      console.log('OPEN ' + process.pid);
      setInterval(() => {}, 1000);
    } catch (err) {
      console.log('REFUSED ' + err.name + ': ' + err.message);
      process.exit(3);
    }`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  const firstLine = new Promise<string>((resolveLine, reject) => {
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const nl = out.indexOf('\n');
      if (nl >= 0) resolveLine(out.slice(0, nl));
    });
    child.on('exit', (codeNum) => reject(new Error(`child exited (${codeNum}) before a line: ${out}`)));
  });
  return { child, firstLine };
}

describe('pglite: one owner per data directory', () => {
  let root: string;
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'sw-pglite-'));
  });
  afterAll(() => {
    rmSync(root, { recursive: true, force: true });
  });

  it('refuses a second open in the same process, and allows it after close', async () => {
    const dir = join(root, 'same-process', 'db');
    const first = await openPglite({ dir });
    try {
      const err = await openPglite({ dir }).then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(DatabaseLockedError);
      expect((err as Error).message).toMatch(new RegExp(`process ${process.pid} on host .* this process already has it open`));
    } finally {
      await first.close();
    }
    const second = await openPglite({ dir });
    await second.close();
  });

  it('openDatabase migrates an on-disk database once; a restart finds it current', async () => {
    const dir = join(root, 'restart', 'db');
    const first = await openDatabase({ dir });
    await first.exec(`INSERT INTO stores (id, name) VALUES ('kept', 'Kept')`);
    await first.close();
    const again = await openDatabase({ dir });
    try {
      expect(await migrate(again)).toEqual({ applied: [], version: migrations.at(-1)?.version });
      expect((await again.query(`SELECT name FROM stores WHERE id = 'kept'`)).rows).toEqual([{ name: 'Kept' }]);
      await expect(openDatabase({ dir })).rejects.toThrow(DatabaseLockedError);
    } finally {
      await again.close();
    }
  });

  it('refuses a child process while this process owns the directory', async () => {
    const dir = join(root, 'parent-owns', 'db');
    const db = await openPglite({ dir });
    try {
      const { child, firstLine } = childOpen(dir);
      const line = await firstLine;
      expect(line).toMatch(new RegExp(`^REFUSED DatabaseLockedError: .*in use by process ${process.pid} on host`));
      await new Promise((r) => child.once('exit', r));
      expect(child.exitCode).toBe(3);
    } finally {
      await db.close();
    }
  });

  it('refuses this process while a child owns it, and takes over the lock once the child is killed', async () => {
    const dir = join(root, 'child-owns', 'db');
    const { child, firstLine } = childOpen(dir);
    const line = await firstLine;
    expect(line).toMatch(/^OPEN \d+$/);
    const childPid = Number(line.split(' ')[1]);
    try {
      await expect(openPglite({ dir })).rejects.toThrow(new RegExp(`in use by process ${childPid} on host`));
    } finally {
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
    }
    // The lock file is still there, but its owner is dead on this host: it is stale.
    const db = await openPglite({ dir });
    try {
      const r = await db.query<{ pid: number }>('SELECT pid FROM owner');
      expect(r.rows.map((x) => x.pid)).toEqual([childPid]);
    } finally {
      await db.close();
    }
  });
});
