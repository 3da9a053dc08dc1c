// The owner's compliance score and daily digest on PGlite: exact figures from seeded history (two stores of one owner,
// a live camera with time not monitored, analysed and unfinished clips, shadow, dismissed and doubtful violations),
// store access, and the digest page's data equal to the shift digest notification of the same day.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ViolationKind, type Severity } from '../../services/core/contracts.ts';
import { ClipRepository, ViolationRepository } from '../../services/core/storage/index.ts';
import { CameraRepository } from '../../services/core/storage/cameras.repository.ts';
import { CameraStatusRepository } from '../../services/core/storage/camera-status.repository.ts';
import { CameraUnmonitoredRepository } from '../../services/core/storage/camera-unmonitored.repository.ts';
import { NotificationRepository } from '../../services/core/storage/notifications.repository.ts';
import { SopFileRepository } from '../../services/core/storage/sop-files.repository.ts';
import { UserRepository } from '../../services/core/storage/users.repository.ts';
import { planNotifications } from '../../services/notify/planner.ts';
import { loadSopText } from '../../services/rules/sop-loader.ts';
import { apiFixture, USERS, type ApiFixture, type Session } from './api-fixture.ts';
import { notifyConfig } from './notify-fixture.ts';

const HYGIENE = `id: hygiene
title: Hygiene
version: 1
cameras: ["*"]
rules:
  - id: cup-time
    kind: duration
    title: A cup stays at least 5 s
    title_zh: 杯子至少停留 5 秒
    when: { object: cup }
    min: 5s
    severity: low
  - id: no-phone
    kind: forbidden
    title: No phone at the bar
    when: { object: cell phone }
    severity: high
  - id: no-knife
    kind: forbidden
    title: No knife on the counter
    when: { object: knife }
    severity: medium
    shadow: true
`;

const COUNTER = `id: counter
title: Counter
version: 1
cameras: ["*"]
rules:
  - id: no-phone
    kind: forbidden
    title: No phone at the counter
    when: { object: cell phone }
    severity: high
`;

type Status = 'open' | 'confirmed' | 'dismissed' | 'needs_review';

interface Score {
  checked: number;
  compliant: number;
  violated: number;
  needsReview: number;
  score: number | null;
}

interface Report {
  from: string;
  to: string;
  bucket: string;
  stores: Array<Score & { storeId: string; storeName: string; rank: number | null; clips: number; watchedHours: number; notMonitoredSeconds: number; trend: Array<Score & { start: string }> }>;
  rules: Array<Score & { storeId: string; sopId: string; rule: string; title: string; titleZh: string | null }>;
  trend: Array<Score & { start: string }>;
}

const counts = (s: Score): [number, number, number, number, number | null] => [s.checked, s.compliant, s.violated, s.needsReview, s.score];

describe('compliance score and daily digest', () => {
  let f: ApiFixture;
  let owner: Session;
  let managerB: Session;
  let managerA: Session;
  let liveCam = '';
  let n = 0;

  beforeAll(async () => {
    f = await apiFixture();
    owner = await f.login(USERS.owner1);
    managerA = await f.login(USERS.managerA);
    managerB = await f.login(USERS.managerB);
    const userId = (await new UserRepository(f.db).findByEmail(USERS.owner1))?.id ?? '';
    const violations = new ViolationRepository(f.db);
    const clips = new ClipRepository(f.db);
    const cameras = new CameraRepository(f.db);

    const sop = async (storeId: string, yaml: string): Promise<void> => {
      const load = loadSopText(yaml, 'sop.yaml');
      if (!load.ok) throw new Error(`invalid SOP: ${JSON.stringify(load.errors)}`);
      await new SopFileRepository(f.db).addVersion(storeId, load.sop.id, yaml, load.sop);
      // Added before the period, as a store that has been running a while.
      await f.db.query(`UPDATE sop_files SET created_at = '2026-03-01T00:00:00Z' WHERE store_id = $1 AND sop_id = $2`, [storeId, load.sop.id]);
    };
    const camera = async (storeId: string, name: string, host?: string): Promise<string> => {
      const c = await cameras.create({ storeId, name, ...(host === undefined ? {} : { host }) });
      await f.db.query(`UPDATE cameras SET created_at = '2026-03-02T00:00:00Z' WHERE id = $1`, [c.id]);
      return c.id;
    };
    const clip = async (storeId: string, cameraId: string, iso: string, done = true): Promise<string> => {
      const c = await clips.create({ storeId, cameraId, filename: `${iso}.mp4`, path: `/nonexistent/${iso}.mp4`, bytes: 1 });
      await clips.startAnalysis(c.id);
      if (done) await clips.finish(c.id);
      await f.db.query('UPDATE clips SET created_at = $2 WHERE id = $1', [c.id, new Date(iso)]);
      return c.id;
    };
    const violation = async (o: {
      storeId: string; sop: string; rule: string; cameraId: string; severity: Severity; status: Status; at: string;
      clipId?: string; shadow?: boolean;
    }): Promise<void> => {
      n += 1;
      const atMs = Date.parse(o.at);
      const startMs = o.clipId === undefined ? atMs : 3000;
      const { violation: v } = await violations.upsert({
        storeId: o.storeId, ...(o.clipId === undefined ? {} : { clipId: o.clipId }), status: o.status === 'needs_review' ? 'needs_review' : 'open',
        violation: {
          id: `${o.sop}/${o.rule}/seeded/${n}`, sop: o.sop, rule: o.rule, kind: o.rule === 'cup-time' ? ViolationKind.TooShort : ViolationKind.Forbidden,
          cameraId: o.cameraId, startMs, endMs: startMs + 2000, severity: o.severity, message: 'seeded', decidedBy: 'detector', confidence: 1,
          evidence: [], subject: '*', ...(o.shadow === true ? { shadow: true } : {}),
        },
      });
      if (o.status === 'confirmed' || o.status === 'dismissed') await violations.review({ violationId: v.id, userId, decision: o.status });
      // Recorded when it happened (the shift digest counts by recording time).
      await f.db.query('UPDATE violations SET created_at = $2 WHERE id = $1', [v.id, new Date(atMs)]);
    };

    // Store A1: a live camera (48 h in the period, 3 whole hours and a half hour not monitored) and an upload camera.
    const a1 = f.stores.a1;
    await sop(a1, HYGIENE);
    liveCam = await camera(a1, 'bar-live', '192.168.1.20');
    await new CameraStatusRepository(f.db).report([{ cameraId: liveCam, storeId: a1, workerId: 'w1', state: 'online', health: {} }]);
    // A camera with an address that no worker ever watched: no hour of it is a check.
    await camera(a1, 'never-watched', '192.168.1.21');
    const upload = await camera(a1, 'prep-upload');
    const spans = new CameraUnmonitoredRepository(f.db);
    await spans.addClosed({ storeId: a1, cameraId: liveCam, startAt: new Date('2026-03-02T10:00:00Z'), endAt: new Date('2026-03-02T13:00:00Z'), reason: 'offline' });
    await spans.addClosed({ storeId: a1, cameraId: liveCam, startAt: new Date('2026-03-03T05:30:00Z'), endAt: new Date('2026-03-03T06:00:00Z'), reason: 'offline' });
    const live = { storeId: a1, sop: 'hygiene', cameraId: liveCam };
    await violation({ ...live, rule: 'no-phone', severity: 'high', status: 'open', at: '2026-03-02T08:10:00Z' });
    await violation({ ...live, rule: 'no-phone', severity: 'high', status: 'confirmed', at: '2026-03-02T08:40:00Z' }); // same hour: one check
    await violation({ ...live, rule: 'cup-time', severity: 'low', status: 'dismissed', at: '2026-03-02T09:05:00Z' });
    await violation({ ...live, rule: 'no-knife', severity: 'medium', status: 'open', at: '2026-03-02T15:00:00Z', shadow: true });
    await violation({ ...live, rule: 'no-phone', severity: 'high', status: 'needs_review', at: '2026-03-03T14:00:00Z' });
    const c1 = await clip(a1, upload, '2026-03-02T09:00:00Z');
    const c2 = await clip(a1, upload, '2026-03-02T15:00:00Z');
    const c3 = await clip(a1, upload, '2026-03-03T08:00:00Z');
    const up = { storeId: a1, sop: 'hygiene', cameraId: upload };
    await violation({ ...up, clipId: c1, rule: 'cup-time', severity: 'low', status: 'confirmed', at: '2026-03-02T09:00:03Z' });
    await violation({ ...up, clipId: c2, rule: 'no-phone', severity: 'high', status: 'dismissed', at: '2026-03-02T15:00:03Z' });
    await violation({ ...up, clipId: c2, rule: 'no-knife', severity: 'medium', status: 'confirmed', at: '2026-03-02T15:00:04Z', shadow: true });
    await violation({ ...up, clipId: c3, rule: 'cup-time', severity: 'low', status: 'open', at: '2026-03-03T08:00:03Z' });

    // Store A2: uploads only; one clip still being analysed is no check, nor is its violation.
    const a2 = f.stores.a2;
    await sop(a2, COUNTER);
    const counter = await camera(a2, 'counter-upload');
    const c = { storeId: a2, sop: 'counter', rule: 'no-phone', cameraId: counter, severity: 'high' as const };
    await violation({ ...c, clipId: await clip(a2, counter, '2026-03-02T10:00:00Z'), status: 'confirmed', at: '2026-03-02T10:00:03Z' });
    await violation({ ...c, clipId: await clip(a2, counter, '2026-03-02T11:00:00Z'), status: 'open', at: '2026-03-02T11:00:03Z' });
    await clip(a2, counter, '2026-03-02T12:00:00Z');
    await violation({ ...c, clipId: await clip(a2, counter, '2026-03-03T10:00:00Z'), status: 'dismissed', at: '2026-03-03T10:00:03Z' });
    await violation({ ...c, clipId: await clip(a2, counter, '2026-03-02T13:00:00Z', false), status: 'open', at: '2026-03-02T13:00:03Z' });

    // Store B (another franchise): one clean clip.
    await sop(f.stores.b, COUNTER);
    await clip(f.stores.b, await camera(f.stores.b, 'b-cam'), '2026-03-02T10:00:00Z');
  });
  afterAll(async () => f?.close());

  const get = async <T>(s: Session, url: string): Promise<T> => {
    const res = await f.call(s, { method: 'GET', url });
    expect(res.statusCode, res.body).toBe(200);
    return res.json<T>();
  };

  it('scores each store and rule from analysed clips and watched live hours, ranks the stores, worst rules first', async () => {
    const r = await get<Report>(owner, '/api/reports/score?from=2026-03-02&to=2026-03-03');
    expect([r.from, r.to, r.bucket]).toEqual(['2026-03-02', '2026-03-03', 'day']);
    // A1: 45 watched hours x 2 live rules + 3 clips x 2 rules = 96 checks; violated: the 08:00 hour (no-phone, two
    // violations), clip 1 and clip 3 (cup-time); doubtful: 3 March 14:00; dismissed and shadow ones are compliant.
    // A2: 4 finished clips, 2 violated (the dismissed one is compliant; the unfinished clip is no check).
    expect(r.stores.map((s) => [s.storeName, s.rank, ...counts(s), s.clips, s.watchedHours, s.notMonitoredSeconds])).toEqual([
      ['A1 Main St', 1, 96, 92, 3, 1, 0.968, 3, 45, 3 * 3600 + 1800],
      ['A2 Harbour', 2, 4, 2, 2, 0, 0.5, 4, 0, 0],
    ]);
    expect(r.stores[0]?.trend.map((p) => [p.start, ...counts(p)])).toEqual([
      ['2026-03-02', 46, 44, 2, 0, 0.957],
      ['2026-03-03', 50, 48, 1, 1, 0.98],
    ]);
    expect(r.stores[1]?.trend.map((p) => [p.start, ...counts(p)])).toEqual([
      ['2026-03-02', 3, 1, 2, 0, 0.333],
      ['2026-03-03', 1, 1, 0, 0, 1],
    ]);
    expect(r.trend.map((p) => [p.start, ...counts(p)])).toEqual([
      ['2026-03-02', 49, 45, 4, 0, 0.918],
      ['2026-03-03', 51, 49, 1, 1, 0.98],
    ]);
    expect(r.rules.map((x) => [x.storeId === f.stores.a1 ? 'A1' : 'A2', x.sopId, x.rule, x.title, x.titleZh, ...counts(x)])).toEqual([
      ['A2', 'counter', 'no-phone', 'No phone at the counter', null, 4, 2, 2, 0, 0.5],
      ['A1', 'hygiene', 'cup-time', 'A cup stays at least 5 s', '杯子至少停留 5 秒', 48, 46, 2, 0, 0.958],
      ['A1', 'hygiene', 'no-phone', 'No phone at the bar', null, 48, 46, 1, 1, 0.979],
    ]);
  });

  it('sums days into weeks and keeps one store when asked', async () => {
    const r = await get<Report>(owner, `/api/reports/score?from=2026-03-02&to=2026-03-03&bucket=week&storeId=${f.stores.a2}`);
    expect(r.stores.map((s) => s.storeName)).toEqual(['A2 Harbour']);
    expect(r.trend.map((p) => [p.start, ...counts(p)])).toEqual([['2026-03-02', 4, 2, 2, 0, 0.5]]);
  });

  it('shows each caller only their stores', async () => {
    const b = await get<Report>(managerB, '/api/reports/score?from=2026-03-02&to=2026-03-03');
    expect(b.stores.map((s) => [s.storeName, s.rank, ...counts(s)])).toEqual([['B Station', 1, 1, 1, 0, 0, 1]]);
    expect(b.rules.map((x) => x.storeId)).toEqual([f.stores.b]);
    const a = await get<Report>(managerA, '/api/reports/score?from=2026-03-02&to=2026-03-03');
    expect(a.stores.map((s) => s.storeName)).toEqual(['A1 Main St']);
    for (const url of [`/api/reports/score?storeId=${f.stores.a1}`, `/api/reports/digest?storeId=${f.stores.a1}&day=2026-03-02`]) {
      expect((await f.call(managerB, { method: 'GET', url })).statusCode).toBe(404);
    }
    expect((await f.call(undefined, { method: 'GET', url: '/api/reports/score' })).statusCode).toBe(401);
    expect((await f.call(owner, { method: 'GET', url: '/api/reports/digest?day=2026-03-02' })).statusCode).toBe(400);
  });

  it('gives the day\'s digest exactly as the shift digest notification carries it', async () => {
    const config = notifyConfig({
      cooldownMs: 3_600_000,
      stores: [{ store: f.stores.a1, shiftEnds: ['00:00'] }],
      channels: [{ id: 'ops', type: 'webhook', urlEnv: 'HOOK_URL', stores: ['*'], minSeverity: 'low', events: ['violation', 'digest'] }],
    });
    // The morning's messages (the second no-phone of the live camera is held back by the cooldown), then the digest
    // of the day that just ended.
    await f.db.transaction((tx) => planNotifications(tx, config, Date.parse('2026-03-02T08:45:00Z')));
    await f.db.transaction((tx) => planNotifications(tx, config, Date.parse('2026-03-03T00:00:30Z')));
    const outbox = await new NotificationRepository(f.db).listForStore(f.stores.a1);
    const sent = outbox.filter((x) => x.kind === 'digest');
    expect(sent).toHaveLength(1);
    const payload = sent[0]?.payload as { summary: unknown; shiftStartIso: string; shiftEndIso: string };

    const page = await get<{ summary: unknown; fromIso: string; toIso: string; ruleTitles: unknown; notMonitored: unknown; storeName: string }>(
      owner, `/api/reports/digest?storeId=${f.stores.a1}&day=2026-03-02`,
    );
    expect(page.summary).toEqual(payload.summary);
    expect([page.fromIso, page.toIso]).toEqual([payload.shiftStartIso, payload.shiftEndIso]);
    expect(page.summary).toEqual({
      total: 5, bySeverity: { low: 2, medium: 0, high: 3 }, needsReview: 0, unreviewed: 1, suppressed: 1,
      topRules: [{ sop: 'hygiene', rule: 'no-phone', count: 3 }, { sop: 'hygiene', rule: 'cup-time', count: 2 }],
    });
    expect(page.ruleTitles).toEqual([
      { sop: 'hygiene', rule: 'no-phone', title: 'No phone at the bar', titleZh: null },
      { sop: 'hygiene', rule: 'cup-time', title: 'A cup stays at least 5 s', titleZh: '杯子至少停留 5 秒' },
    ]);
    expect(page.notMonitored).toEqual([{ cameraId: liveCam, cameraName: 'bar-live', seconds: 3 * 3600 }]);
  });
});
