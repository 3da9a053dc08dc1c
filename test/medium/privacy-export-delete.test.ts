// Export of one store's data and its deletion on request, on both databases with real files: the bundle holds that
// store's data and nobody else's; deletion removes rows and files, and the audit log keeps every row plus one more.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditRepository, ClipRepository, NotFoundError, type Database } from '../../services/core/storage/index.ts';
import { NotificationRepository } from '../../services/core/storage/notifications.repository.ts';
import { deleteStoreData, exportStore, ExportTargetExistsError, StoreBusyError, type ExportManifest } from '../../services/privacy/index.ts';
import { backends, seedStore } from './notify-fixture.ts';
import { addClip } from './privacy-fixture.ts';

function listFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name).slice(dir.length + 1)).sort();
}

describe.each(backends)('store export and deletion on $name', (backend) => {
  let db: Database;
  let cleanup: () => Promise<void>;
  let dataDir: string;
  let outRoot: string;
  let a: { storeId: string; cameraIds: Record<string, string> };
  let b: { storeId: string; cameraIds: Record<string, string> };
  let aViolations: string[];
  let bViolations: string[];
  let user: string;

  beforeAll(async () => {
    ({ db, cleanup } = await backend.open());
    dataDir = mkdtempSync(join(tmpdir(), 'sw-privacy-'));
    outRoot = mkdtempSync(join(tmpdir(), 'sw-export-'));
    const now = Date.now();
    user = (await db.query<{ id: string }>(`INSERT INTO users (email, password_hash, role) VALUES ('mgr@x.test', 'x', 'manager') RETURNING id`)).rows[0]?.id as string;
    a = await seedStore(db, 'Alpha Roasters', ['bar-1']);
    b = await seedStore(db, 'Beta Bakery', ['oven-1']);
    await db.query('UPDATE cameras SET host = $2 WHERE id = $1', [a.cameraIds['bar-1'], 'rtsp://admin:hunter2@10.0.0.5/stream']);
    await db.query('INSERT INTO user_stores (user_id, store_id) VALUES ($1, $2), ($1, $3)', [user, a.storeId, b.storeId]);
    aViolations = await addClip(db, dataDir, a.storeId, a.cameraIds['bar-1'] as string, { id: 'clipA1', ageDays: 1, derived: ['timeline.jpg'], violations: [{ engineId: 'ea1', file: 'a1.jpg', ageDays: 1, reviewedBy: user }, { engineId: 'ea2', file: 'a2.jpg', ageDays: 1 }] }, now);
    bViolations = await addClip(db, dataDir, b.storeId, b.cameraIds['oven-1'] as string, { id: 'clipB1', ageDays: 1, derived: ['timeline.jpg'], violations: [{ engineId: 'eb1', file: 'b1.jpg', ageDays: 1 }] }, now);
    for (const [store, sop] of [[a.storeId, 'espresso-alpha'], [b.storeId, 'oven-beta']] as const) {
      await db.query(`INSERT INTO sop_files (store_id, sop_id, version, yaml, compiled) VALUES ($1, $2, 1, $3, '{}')`, [store, sop, `id: ${sop}\nversion: 1\n`]);
    }
    const audit = new AuditRepository(db);
    await audit.append({ actor: user, storeId: a.storeId, action: 'evidence.view', target: aViolations[0] });
    await audit.append({ actor: user, storeId: b.storeId, action: 'evidence.view', target: bViolations[0] });
    await new NotificationRepository(db).add({ storeId: a.storeId, channel: 'ops', kind: 'violation', payload: { hello: 'alpha' }, dedupeKey: `violation:${aViolations[0]}:ops`, violationId: aViolations[0], createdAtMs: now });
    // A live camera's newest picture (schema v4): a file the deletion must find through camera_status.
    for (const [store, cam] of [[a.storeId, a.cameraIds['bar-1']], [b.storeId, b.cameraIds['oven-1']]] as const) {
      mkdirSync(join(dataDir, 'snapshots'), { recursive: true });
      writeFileSync(join(dataDir, 'snapshots', `${cam}.jpg`), 'jpeg');
      await db.query(`INSERT INTO camera_status (camera_id, store_id, state, snapshot_path) VALUES ($1, $2, 'online', $3)`, [cam, store, `snapshots/${cam}.jpg`]);
    }
    await db.query(`INSERT INTO model_calls (store_id, provider, model, cost_usd) VALUES ($1, 'local', 'qwen', 0.01)`, [a.storeId]);
  });
  afterAll(async () => {
    await cleanup();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(outRoot, { recursive: true, force: true });
  });

  it('exports one store: its rows, evidence images and SOP files, a verifiable manifest, and nothing of another store', async () => {
    const out = join(outRoot, `alpha-${backend.name}`);
    const manifest = await exportStore({ db, dataDir }, { storeId: a.storeId, outDir: out, actor: user });
    expect(manifest.counts).toEqual({ cameras: 1, sopFiles: 1, clips: 1, violations: 2, reviews: 1, reviewItems: 0, evidence: 2, notifications: 1, audit: 1 });
    expect(manifest.missing).toEqual([]);
    const files = listFiles(out);
    expect(files.filter((f) => !f.includes('/'))).toEqual([
      'README.txt', 'audit-log.json', 'cameras.json', 'clips.json', 'evidence.json', 'manifest.json', 'notifications.json', 'review-items.json',
      'reviews.json', 'sop-files.json', 'store.json', 'violations.json',
    ]);
    expect(files.filter((f) => f.startsWith('evidence/'))).toHaveLength(2);
    expect(files.some((f) => f.endsWith('.mp4'))).toBe(false);
    expect(readFileSync(join(out, files.find((f) => f.startsWith('sop-files/')) as string), 'utf8')).toBe('id: espresso-alpha\nversion: 1\n');

    // Every listed file is there with the recorded hash; every file but the manifest is listed.
    const onDisk = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as ExportManifest;
    for (const f of onDisk.files) expect(createHash('sha256').update(readFileSync(join(out, f.path))).digest('hex')).toBe(f.sha256);
    expect(onDisk.files.map((f) => f.path).sort()).toEqual(files.filter((f) => f !== 'manifest.json'));

    const everything = files.map((f) => readFileSync(join(out, f)).toString('latin1')).join('\n');
    for (const foreign of [b.storeId, 'Beta Bakery', 'oven-beta', 'clipB1', ...bViolations]) expect(everything).not.toContain(foreign);
    expect(everything).not.toContain('hunter2');
    const violations = JSON.parse(readFileSync(join(out, 'violations.json'), 'utf8')) as Array<{ id: string; store_id: string }>;
    expect(violations.map((v) => v.id).sort()).toEqual([...aViolations].sort());
    const evidence = JSON.parse(readFileSync(join(out, 'evidence.json'), 'utf8')) as Array<{ path: string; file: string }>;
    expect(evidence.map((e) => readFileSync(join(out, e.file), 'utf8'))).toEqual(['jpeg', 'jpeg']);
    const audit = JSON.parse(readFileSync(join(out, 'audit-log.json'), 'utf8')) as Array<{ action: string }>;
    expect(audit.map((e) => e.action)).toEqual(['evidence.view']);
    // The export itself is audited.
    const trail = await new AuditRepository(db).list([a.storeId]);
    expect(trail[0]).toMatchObject({ action: 'privacy.export', actor: user, detail: { counts: manifest.counts } });

    await expect(exportStore({ db, dataDir }, { storeId: a.storeId, outDir: out, actor: user })).rejects.toThrow(ExportTargetExistsError);
    await expect(exportStore({ db, dataDir }, { storeId: 'nope', outDir: join(outRoot, 'nope'), actor: user })).rejects.toThrow(NotFoundError);
    expect(readdirSync(outRoot).filter((n) => n.includes('.partial-'))).toEqual([]);
  });

  it('deletes one store on request: rows and files gone, the other store intact, the audit log kept with one entry more', async () => {
    const auditBefore = (await db.query(`SELECT id, action FROM audit_log WHERE store_id = $1 ORDER BY id`, [a.storeId])).rows;
    const clips = new ClipRepository(db);
    await clips.startAnalysis('clipA1');
    await expect(deleteStoreData({ db, dataDir }, { storeId: a.storeId, actor: user })).rejects.toThrow(StoreBusyError);
    expect(existsSync(join(dataDir, 'evidence', 'clipA1', 'a1.jpg'))).toBe(true);
    await clips.finish('clipA1');

    const report = await deleteStoreData({ db, dataDir }, { storeId: a.storeId, actor: user, reason: 'store closed, ticket #42' });
    expect(report).toEqual({
      deleted: true, files: 5, refused: [],
      rows: { cameras: 1, sopFiles: 1, clips: 1, violations: 2, reviews: 1, reviewItems: 0, evidence: 2, notifications: 1 },
    });
    expect(existsSync(join(dataDir, 'clips', 'clipA1.mp4'))).toBe(false);
    expect(existsSync(join(dataDir, 'evidence', 'clipA1'))).toBe(false);
    expect(existsSync(join(dataDir, 'clips', 'clipB1.mp4'))).toBe(true);
    expect(listFiles(join(dataDir, 'evidence', 'clipB1'))).toEqual(['b1.jpg', 'timeline.jpg']);
    expect(listFiles(join(dataDir, 'snapshots'))).toEqual([`${b.cameraIds['oven-1']}.jpg`]);

    for (const table of ['stores', 'cameras', 'sop_files', 'clips', 'violations', 'review_items', 'notifications', 'budget_reservations', 'user_stores', 'camera_status']) {
      const column = table === 'stores' ? 'id' : 'store_id';
      expect([table, (await db.query(`SELECT 1 FROM ${table} WHERE ${column} = $1`, [a.storeId])).rowCount]).toEqual([table, 0]);
    }
    expect((await db.query('SELECT 1 FROM evidence WHERE violation_id = ANY($1::text[])', [aViolations])).rowCount).toBe(0);
    expect((await db.query('SELECT 1 FROM reviews WHERE violation_id = ANY($1::text[])', [aViolations])).rowCount).toBe(0);
    expect((await db.query('SELECT store_id FROM model_calls')).rows).toEqual([{ store_id: null }]);
    expect((await db.query('SELECT 1 FROM users WHERE id = $1', [user])).rowCount).toBe(1);
    expect((await db.query('SELECT 1 FROM violations WHERE store_id = $1', [b.storeId])).rowCount).toBe(1);
    expect((await db.query('SELECT 1 FROM user_stores WHERE store_id = $1', [b.storeId])).rowCount).toBe(1);

    const auditAfter = (await db.query(`SELECT id, action, actor, detail FROM audit_log WHERE store_id = $1 ORDER BY id`, [a.storeId])).rows;
    expect(auditAfter.slice(0, -1).map((r) => ({ id: r.id, action: r.action }))).toEqual(auditBefore);
    expect(auditAfter[auditAfter.length - 1]).toMatchObject({ action: 'privacy.store.delete', actor: user, detail: { violations: 2, files: 5, reason: 'store closed, ticket #42' } });
    await expect(db.query('DELETE FROM audit_log WHERE store_id = $1', [a.storeId])).rejects.toThrow(/append-only/);

    // Asked again: nothing left, nothing done, nothing audited.
    expect(await deleteStoreData({ db, dataDir }, { storeId: a.storeId, actor: user })).toEqual({ deleted: false, files: 0, refused: [] });
    expect((await db.query(`SELECT 1 FROM audit_log WHERE store_id = $1`, [a.storeId])).rowCount).toBe(auditAfter.length);
  });
});
