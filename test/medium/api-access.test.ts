// The access matrix: every route fastify registered (not a hand-written list) refuses anonymous callers and callers
// of another store, including lists, counts, reports, exports and evidence images; auditors cannot change anything.
// Hostile bodies too: ids of another store inside bodies (dry run, enablement), environment variable names, NUL ids,
// malformed multipart; and live events reach only the stores of the caller (the second franchise's owner included).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RouteInfo } from '../../services/api/index.ts';
import { ViolationKind } from '../../services/core/contracts.ts';
import { AuditRepository, ClipRepository, ViolationRepository } from '../../services/core/storage/index.ts';
import { CameraRepository } from '../../services/core/storage/cameras.repository.ts';
import { LiveCameraRepository } from '../../services/core/storage/live-cameras.repository.ts';
import { SESSION_COOKIE } from '../../services/api/index.ts';
import { listenEvents, type EventFeed } from '../e2e/sse-client.ts';
import { apiFixture, SOP_YAML, USERS, type ApiFixture, type Session } from './api-fixture.ts';

let f: ApiFixture;
let foreign: Session;
let auditor: Session;
let owner1: Session;
let owner2: Session;
let managerA: Session;

/** Routes that act on the caller's own account only: nothing of another store can be named through them. */
const SELF = new Set(['GET /api/auth/me', 'HEAD /api/auth/me', 'POST /api/auth/logout', 'POST /api/auth/logout-all', 'GET /api/stores', 'HEAD /api/stores']);

/** Store a1's object for a path parameter. */
function idFor(name: string): string {
  return testIds()[name] ?? '';
}

function testIds(): Record<string, string> {
  return {
    storeId: f.stores.a1,
    cameraId: f.a1.cameraId,
    clipId: f.a1.clipId,
    violationId: f.a1.violationId,
    sopId: 'counter-staffed',
    name: f.a1.evidenceName,
    reviewItemId: `clip/${f.a1.clipId}/counter-staffed/staffed/-/*/0`,
    labelId: 'no-such-label',
    uploadId: '0123456789abcdef0123456789abcdef',
  };
}

/** A URL naming store a1's objects for every path parameter; an unknown parameter fails the test (add it here). */
function urlFor(route: RouteInfo): string {
  const ids = testIds();
  return route.url.replace(/:([A-Za-z]+)/g, (_m, name: string) => {
    const value = ids[name];
    if (value === undefined) throw new Error(`route ${route.method} ${route.url}: no test id for parameter "${name}"`);
    return encodeURIComponent(value);
  });
}

/** Bodies naming store a1's objects, for routes that take ids in the body rather than the path. */
const BODIES: Record<string, () => unknown> = {
  'POST /api/violations/reviews': () => ({ ids: [f.a1.violationId], decision: 'confirmed' }),
  'POST /api/violations/reviews/undo': () => ({ ids: [f.a1.violationId] }),
  'POST /api/clips/:clipId/labels': () => ({ sopId: 'counter-staffed', rule: 'staffed', start: 1, end: 2 }),
  'POST /api/clips/:clipId/labels/not-violation': () => ({ violationId: f.a1.violationId }),
};

const withStoreQuery = (url: string): string => `${url}${url.includes('?') ? '&' : '?'}storeId=${encodeURIComponent(f.stores.a1)}`;

beforeAll(async () => {
  f = await apiFixture({ config: { metricsToken: 'metrics-secret-token' } });
  foreign = await f.login(USERS.managerB);
  auditor = await f.login(USERS.auditorA);
  owner1 = await f.login(USERS.owner1);
  owner2 = await f.login(USERS.owner2);
  managerA = await f.login(USERS.managerA);
});
afterAll(async () => f?.close());

describe('access matrix over every registered route', () => {
  it('has the routes a franchise needs (the matrix is not vacuous)', () => {
    const keys = new Set(f.app.sopwatch.routes.map((r) => `${r.method} ${r.url}`));
    for (const k of ['POST /api/stores/:storeId/clips', 'GET /api/violations', 'GET /api/violations/:violationId/evidence/:name', 'GET /api/reports/compliance.csv', 'GET /api/events', 'GET /metrics']) {
      expect(keys.has(k), k).toBe(true);
    }
    expect(f.app.sopwatch.routes.length).toBeGreaterThan(40);
  });

  it('refuses an anonymous caller on every route that is not explicitly public (401)', async () => {
    const checked: string[] = [];
    for (const route of f.app.sopwatch.routes.filter((r) => r.access !== 'public')) {
      const res = await f.call(undefined, { method: route.method, url: urlFor(route) });
      expect(res.statusCode, `${route.method} ${route.url}: ${res.body}`).toBe(401);
      checked.push(route.url);
    }
    expect(checked.length).toBeGreaterThan(40);
    // The public list is short and explicit.
    const open = f.app.sopwatch.routes.filter((r) => r.access === 'public').map((r) => `${r.method} ${r.url}`);
    expect(open.sort()).toEqual(['GET /api/docs/json', 'GET /healthz', 'GET /readyz', 'HEAD /api/docs/json', 'HEAD /healthz', 'HEAD /readyz', 'POST /api/auth/login']);
  });

  it('refuses a wrong metrics token and accepts the right one', async () => {
    expect((await f.call(undefined, { method: 'GET', url: '/metrics', headers: { authorization: 'Bearer nope' } })).statusCode).toBe(401);
    expect((await f.call(foreign, { method: 'GET', url: '/metrics' })).statusCode).toBe(401);
    const ok = await f.call(undefined, { method: 'GET', url: '/metrics', headers: { authorization: 'Bearer metrics-secret-token' } });
    expect(ok.statusCode).toBe(200);
    expect(ok.body).toMatch(/^sopwatch_violations\{status="open"\} 1$/m);
    // Model cost per camera-hour is exposed (issue 13); counters of this process, numbers even before any clip.
    for (const name of ['sopwatch_model_calls_total', 'sopwatch_model_cost_usd_total', 'sopwatch_camera_seconds_analysed_total', 'sopwatch_model_calls_per_camera_hour']) {
      expect(ok.body).toMatch(new RegExp(`^${name} \\d+(\\.\\d+)?$`, 'm'));
    }
  });

  it('refuses a caller of another store on every route naming store a1 or its objects (403/404)', async () => {
    let refused = 0;
    for (const route of f.app.sopwatch.routes.filter((r) => r.access !== 'public' && r.access !== 'metrics')) {
      const key = `${route.method} ${route.url}`;
      if (SELF.has(key)) continue;
      const url = route.method === 'GET' || route.method === 'HEAD' ? withStoreQuery(urlFor(route)) : urlFor(route);
      const res = await f.call(foreign, { method: route.method, url, payload: route.method === 'GET' || route.method === 'HEAD' ? undefined : (BODIES[key]?.() ?? {}) });
      expect([403, 404], `${key}: ${res.statusCode} ${res.body}`).toContain(res.statusCode);
      expect(res.body).not.toContain(f.a1.clipId);
      refused += 1;
    }
    expect(refused).toBeGreaterThan(35);
  });

  it('shows a foreign caller nothing of store a1 in unfiltered lists, counts, reports and exports', async () => {
    for (const url of ['/api/stores', '/api/clips', '/api/violations', '/api/violations/counts', '/api/review-items', '/api/reports/compliance', '/api/reports/compliance.csv', '/api/auth/me']) {
      const res = await f.call(foreign, { method: 'GET', url });
      expect(res.statusCode, url).toBe(200);
      for (const secret of [f.stores.a1, f.a1.clipId, f.a1.violationId, f.a1.cameraId, 'A1 Main St']) expect(res.body, url).not.toContain(secret);
    }
    const counts = await f.call(foreign, { method: 'GET', url: '/api/violations/counts' });
    expect(counts.json()).toEqual({ total: 0, byStatus: {}, bySeverity: {} });
    // The owner of franchise F1 sees both of its stores, and not franchise F2's.
    const stores = (await f.call(owner1, { method: 'GET', url: '/api/stores' })).json<Array<{ id: string }>>();
    expect(stores.map((s) => s.id).sort()).toEqual([f.stores.a1, f.stores.a2].sort());
  });

  it('lets an auditor of a1 read but refuses every state-changing route (403)', async () => {
    const read = await f.call(auditor, { method: 'GET', url: `/api/violations/${encodeURIComponent(f.a1.violationId)}` });
    expect(read.statusCode).toBe(200);
    let refused = 0;
    for (const route of f.app.sopwatch.routes.filter((r) => !['GET', 'HEAD'].includes(r.method) && r.access !== 'public' && r.access !== 'self')) {
      const res = await f.call(auditor, { method: route.method, url: urlFor(route), payload: {} });
      expect(res.statusCode, `${route.method} ${route.url}: ${res.body}`).toBe(403);
      refused += 1;
    }
    expect(refused).toBeGreaterThan(8);
  });

  it('serves an evidence image only to callers of its store, and records each view in the audit log', async () => {
    const url = `/api/violations/${encodeURIComponent(f.a1.violationId)}/evidence/${f.a1.evidenceName}`;
    const manager = await f.login(USERS.managerA);
    const own = await f.call(manager, { method: 'GET', url });
    expect(own.statusCode).toBe(200);
    expect(own.headers['content-type']).toBe('image/jpeg');
    expect(own.headers['cache-control']).toBe('private, no-store');
    expect((await f.call(foreign, { method: 'GET', url })).statusCode).toBe(404);
    // A name that is not one of the violation's files, even one that exists elsewhere, is not served.
    expect((await f.call(manager, { method: 'GET', url: url.replace(f.a1.evidenceName, 'timeline.jpg') })).statusCode).toBe(404);
    const trail = await new AuditRepository(f.db).list([f.stores.a1]);
    expect(trail.filter((e) => e.action === 'evidence.view').length).toBeGreaterThanOrEqual(1);
  });
});

/** Store b's own objects (franchise F2), made by its owner and the repositories, for hostile bodies to aim at. */
async function storeBObjects(): Promise<{ cameraId: string; clipId: string }> {
  const camera = await new CameraRepository(f.db).create({ storeId: f.stores.b, name: 'b-door' });
  const clip = await new ClipRepository(f.db).create({ storeId: f.stores.b, cameraId: camera.id, filename: 'b.mp4', path: `${f.dataDir}/clips/b.mp4`, bytes: 10 });
  return { cameraId: camera.id, clipId: clip.id };
}

describe('ids in bodies are checked against the store of the path', () => {
  let b: { cameraId: string; clipId: string };
  beforeAll(async () => {
    b = await storeBObjects();
    expect((await f.call(owner2, { method: 'POST', url: `/api/stores/${f.stores.b}/sops`, payload: { yaml: SOP_YAML } })).statusCode).toBe(201);
  });

  it('a dry run names a clip of its own store only: another store\'s clip is "not found", in or out of the franchise', async () => {
    for (const [who, store] of [[foreign, f.stores.b], [owner2, f.stores.b], [owner1, f.stores.a2]] as const) {
      const res = await f.call(who, { method: 'POST', url: `/api/stores/${store}/sops/dry-run`, payload: { yaml: SOP_YAML, clipId: f.a1.clipId } });
      expect(res.statusCode, res.body).toBe(404);
      expect(res.body).not.toContain('counter-1');
    }
  });

  it('enablement takes cameras of its own store only, and changes nothing otherwise', async () => {
    const url = `/api/stores/${f.stores.b}/sops/counter-staffed/enablement`;
    const list = async (): Promise<unknown> => (await f.call(owner2, { method: 'GET', url: `/api/stores/${f.stores.b}/sops` })).json<Array<{ enabled: boolean; cameraIds: string[] | null }>>().map((x) => [x.enabled, x.cameraIds]);
    const before = await list();
    const res = await f.call(owner2, { method: 'PUT', url, payload: { enabled: true, cameraIds: [b.cameraId, f.a1.cameraId] } });
    expect(res.statusCode, res.body).toBe(422);
    expect(res.json<{ details: { cameraIds: string[] } }>().details.cameraIds).toEqual([f.a1.cameraId]);
    expect(await list()).toEqual(before);
    expect((await f.call(owner2, { method: 'PUT', url, payload: { enabled: true, cameraIds: [b.cameraId] } })).statusCode).toBe(200);
    expect(await list()).toEqual([[true, [b.cameraId]]]);
  });

  it('stream settings naming an environment variable are refused for every writer, and nothing is stored', async () => {
    for (const [who, store, camera] of [[owner2, f.stores.b, b.cameraId], [managerA, f.stores.a1, f.a1.cameraId], [owner1, f.stores.a1, f.a1.cameraId]] as const) {
      const res = await f.call(who, { method: 'PUT', url: `/api/stores/${store}/cameras/${camera}/stream`, payload: { host: '127.0.0.1', source: 'rtsp', rtspUrl: 'rtsp://127.0.0.1:8554/x', rtspPorts: [8554], username: 'cam', passwordEnv: 'SOPWATCH_METRICS_TOKEN' } });
      expect(res.statusCode, res.body).toBe(400);
      expect(res.body).not.toContain('metrics-secret-token');
    }
    const rows = await new LiveCameraRepository(f.db).cameras();
    expect(rows.filter((r) => r.host !== null || JSON.stringify(r.config).includes('passwordEnv'))).toEqual([]);
  });

  it('every write route survives hostile bodies: no 5xx, nothing of store b in the answer, nothing of store b changed', async () => {
    const before = await Promise.all([f.db.query('SELECT * FROM cameras WHERE store_id = $1 ORDER BY id', [f.stores.b]), f.db.query('SELECT id, enabled, camera_ids FROM sop_files WHERE store_id = $1 ORDER BY id', [f.stores.b])]);
    const bodies: Array<[string, unknown]> = [
      ['variable names', { passwordEnv: 'SOPWATCH_METRICS_TOKEN', apiKeyEnv: 'SOPWATCH_METRICS_TOKEN', urlEnv: 'DATABASE_URL', secretEnv: 'HOME' }],
      ['foreign ids', { storeId: f.stores.b, cameraId: b.cameraId, clipId: b.clipId, cameraIds: [b.cameraId], violationId: b.clipId, reviewItemId: b.clipId, name: 'b-door' }],
      ['NUL', { name: 'x\u0000y', comment: '\u0000', yaml: '\u0000', decision: 'confirmed' }],
      ['array', [f.stores.b]],
      ['not JSON', '{"storeId":'],
    ];
    let walked = 0;
    for (const route of f.app.sopwatch.routes.filter((r) => !['GET', 'HEAD', 'DELETE'].includes(r.method) && r.access !== 'public' && r.access !== 'self')) {
      for (const [what, payload] of bodies) {
        const res = await f.call(managerA, { method: route.method, url: urlFor(route), payload: typeof payload === 'string' ? payload : JSON.stringify(payload), headers: { 'content-type': 'application/json' } });
        expect(res.statusCode, `${route.method} ${route.url} with ${what}: ${res.body}`).toBeLessThan(500);
        for (const id of [f.stores.b, b.cameraId, b.clipId]) expect(res.body, `${route.method} ${route.url} with ${what}`).not.toContain(id);
        walked += 1;
      }
    }
    expect(walked).toBeGreaterThan(40);
    const after = await Promise.all([f.db.query('SELECT * FROM cameras WHERE store_id = $1 ORDER BY id', [f.stores.b]), f.db.query('SELECT id, enabled, camera_ids FROM sop_files WHERE store_id = $1 ORDER BY id', [f.stores.b])]);
    expect(after.map((r) => r.rows)).toEqual(before.map((r) => r.rows));
  });

  it('a NUL in any id of any route is a 400 before anything looks it up, signed in or not', async () => {
    let checked = 0;
    for (const route of f.app.sopwatch.routes.filter((r) => r.url.includes(':'))) {
      for (const name of [...route.url.matchAll(/:([A-Za-z]+)/g)].map((m) => m[1])) {
        const url = urlFor(route).replace(encodeURIComponent(idFor(name ?? '')), 'x%00');
        for (const who of [managerA, undefined]) {
          const res = await f.call(who, { method: route.method, url });
          expect(res.statusCode, `${route.method} ${url}: ${res.body}`).toBe(400);
        }
        checked += 1;
      }
    }
    expect(checked).toBeGreaterThan(30);
  });

  it('a malformed multipart upload is refused: 404 for another store\'s caller, 400 for the store\'s own', async () => {
    const url = `/api/stores/${f.stores.a1}/clips?cameraId=${f.a1.cameraId}`;
    const payload = '--b\r\nContent-Disposition: form-data; name="file"; filename="x.mp4"\r\n\r\n\u0000\u0000\u0000\u0018ftyp';
    for (const type of ['multipart/form-data; boundary=b', 'multipart/form-data']) {
      expect((await f.call(foreign, { method: 'POST', url, payload, headers: { 'content-type': type } })).statusCode).toBe(404);
      expect((await f.call(managerA, { method: 'POST', url, payload, headers: { 'content-type': type } })).statusCode).toBe(400);
    }
  });
});

describe('live events stay inside the caller\'s stores', () => {
  const feeds: EventFeed[] = [];
  afterAll(() => {
    for (const feed of feeds) feed.stop();
  });

  it('a violation of store a1 reaches franchise F1 only, one of store b reaches franchise F2 only', async () => {
    const base = await f.app.listen({ port: 0, host: '127.0.0.1' });
    const listen = async (s: Session): Promise<EventFeed> => {
      const feed = await listenEvents(base, `${SESSION_COOKIE}=${s.cookie}`);
      feeds.push(feed);
      return feed;
    };
    const [ownerF1, managerOfA1, ownerF2, managerOfB] = [await listen(owner1), await listen(managerA), await listen(owner2), await listen(foreign)];
    const b = await new ClipRepository(f.db).list({ storeIds: [f.stores.b] });
    const bClip = b[0];
    if (bClip === undefined) throw new Error('store b has no clip (the body-id tests make one)');
    const violations = new ViolationRepository(f.db);
    const make = (storeId: string, clipId: string, cameraId: string | null, id: string) => violations.upsert({
      storeId, clipId, sopVersion: 1,
      violation: { id, sop: 'counter-staffed', rule: 'staffed', kind: ViolationKind.Gap, cameraId: cameraId ?? '', startMs: 0, endMs: 1000, severity: 'high', message: `sse ${id}`, decidedBy: 'detector', confidence: 1, evidence: [], subject: '*' },
    });
    const inA1 = (await make(f.stores.a1, f.a1.clipId, f.a1.cameraId, 'sse/a1')).violation.id;
    const inB = (await make(f.stores.b, bClip.id, bClip.cameraId, 'sse/b')).violation.id;
    const created = (feed: EventFeed): string[] => feed.events.filter((e) => e.type === 'violation.created').map((e) => String(e.data.violationId));
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline && !(created(ownerF1).includes(inA1) && created(ownerF2).includes(inB) && created(managerOfA1).includes(inA1) && created(managerOfB).includes(inB))) {
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(created(ownerF1)).toContain(inA1);
    expect(created(managerOfA1)).toContain(inA1);
    expect(created(ownerF2)).toContain(inB);
    expect(created(managerOfB)).toContain(inB);
    // Every event any of them received belongs to a store of theirs.
    const allowed = new Map<EventFeed, string[]>([[ownerF1, [f.stores.a1, f.stores.a2]], [managerOfA1, [f.stores.a1]], [ownerF2, [f.stores.b]], [managerOfB, [f.stores.b]]]);
    for (const [feed, stores] of allowed) {
      expect(feed.events.length).toBeGreaterThan(0);
      for (const e of feed.events) expect(stores, JSON.stringify(e)).toContain(e.data.storeId);
    }
    expect(JSON.stringify(ownerF2.events)).not.toContain(f.a1.clipId);
    expect(JSON.stringify(ownerF1.events)).not.toContain(bClip.id);
  });
});
