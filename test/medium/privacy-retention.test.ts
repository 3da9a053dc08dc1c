// Retention on both databases with real files: exactly what is older than each store's limits goes (rows and
// files), nothing else; a second sweep is a no-op; the sweep is audited.
import { existsSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobName } from '../../services/core/jobs.ts';
import { InProcessQueue } from '../../services/core/queue/index.ts';
import { ViolationRepository, type Database } from '../../services/core/storage/index.ts';
import { NotificationRepository } from '../../services/core/storage/notifications.repository.ts';
import { RetentionRepository } from '../../services/core/storage/retention.repository.ts';
import { ReviewItemRepository } from '../../services/core/storage/review-items.repository.ts';
import { createRetentionSweepHandler, DAY_MS, retentionJobId, startRetentionSchedule, sweepRetention } from '../../services/privacy/index.ts';
import { backends, drain, seedStore } from './notify-fixture.ts';
import { addClip } from './privacy-fixture.ts';

describe.each(backends)('retention on $name', (backend) => {
  let db: Database;
  let cleanup: () => Promise<void>;
  let dataDir: string;
  let outside: string;

  beforeAll(async () => {
    ({ db, cleanup } = await backend.open());
    dataDir = mkdtempSync(join(tmpdir(), 'sw-retention-'));
    outside = mkdtempSync(join(tmpdir(), 'sw-outside-'));
  });
  afterAll(async () => {
    await cleanup();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(outside, { recursive: true, force: true });
  });

  it('new stores keep footage 7 days and violations 30 by default', async () => {
    const r = await db.query(`INSERT INTO stores (name) VALUES ('Defaults') RETURNING retention_days, violation_retention_days`);
    expect(r.rows[0]).toEqual({ retention_days: 7, violation_retention_days: 30 });
  });

  it('deletes exactly what is past each limit, rows and files, and nothing else; twice in a row is a no-op', async () => {
    const now = Date.now();
    const user = (await db.query<{ id: string }>(`INSERT INTO users (email, password_hash, role) VALUES ('m@x.test', 'x', 'manager') RETURNING id`)).rows[0]?.id as string;
    const a = await seedStore(db, 'Store A', ['bar-1']);
    const b = await seedStore(db, 'Store B', ['bar-1']);
    const retention = new RetentionRepository(db);
    await retention.setPolicy(a.storeId, { footageDays: 7, violationDays: 30 });
    await retention.setPolicy(b.storeId, { footageDays: 60, violationDays: 90 });
    const camA = a.cameraIds['bar-1'] as string;
    const camB = b.cameraIds['bar-1'] as string;

    const [v1] = await addClip(db, dataDir, a.storeId, camA, { id: 'clip1', ageDays: 10, derived: ['timeline.jpg', 'frame-0001.jpg'], violations: [{ engineId: 'e1', file: 'v1.jpg', ageDays: 10 }] }, now);
    await addClip(db, dataDir, a.storeId, camA, { id: 'clip2', ageDays: 2, derived: ['timeline.jpg'] }, now);
    const [v3] = await addClip(db, dataDir, a.storeId, camA, { id: 'clip3', ageDays: 40, derived: ['timeline.jpg'], violations: [{ engineId: 'e3', file: 'v3.jpg', ageDays: 40, reviewedBy: user }] }, now);
    await addClip(db, dataDir, a.storeId, camA, { id: 'clip4', ageDays: 10, status: 'analysing' }, now);
    await addClip(db, dataDir, a.storeId, camA, { id: 'clip5', ageDays: 10, pathOverride: join(outside, 'clip5.mp4') }, now);
    const [vb] = await addClip(db, dataDir, b.storeId, camB, { id: 'clipB', ageDays: 40, derived: ['timeline.jpg'], violations: [{ engineId: 'eb', file: 'vb.jpg', ageDays: 40 }] }, now);

    const items = new ReviewItemRepository(db);
    for (const [engineId, clipId, age] of [['r-old', 'clip3', 40], ['r-new', 'clip1', 10]] as const) {
      await items.upsert({ storeId: a.storeId, cameraId: camA, clipId, engineId, sopId: 'espresso-bar', rule: 'shot-sequence', severity: 'medium', startS: 1, endS: 2, reason: 'unsure' });
      await db.query('UPDATE review_items SET created_at = $2 WHERE id = $1', [`clip/${clipId}/${engineId}`, new Date(now - age * DAY_MS)]);
    }
    const outbox = new NotificationRepository(db);
    await outbox.add({ storeId: a.storeId, channel: 'ops', kind: 'violation', payload: {}, dedupeKey: `violation:${v3}:ops`, violationId: v3, createdAtMs: now - 40 * DAY_MS });
    await outbox.add({ storeId: a.storeId, channel: 'ops', kind: 'digest', payload: {}, dedupeKey: 'digest-old', createdAtMs: now - 40 * DAY_MS });
    await outbox.add({ storeId: a.storeId, channel: 'ops', kind: 'digest', payload: {}, dedupeKey: 'digest-new', createdAtMs: now - DAY_MS });
    mkdirSync(join(dataDir, 'clips', '.incoming'), { recursive: true });
    writeFileSync(join(dataDir, 'clips', '.incoming', 'dead.part'), 'x');
    utimesSync(join(dataDir, 'clips', '.incoming', 'dead.part'), new Date(now - 2 * DAY_MS), new Date(now - 2 * DAY_MS));
    writeFileSync(join(dataDir, 'clips', '.incoming', 'live.part'), 'x');

    const result = await sweepRetention({ db, dataDir, clock: () => now, batchSize: 2 });
    const sweptA = result.stores.find((s) => s.storeId === a.storeId);
    expect(sweptA).toEqual({
      storeId: a.storeId, clips: 3, clipFiles: 2, derivedFiles: 3, violations: 1, evidenceFiles: 1, reviewItems: 1, notifications: 1,
      refused: [join(outside, 'clip5.mp4')],
    });
    expect(result.stores.find((s) => s.storeId === b.storeId)).toMatchObject({ clips: 0, violations: 0, clipFiles: 0, evidenceFiles: 0 });
    expect(result.partialUploads).toBe(1);

    const exists = (rel: string): boolean => existsSync(join(dataDir, rel));
    expect({
      clip1: exists('clips/clip1.mp4'), clip1Timeline: exists('evidence/clip1/timeline.jpg'), clip1Frame: exists('evidence/clip1/frame-0001.jpg'),
      v1Evidence: exists('evidence/clip1/v1.jpg'), clip2: exists('clips/clip2.mp4'), clip2Timeline: exists('evidence/clip2/timeline.jpg'),
      clip3: exists('clips/clip3.mp4'), clip3Dir: exists('evidence/clip3'), clip4: exists('clips/clip4.mp4'), clip5Outside: existsSync(join(outside, 'clip5.mp4')),
      clipB: exists('clips/clipB.mp4'), vbEvidence: exists('evidence/clipB/vb.jpg'), bTimeline: exists('evidence/clipB/timeline.jpg'),
      deadPart: exists('clips/.incoming/dead.part'), livePart: exists('clips/.incoming/live.part'),
    }).toEqual({
      clip1: false, clip1Timeline: false, clip1Frame: false, v1Evidence: true, clip2: true, clip2Timeline: true, clip3: false, clip3Dir: false,
      clip4: true, clip5Outside: true, clipB: true, vbEvidence: true, bTimeline: true, deadPart: false, livePart: true,
    });
    const ids = async (sql: string): Promise<string[]> => (await db.query(sql)).rows.map((r) => String(Object.values(r)[0])).sort();
    expect(await ids('SELECT id FROM clips')).toEqual(['clip2', 'clip4', 'clipB']);
    expect(await ids('SELECT id FROM violations')).toEqual([v1, vb].sort());
    expect((await new ViolationRepository(db).get(v1 as string))?.clipId).toBeNull();
    expect(await ids('SELECT path FROM evidence')).toEqual(['evidence/clip1/v1.jpg', 'evidence/clipB/vb.jpg']);
    expect(await ids('SELECT violation_id FROM reviews')).toEqual([]);
    expect(await ids('SELECT id FROM review_items')).toEqual(['clip/clip1/r-new']);
    expect(await ids(`SELECT dedupe_key FROM notifications WHERE store_id = '${a.storeId}'`)).toEqual(['digest-new']);
    const audit = await db.query(`SELECT store_id, actor, action, detail FROM audit_log WHERE action = 'retention.sweep'`);
    expect(audit.rows).toHaveLength(1);
    expect(audit.rows[0]).toMatchObject({ store_id: a.storeId, actor: 'system:retention', detail: { clips: 3, violations: 1, footageDays: 7, violationDays: 30 } });

    // Run as the job, twice: nothing more to delete, nothing audited.
    const queue = new InProcessQueue();
    queue.process(JobName.RetentionSweep, createRetentionSweepHandler({ db, dataDir, clock: () => now }));
    await queue.add(JobName.RetentionSweep, {});
    await drain(queue);
    const again = await sweepRetention({ db, dataDir, clock: () => now });
    await queue.close();
    for (const s of again.stores) expect(s).toMatchObject({ clips: 0, clipFiles: 0, derivedFiles: 0, violations: 0, evidenceFiles: 0, reviewItems: 0, notifications: 0 });
    expect(again.partialUploads).toBe(0);
    expect((await db.query(`SELECT 1 FROM audit_log WHERE action = 'retention.sweep'`)).rowCount).toBe(1);
    expect(await ids('SELECT id FROM clips')).toEqual(['clip2', 'clip4', 'clipB']);
    expect(exists('evidence/clip1/v1.jpg')).toBe(true);

    // The limits are per store: lowering store B's removes its old data too.
    await retention.setPolicy(b.storeId, { footageDays: 30, violationDays: 30 });
    const lowered = await sweepRetention({ db, dataDir, clock: () => now }, { storeId: b.storeId });
    expect(lowered.stores).toEqual([expect.objectContaining({ storeId: b.storeId, clips: 1, violations: 1, evidenceFiles: 1, derivedFiles: 1, clipFiles: 1 })]);
    expect(exists('evidence/clipB')).toBe(false);
  });

  it('a sweep for a store that no longer exists is skipped', async () => {
    const handler = createRetentionSweepHandler({ db, dataDir });
    expect(await handler({ storeId: 'gone' }, { name: JobName.RetentionSweep, jobId: 'j', attempt: 1, progress: async () => undefined }))
      .toEqual({ status: 'skipped', reason: 'store gone no longer exists' });
  });
});

describe('retention schedule', () => {
  it('queues one sweep per period however many workers ask', async () => {
    const queue = new InProcessQueue();
    const runs: Array<string | undefined> = [];
    queue.process(JobName.RetentionSweep, async (payload) => {
      runs.push(payload.storeId);
      return { status: 'success' };
    });
    let now = 10 * 3_600_000 + 5;
    const workers = [0, 1, 2].map(() => startRetentionSchedule({ queue, clock: () => now }));
    await drain(queue);
    expect(runs).toHaveLength(1);
    expect(await workers[0]?.runOnce()).toBe(retentionJobId(now, 3_600_000));
    now += 3_600_000;
    await Promise.all(workers.map((w) => w.runOnce()));
    await drain(queue);
    expect(runs).toHaveLength(2);
    for (const w of workers) w.stop();
    await queue.close();
  });
});
