// Stores, cameras, SOP files (422 with positions, versions, enablement per camera), reviews, reports, readiness.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../services/api/index.ts';
import { CameraUnmonitoredRepository } from '../../services/core/storage/camera-unmonitored.repository.ts';
import { toCsv } from '../../services/api/csv.ts';
import { JobName } from '../../services/core/jobs.ts';
import type { JobQueue } from '../../services/core/queue/index.ts';
import type { Database } from '../../services/core/storage/index.ts';
import { apiFixture, SOP_YAML, USERS, type ApiFixture, type Session } from './api-fixture.ts';

let f: ApiFixture;
let manager: Session;
let owner: Session;

beforeAll(async () => {
  f = await apiFixture();
  manager = await f.login(USERS.managerA);
  owner = await f.login(USERS.owner1);
});
afterAll(async () => f?.close());

describe('stores and cameras', () => {
  it('lets an owner create a store in their franchise, and only an owner', async () => {
    const res = await f.call(owner, { method: 'POST', url: '/api/stores', payload: { name: '=HYPERLINK("http://x")', tz: 'Europe/Paris' } });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json()).toMatchObject({ franchise: 'F1', tz: 'Europe/Paris' });
    expect((await f.call(manager, { method: 'POST', url: '/api/stores', payload: { name: 'mine' } })).statusCode).toBe(403);
    expect((await f.call(owner, { method: 'POST', url: '/api/stores', payload: { name: 'x', tz: 'Mars/Olympus' } })).statusCode).toBe(400);
  });

  it('refuses a duplicate camera name with 409 and a host with credentials with 400', async () => {
    const url = `/api/stores/${f.stores.a1}/cameras`;
    expect((await f.call(manager, { method: 'POST', url, payload: { name: 'counter-1' } })).statusCode).toBe(409);
    expect((await f.call(manager, { method: 'POST', url, payload: { name: 'bar-9', host: 'admin:pw@10.0.0.5' } })).statusCode).toBe(400);
  });
});

describe('SOP files', () => {
  const url = () => `/api/stores/${f.stores.a1}/sops`;

  it('refuses an invalid file with 422 and every problem with its line and column', async () => {
    const bad = SOP_YAML.replace('person_in: counter', 'person_in: countr').replace('max_gap: 2s', 'max_gap: soon');
    const res = await f.call(manager, { method: 'POST', url: url(), payload: { yaml: bad, fileName: 'counter.yaml' } });
    expect(res.statusCode).toBe(422);
    const details = (res.json<{ details: Array<{ file: string; line: number; column: number; message: string }> }>()).details;
    expect(details.length).toBeGreaterThanOrEqual(2);
    expect(details[0]).toMatchObject({ file: 'counter.yaml', line: 11 });
    expect(details.some((d) => d.line === 17)).toBe(true);
    for (const d of details) expect(d.column).toBeGreaterThan(0);
  });

  it('stores a new upload of the same id as the next version, enabled in place of the old one', async () => {
    const res = await f.call(manager, { method: 'POST', url: url(), payload: { yaml: SOP_YAML.replace('title: Counter staffed', 'title: Counter staffed v2') } });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json()).toMatchObject({ sop: { sopId: 'counter-staffed', version: 2, enabled: true, title: 'Counter staffed v2' }, warnings: [] });
    const versions = (await f.call(manager, { method: 'GET', url: `${url()}/counter-staffed/versions` })).json<Array<{ version: number; enabled: boolean }>>();
    expect(versions.map((v) => [v.version, v.enabled])).toEqual([[2, true], [1, false]]);
    const v1 = await f.call(manager, { method: 'GET', url: `${url()}/counter-staffed?version=1` });
    expect((v1.json<{ yaml: string }>()).yaml).toBe(SOP_YAML);
  });

  it('enables a chosen version on chosen cameras of the store only', async () => {
    const put = (body: unknown) => f.call(manager, { method: 'PUT', url: `${url()}/counter-staffed/enablement`, payload: body });
    const res = await put({ enabled: true, version: 1, cameraIds: [f.a1.cameraId] });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ version: 1, enabled: true, cameraIds: [f.a1.cameraId] });
    const list = (await f.call(manager, { method: 'GET', url: url() })).json<Array<{ version: number; enabled: boolean }>>();
    expect(list.filter((s) => s.enabled).map((s) => s.version)).toEqual([1]);
    expect((await put({ enabled: true, cameraIds: ['not-a-camera-of-a1'] })).statusCode).toBe(422);
    expect((await put({ enabled: true, version: 9 })).statusCode).toBe(404);
    expect((await put({ enabled: false })).json()).toMatchObject({ enabled: false });
  });
});

describe('reviews and reports', () => {
  const vurl = () => `/api/violations/${encodeURIComponent(f.a1.violationId)}`;

  it('dismissing needs a reason code; confirming takes none; both are kept in the history', async () => {
    expect((await f.call(manager, { method: 'POST', url: `${vurl()}/reviews`, payload: { decision: 'dismissed' } })).statusCode).toBe(400);
    expect((await f.call(manager, { method: 'POST', url: `${vurl()}/reviews`, payload: { decision: 'dismissed', reasonCode: 'bored' } })).statusCode).toBe(400);
    const dismissed = await f.call(manager, { method: 'POST', url: `${vurl()}/reviews`, payload: { decision: 'dismissed', reasonCode: 'camera_problem', comment: 'lens fogged' } });
    expect(dismissed.statusCode).toBe(201);
    expect(dismissed.json()).toMatchObject({ status: 'dismissed' });
    const confirmed = await f.call(manager, { method: 'POST', url: `${vurl()}/reviews`, payload: { decision: 'confirmed' } });
    expect(confirmed.json()).toMatchObject({ status: 'confirmed' });
    const history = (await f.call(manager, { method: 'GET', url: `${vurl()}/reviews` })).json<Array<{ decision: string; reasonCode: string | null; userEmail: string }>>();
    expect(history.map((h) => [h.decision, h.reasonCode, h.userEmail])).toEqual([['dismissed', 'camera_problem', USERS.managerA], ['confirmed', null, USERS.managerA]]);
    const filtered = (await f.call(manager, { method: 'GET', url: '/api/violations?status=confirmed&rule=staffed&severity=high' })).json<unknown[]>();
    expect(filtered).toHaveLength(1);
    expect((await f.call(manager, { method: 'GET', url: '/api/violations?rule=other' })).json()).toEqual([]);
  });

  it('reports per store, day and rule, and exports CSV with formulas defused, audited', async () => {
    const report = (await f.call(owner, { method: 'GET', url: '/api/reports/compliance' })).json<{ rows: Array<{ storeName: string; rule: string; confirmed: number }> }>();
    expect(report.rows).toEqual([expect.objectContaining({ storeName: 'A1 Main St', rule: 'staffed', confirmed: 1 })]);
    // An hour the camera was not watched yesterday (10:00-11:00 UTC: one local day in the store's zone):
    // a row of its own in the export, never a compliant day.
    const startAt = new Date(`${new Date(Date.now() - 86_400_000).toISOString().slice(0, 10)}T10:00:00Z`);
    await new CameraUnmonitoredRepository(f.db).addClosed({ storeId: f.stores.a1, cameraId: f.a1.cameraId, startAt, endAt: new Date(startAt.getTime() + 3600_000), reason: 'offline' });
    const csv = await f.call(owner, { method: 'GET', url: '/api/reports/compliance.csv' });
    expect(csv.headers['content-type']).toMatch(/^text\/csv/);
    expect(csv.headers['content-disposition']).toMatch(/^attachment; filename="compliance-/);
    const lines = csv.body.split('\r\n');
    expect(lines[0]).toBe('day,store_id,store_name,sop,rule,violations,open,needs_review,confirmed,dismissed,high,camera,not_monitored_s');
    expect(lines.some((l) => /,A1 Main St,,,,,,,,,counter-1,3600$/.test(l))).toBe(true);
    const exports = await f.db.query("SELECT store_id FROM audit_log WHERE action = 'report.export'");
    expect(exports.rows.length).toBe(3);
    // A store named like a formula (created above) is written as text, not run by a spreadsheet.
    expect(toCsv(['name', 'n'], [['=HYPERLINK("http://x")', -5], ['a,b', 1]])).toBe(`name,n\r\n"'=HYPERLINK(""http://x"")",-5\r\n"a,b",1\r\n`);
  });

  it('refuses a re-analysis while the clip is still queued', async () => {
    const res = await f.call(manager, { method: 'POST', url: `/api/clips/${f.a1.clipId}/reanalyse` });
    expect(res.statusCode).toBe(409);
  });
});

describe('readiness', () => {
  it('answers 503 within its deadline when the database and Redis hang', async () => {
    const hanging = new Promise<never>(() => undefined);
    const db = { kind: 'postgres', query: () => hanging, exec: () => hanging, transaction: () => hanging, close: async () => undefined } as unknown as Database;
    const queue = { kind: 'bullmq', counts: () => hanging, close: async () => undefined } as unknown as JobQueue;
    const app = buildApp({ db, queue, dataDir: f.dataDir, config: { readyTimeoutMs: 200 } });
    // No wall-clock bound (flaky on a loaded 2-core machine): the checks hang for ever, so an answer at all, with
    // both marked `timeout`, can only come from the deadline.
    const res = await app.inject({ method: 'GET', url: '/readyz' });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toEqual({ status: 'unavailable', checks: { database: 'timeout', queue: 'timeout' } });
    expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    await app.close();
  });

  it('is ready on a working database and in-process queue, and documents the API', async () => {
    expect((await f.call(undefined, { method: 'GET', url: '/readyz' })).json()).toEqual({ status: 'ready', checks: { database: 'ok', queue: 'in-process' } });
    const doc = (await f.call(undefined, { method: 'GET', url: '/api/docs/json' })).json<{ paths: Record<string, unknown> }>();
    expect(Object.keys(doc.paths)).toContain('/api/violations/{violationId}/reviews');
    expect(Object.keys(doc.paths)).not.toContain('/api/docs/json');
    expect(JobName.ClipAnalyse).toBe('clip.analyse');
  });
});
