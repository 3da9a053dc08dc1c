// The access matrix: every route fastify registered (not a hand-written list) refuses anonymous callers and callers
// of another store, including lists, counts, reports, exports and evidence images; auditors cannot change anything.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RouteInfo } from '../../services/api/index.ts';
import { AuditRepository } from '../../services/core/storage/index.ts';
import { apiFixture, USERS, type ApiFixture, type Session } from './api-fixture.ts';

let f: ApiFixture;
let foreign: Session;
let auditor: Session;
let owner1: Session;

/** Routes that act on the caller's own account only: nothing of another store can be named through them. */
const SELF = new Set(['GET /api/auth/me', 'HEAD /api/auth/me', 'POST /api/auth/logout', 'POST /api/auth/logout-all', 'GET /api/stores', 'HEAD /api/stores']);

/** A URL naming store a1's objects for every path parameter; an unknown parameter fails the test (add it here). */
function urlFor(route: RouteInfo): string {
  const ids: Record<string, string> = {
    storeId: f.stores.a1,
    cameraId: f.a1.cameraId,
    clipId: f.a1.clipId,
    violationId: f.a1.violationId,
    sopId: 'counter-staffed',
    name: f.a1.evidenceName,
    reviewItemId: `clip/${f.a1.clipId}/counter-staffed/staffed/-/*/0`,
  };
  return route.url.replace(/:([A-Za-z]+)/g, (_m, name: string) => {
    const value = ids[name];
    if (value === undefined) throw new Error(`route ${route.method} ${route.url}: no test id for parameter "${name}"`);
    return encodeURIComponent(value);
  });
}

const withStoreQuery = (url: string): string => `${url}${url.includes('?') ? '&' : '?'}storeId=${encodeURIComponent(f.stores.a1)}`;

beforeAll(async () => {
  f = await apiFixture({ config: { metricsToken: 'metrics-secret-token' } });
  foreign = await f.login(USERS.managerB);
  auditor = await f.login(USERS.auditorA);
  owner1 = await f.login(USERS.owner1);
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
      const res = await f.call(foreign, { method: route.method, url, payload: route.method === 'GET' || route.method === 'HEAD' ? undefined : {} });
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
