// Storage of live cameras on both backends (PGlite in memory, PostgreSQL in a fresh schema): not-monitored spans and
// their time per local day, reported health and snapshot requests, live review cases, and a live violation's end.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ViolationKind } from '../../services/core/contracts.ts';
import { openDatabase, openPostgres, ViolationRepository, type Database } from '../../services/core/storage/index.ts';
import { CameraRepository } from '../../services/core/storage/cameras.repository.ts';
import { CameraStatusRepository } from '../../services/core/storage/camera-status.repository.ts';
import { CameraUnmonitoredRepository } from '../../services/core/storage/camera-unmonitored.repository.ts';
import { LiveResultRepository } from '../../services/core/storage/live-results.repository.ts';
import { StoreRepository } from '../../services/core/storage/stores.repository.ts';

const PG_URL = 'postgres://postgres@127.0.0.1:5432/test';

const backends = [
  { name: 'pglite', open: async () => { const db = await openDatabase({ memory: true }); return { db, cleanup: () => db.close() }; } },
  {
    name: 'postgres',
    open: async () => {
      const schema = `sw_live_${randomBytes(4).toString('hex')}`;
      const admin = openPostgres({ url: PG_URL, max: 1 });
      await admin.exec(`CREATE SCHEMA ${schema}`);
      const db = await openDatabase({ url: PG_URL, schema });
      return { db, cleanup: async () => { await db.close(); await admin.exec(`DROP SCHEMA ${schema} CASCADE`); await admin.close(); } };
    },
  },
];

const at = (iso: string): Date => new Date(iso);

describe.each(backends)('live camera storage on $name', (backend) => {
  let db: Database;
  let cleanup: () => Promise<void>;
  let store: string;
  let cam: string;
  let spans: CameraUnmonitoredRepository;

  beforeAll(async () => {
    ({ db, cleanup } = await backend.open());
    // UTC+8 all year: local midnight is 16:00 UTC the day before.
    store = (await new StoreRepository(db).create({ name: 'Shanghai', franchise: 'F', tz: 'Asia/Shanghai' })).id;
    cam = (await new CameraRepository(db).create({ storeId: store, name: 'bar-1' })).id;
    spans = new CameraUnmonitoredRepository(db);
  });
  afterAll(async () => cleanup?.());

  it('opens one span at a time, closes it when the camera is back, and counts it per local day with overlaps once', async () => {
    expect(await spans.open({ storeId: store, cameraId: cam, startAt: at('2025-03-01T15:00:00Z'), reason: 'stalled' })).toBe(true);
    // Already open: a second opening (another event, another worker) changes nothing.
    expect(await spans.open({ storeId: store, cameraId: cam, startAt: at('2025-03-01T15:30:00Z'), reason: 'again' })).toBe(false);
    expect(await spans.close(store, cam, at('2025-03-01T17:00:00Z'))).toBe(1);
    // A closed span reported again, and one overlapping it: the overlap counts once.
    await spans.addClosed({ storeId: store, cameraId: cam, startAt: at('2025-03-01T15:00:00Z'), endAt: at('2025-03-01T16:30:00Z'), reason: 'stalled' });
    await spans.addClosed({ storeId: store, cameraId: cam, startAt: at('2025-03-01T16:30:00Z'), endAt: at('2025-03-01T17:30:00Z'), reason: 'handed over' });
    const days = await spans.byDay({ storeIds: [store], from: at('2025-02-28T00:00:00Z'), to: at('2025-03-03T00:00:00Z') });
    // 15:00-16:00 UTC is 23:00-24:00 on 1 March in Shanghai; 16:00-17:30 UTC is 00:00-01:30 on 2 March.
    expect(days.map((d) => [d.day, d.cameraName, d.seconds])).toEqual([['2025-03-01', 'bar-1', 3600], ['2025-03-02', 'bar-1', 5400]]);
  });

  it('counts an open span until now, never another store\'s, and drops the open span of a deleted camera', async () => {
    const other = (await new StoreRepository(db).create({ name: 'Other', franchise: 'F' })).id;
    const gone = (await new CameraRepository(db).create({ storeId: store, name: 'gone' })).id;
    const start = new Date(Date.now() - 90_000);
    await spans.open({ storeId: store, cameraId: cam, startAt: start, reason: 'offline' });
    await spans.open({ storeId: store, cameraId: gone, startAt: start, reason: 'offline' });
    const range = { from: new Date(Date.now() - 2 * 86_400_000), to: new Date(Date.now() + 86_400_000) };
    const before = await spans.byDay({ storeIds: [store], ...range });
    expect(before.filter((d) => d.cameraId === gone).reduce((s, d) => s + d.seconds, 0)).toBeGreaterThanOrEqual(89);
    await new CameraRepository(db).delete(gone, store);
    const now = await spans.byDay({ storeIds: [store], ...range });
    const open = now.filter((d) => d.cameraId === cam).reduce((s, d) => s + d.seconds, 0);
    expect(open).toBeGreaterThanOrEqual(89);
    expect(open).toBeLessThan(200);
    expect(now.some((d) => d.cameraId === gone)).toBe(false);
    expect(await spans.byDay({ storeIds: [other], ...range })).toEqual([]);
    expect((await spans.recent([store], 5))[0]).toMatchObject({ cameraId: cam, endAt: null, reason: 'offline' });
    await spans.close(store, cam, new Date());
  });

  it('keeps the newest health per camera with its age, marks a worker\'s cameras stopped, and remembers snapshot requests', async () => {
    const status = new CameraStatusRepository(db);
    await status.report([{ cameraId: cam, storeId: store, workerId: 'w1', state: 'online', health: { fpsIn: 2, dropped: 3 } }]);
    await status.report([{ cameraId: 'no-such-camera', storeId: store, workerId: 'w1', state: 'online', health: {} }]);
    let [row] = await status.statuses([store]);
    expect(row).toMatchObject({ cameraId: cam, workerId: 'w1', state: 'online', health: { fpsIn: 2, dropped: 3 } });
    expect(row?.ageMs).toBeLessThan(5000);
    expect(await status.snapshotsWanted([cam], 60_000)).toEqual(new Set());
    await status.wantSnapshot(cam, store);
    expect(await status.snapshotsWanted([cam], 60_000)).toEqual(new Set([cam]));
    await status.setSnapshot(cam, store, 'live/snapshots/x.jpg', at('2025-03-01T00:00:00Z'));
    // Another worker's stop does not touch this worker's report.
    await status.markStopped([cam], 'w2');
    expect((await status.statuses([store]))[0]?.state).toBe('online');
    await status.markStopped([cam], 'w1');
    [row] = await status.statuses([store]);
    expect(row).toMatchObject({ state: 'stopped', health: { state: 'stopped', fpsIn: 2 }, snapshotPath: 'live/snapshots/x.jpg' });
    expect((await status.allStatuses()).map((s) => s.cameraName)).toEqual(['bar-1']);
  });

  it('stores live review cases and the end of a live violation on wall-clock time, keeping a person\'s decision', async () => {
    const live = new LiveResultRepository(db);
    const startMs = Date.parse('2025-03-01T10:00:00Z');
    const id = await live.upsertReviewItem({ storeId: store, cameraId: cam, engineId: 'bar/wash/-/p:1/1', sopId: 'bar', rule: 'wash', severity: 'high', startMs, endMs: startMs + 4000, reason: 'no vision model' });
    const item = await db.query('SELECT start_at, end_at, clip_id, reason FROM review_items WHERE id = $1', [id]);
    expect(item.rows[0]).toMatchObject({ clip_id: null, reason: 'no vision model' });
    expect((item.rows[0]?.start_at as Date).toISOString()).toBe('2025-03-01T10:00:00.000Z');
    const violations = new ViolationRepository(db);
    const { violation } = await violations.upsert({
      storeId: store,
      violation: { id: 'bar/no-phone/forbidden/-/o:1/5', sop: 'bar', rule: 'no-phone', kind: ViolationKind.Forbidden, cameraId: cam, startMs, endMs: startMs + 1000, severity: 'high', message: 'phone', decidedBy: 'detector', confidence: 0.9, evidence: [], subject: 'o:1', ongoing: true },
    });
    expect(violation).toMatchObject({ clipId: null, ongoing: true, startS: null });
    await violations.review({ violationId: violation.id, userId: (await db.query("INSERT INTO users (email, password_hash, role) VALUES ('r@x.test', 'x', 'manager') RETURNING id")).rows[0]?.id as string, decision: 'confirmed' });
    expect(await live.endViolation(violation.id, startMs + 9000)).toBe(true);
    await live.setEvidence(violation.id, ['k-1.jpg']);
    expect(await violations.get(violation.id)).toMatchObject({ ongoing: false, status: 'confirmed', endAt: new Date(startMs + 9000), evidence: ['k-1.jpg'] });
  });
});
