// `sopwatch store export|delete` as a user runs it: a child process on the embedded database of a temporary data
// directory, seeded through `sopwatch user add` and the repositories; the bundle is written, deletion needs --yes,
// and after it the store's rows and files are gone while the audit log keeps every row plus the deletion entry.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditRepository, openDatabase, type Database } from '../../services/core/storage/index.ts';
import { CameraRepository } from '../../services/core/storage/cameras.repository.ts';
import type { ExportManifest } from '../../services/privacy/index.ts';
import { addClip } from './privacy-fixture.ts';

const run = promisify(execFile);
const BIN = join(import.meta.dirname, '..', '..', 'bin', 'sopwatch.mjs');

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

async function sopwatch(dataDir: string, args: string[]): Promise<Outcome> {
  const envVars: NodeJS.ProcessEnv = { ...process.env, SOPWATCH_DATA_DIR: dataDir };
  delete envVars.DATABASE_URL;
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], { env: envVars, timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

async function withDb<T>(dataDir: string, fn: (db: Database) => Promise<T>): Promise<T> {
  const db = await openDatabase({ dir: join(dataDir, 'db') });
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}

describe('sopwatch store export|delete (child process, embedded database)', () => {
  let dataDir: string;
  let storeId: string;
  let auditBefore: number;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'sw-store-cli-'));
    const added = await sopwatch(dataDir, ['user', 'add', '--email', 'owner@x.test', '--role', 'owner', '--franchise', 'F1', '--store', 'Main St']);
    expect(added.code, added.stderr).toBe(0);
    storeId = /created store Main St \(([^)]+)\)/.exec(added.stdout)?.[1] as string;
    expect(storeId).toBeTruthy();
    auditBefore = await withDb(dataDir, async (db) => {
      const camera = await new CameraRepository(db).create({ storeId, name: 'bar-1' });
      await addClip(db, dataDir, storeId, camera.id, { id: 'clip1', ageDays: 1, violations: [{ engineId: 'e1', file: 'k1.jpg', ageDays: 1 }] }, Date.now());
      await new AuditRepository(db).append({ actor: 'someone', storeId, action: 'evidence.view', target: 'x' });
      return Number((await db.query<{ n: number }>('SELECT count(*)::integer AS n FROM audit_log')).rows[0]?.n);
    });
  }, 120_000);
  afterAll(() => {
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('export writes the bundle with a manifest of the store', async () => {
    const out = join(dataDir, 'export-1');
    const r = await sopwatch(dataDir, ['store', 'export', '--store', storeId, '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`exported store ${storeId}`);
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as ExportManifest;
    expect(manifest.storeId).toBe(storeId);
    expect(manifest.counts).toMatchObject({ cameras: 1, clips: 1, violations: 1, evidence: 1 });
    expect(manifest.files.some((f) => f.path.startsWith('evidence/'))).toBe(true);
    // A second export to the same folder is refused, not merged.
    const again = await sopwatch(dataDir, ['store', 'export', '--store', storeId, '--out', out]);
    expect(again.code).toBe(2);
  }, 60_000);

  it('delete without --yes refuses and leaves the data', async () => {
    const r = await sopwatch(dataDir, ['store', 'delete', '--store', storeId]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--yes');
    expect(existsSync(join(dataDir, 'clips', 'clip1.mp4'))).toBe(true);
    await withDb(dataDir, async (db) => {
      expect((await db.query('SELECT id FROM stores WHERE id = $1', [storeId])).rows).toHaveLength(1);
    });
  }, 60_000);

  it('delete removes the data; the audit log keeps its rows plus the deletion entry by cli', async () => {
    const r = await sopwatch(dataDir, ['store', 'delete', '--store', storeId, '--yes', '--reason', 'store closed']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`deleted store ${storeId}`);
    expect(existsSync(join(dataDir, 'clips', 'clip1.mp4'))).toBe(false);
    expect(existsSync(join(dataDir, 'evidence', 'clip1', 'k1.jpg'))).toBe(false);
    await withDb(dataDir, async (db) => {
      expect((await db.query('SELECT id FROM stores WHERE id = $1', [storeId])).rows).toHaveLength(0);
      expect((await db.query('SELECT id FROM clips WHERE store_id = $1', [storeId])).rows).toHaveLength(0);
      expect((await db.query('SELECT id FROM violations WHERE store_id = $1', [storeId])).rows).toHaveLength(0);
      const audit = await db.query<{ actor: string; action: string; detail: { reason?: string } }>('SELECT actor, action, detail FROM audit_log ORDER BY id');
      // Before: the seeded rows; the export added one; the deletion adds one.
      expect(audit.rows).toHaveLength(auditBefore + 2);
      expect(audit.rows.some((a) => a.action === 'evidence.view')).toBe(true);
      const last = audit.rows[audit.rows.length - 1];
      expect(last).toMatchObject({ actor: 'cli', action: 'privacy.store.delete', detail: { reason: 'store closed' } });
    });
  }, 60_000);

  it('says clearly when another process holds the embedded database', async () => {
    const db = await openDatabase({ dir: join(dataDir, 'db') });
    try {
      const r = await sopwatch(dataDir, ['store', 'export', '--store', storeId, '--out', join(dataDir, 'export-2')]);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain('sopwatch serve');
    } finally {
      await db.close();
    }
  }, 60_000);
});
