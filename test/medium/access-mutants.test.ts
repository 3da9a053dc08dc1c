// The access layer's decisions one by one, with their exact answers (what mutation testing of auth.ts and access.ts
// needs): unknown paths, Origin and CSRF checks, the metrics token, sessions, role gates, and ids checked before the
// body or query is validated. A small world written through the repositories, sessions made as the login route makes
// them (no scrypt per test run), on a real PostgreSQL (a schema of its own; PGlite takes 25 s to start on a busy
// machine, too slow to rebuild once per mutant) and the real app.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, CSRF_HEADER, SESSION_COOKIE } from '../../services/api/index.ts';
import { csrfTokenFor, newSessionToken, sessionTokenHash } from '../../services/api/auth/tokens.ts';
import { ViolationKind } from '../../services/core/contracts.ts';
import { InProcessQueue } from '../../services/core/queue/index.ts';
import { ClipRepository, openDatabase, ViolationRepository, type Database } from '../../services/core/storage/index.ts';
import { CameraRepository } from '../../services/core/storage/cameras.repository.ts';
import { ReviewItemRepository } from '../../services/core/storage/review-items.repository.ts';
import { openPostgres } from '../../services/core/storage/postgres.database.ts';
import { SessionRepository } from '../../services/core/storage/sessions.repository.ts';
import { StoreRepository } from '../../services/core/storage/stores.repository.ts';
import { UserRepository, type Role } from '../../services/core/storage/users.repository.ts';

const PUBLIC_ORIGIN = 'https://sopwatch.example';
const METRICS_TOKEN = 'metrics-secret-token';
const PG_URL = 'postgres://postgres@127.0.0.1:5432/test';
const SCHEMA = `sw_access_${randomBytes(5).toString('hex')}`;

let app: FastifyInstance;
let db: Database;
let dataDir: string;
const ids = { a1: '', a2: '', b: '', camA1: '', camA2: '', clipA1: '', violationA1: '', reviewA1: '' };
const tokens: Record<'owner' | 'manager' | 'auditor' | 'foreign', string> = { owner: '', manager: '', auditor: '', foreign: '' };

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'sopwatch-access-'));
  const admin = openPostgres({ url: PG_URL, max: 1 });
  await admin.exec(`CREATE SCHEMA ${SCHEMA}`);
  await admin.close();
  db = await openDatabase({ url: PG_URL, schema: SCHEMA });
  const stores = new StoreRepository(db);
  ids.a1 = (await stores.create({ name: 'A1', franchise: 'F1' })).id;
  ids.a2 = (await stores.create({ name: 'A2', franchise: 'F1' })).id;
  ids.b = (await stores.create({ name: 'B', franchise: 'F2' })).id;
  const cameras = new CameraRepository(db);
  ids.camA1 = (await cameras.create({ storeId: ids.a1, name: 'counter-1' })).id;
  ids.camA2 = (await cameras.create({ storeId: ids.a2, name: 'counter-2' })).id;
  const clip = await new ClipRepository(db).create({ storeId: ids.a1, cameraId: ids.camA1, filename: 'shift.mp4', path: join(dataDir, 'x.mp4'), bytes: 10 });
  ids.clipA1 = clip.id;
  const { violation } = await new ViolationRepository(db).upsert({
    storeId: ids.a1, clipId: clip.id, sopVersion: 1,
    violation: {
      id: 'sop/rule/gap/-/*/0', sop: 'sop', rule: 'rule', kind: ViolationKind.Gap, cameraId: ids.camA1, startMs: 0, endMs: 4000,
      severity: 'high', message: 'nobody at the counter', decidedBy: 'detector', confidence: 1, evidence: [], subject: '*',
    },
  });
  ids.violationA1 = violation.id;
  await new ReviewItemRepository(db).upsert({
    storeId: ids.a1, cameraId: ids.camA1, clipId: clip.id, engineId: 'sop/rule/-/*/0', sopId: 'sop', rule: 'rule',
    severity: 'high', startS: 0, endS: 1, reason: 'no model configured',
  });
  ids.reviewA1 = `clip/${clip.id}/sop/rule/-/*/0`;
  const users = new UserRepository(db);
  const sessions = new SessionRepository(db);
  const person = async (key: keyof typeof tokens, role: Role, extra: { franchise?: string; storeIds?: string[] }): Promise<void> => {
    // The password hash is never checked here: these callers get their session the way the login route makes it.
    const user = await users.create({ email: `${key}@test`, passwordHash: 'unused', role, ...extra });
    tokens[key] = newSessionToken();
    await sessions.create(sessionTokenHash(tokens[key]), user.id, new Date(Date.now() + 3_600_000));
  };
  await person('owner', 'owner', { franchise: 'F1' });
  await person('manager', 'manager', { storeIds: [ids.a1] });
  await person('auditor', 'auditor', { storeIds: [ids.a1] });
  await person('foreign', 'manager', { storeIds: [ids.b] });
  app = buildApp({ db, queue: new InProcessQueue(), dataDir, config: { publicOrigin: PUBLIC_ORIGIN, metricsToken: METRICS_TOKEN } });
  await app.ready();
});
afterAll(async () => {
  await app?.close();
  await db?.close();
  const admin = openPostgres({ url: PG_URL, max: 1 });
  await admin.exec(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`);
  await admin.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

type Who = keyof typeof tokens | 'anonymous';
function call(who: Who, method: string, url: string, opts: { payload?: unknown; headers?: Record<string, string>; csrf?: string } = {}): Promise<LightMyRequestResponse> {
  const session = who === 'anonymous' ? {} : { cookie: `${SESSION_COOKIE}=${tokens[who]}`, [CSRF_HEADER]: opts.csrf ?? csrfTokenFor(tokens[who]) };
  return app.inject({ method: method as 'GET', url, ...(opts.payload === undefined ? {} : { payload: opts.payload as string }), headers: { ...session, ...opts.headers } });
}
const answer = (res: LightMyRequestResponse): string => `${res.statusCode} ${(res.json<{ message?: string }>()).message ?? ''}`.trim();

describe('what every request goes through', () => {
  it('answers a path no route matches with 404, signed in or not', async () => {
    expect((await call('anonymous', 'GET', '/api/no-such-thing')).statusCode).toBe(404);
    expect((await call('anonymous', 'POST', '/api/no-such-thing', { headers: { origin: 'https://evil.example' } })).statusCode).toBe(404);
  });

  it('refuses state-changing requests from another site, on public routes too, and allows reads from anywhere', async () => {
    const login = { email: 'nobody@test', password: 'correct horse battery staple' };
    expect(answer(await call('anonymous', 'POST', '/api/auth/login', { payload: login, headers: { 'sec-fetch-site': 'cross-site' } }))).toBe('403 cross-site request refused');
    expect(answer(await call('anonymous', 'POST', '/api/auth/login', { payload: login, headers: { origin: 'https://evil.example' } }))).toBe('403 request from origin https://evil.example refused');
    expect((await call('anonymous', 'POST', '/api/auth/login', { payload: login, headers: { origin: 'http://localhost:80' } })).statusCode).toBe(401);
    expect((await call('anonymous', 'POST', '/api/auth/login', { payload: login, headers: { origin: PUBLIC_ORIGIN, 'sec-fetch-site': 'same-origin' } })).statusCode).toBe(401);
    expect((await call('manager', 'GET', '/api/auth/me', { headers: { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' } })).statusCode).toBe(200);
    expect((await call('anonymous', 'GET', '/healthz', { headers: { origin: 'https://evil.example' } })).statusCode).toBe(200);
  });

  it('opens /metrics only with the bearer token', async () => {
    const metrics = (authorization?: string) => call('anonymous', 'GET', '/metrics', authorization === undefined ? {} : { headers: { authorization } });
    const refusal = '401 metrics need the bearer token set in SOPWATCH_METRICS_TOKEN';
    expect(answer(await metrics())).toBe(refusal);
    expect(answer(await metrics('Bearer nope'))).toBe(refusal);
    expect(answer(await metrics(`Basic ${METRICS_TOKEN}`))).toBe(refusal);
    expect(answer(await metrics(`bearer ${METRICS_TOKEN}`))).toBe(refusal);
    expect(answer(await call('manager', 'GET', '/metrics'))).toBe(refusal);
    expect((await metrics(`Bearer ${METRICS_TOKEN}`)).statusCode).toBe(200);
    expect((await metrics(`Bearer   ${METRICS_TOKEN}  `)).statusCode).toBe(200);
  });

  it('refuses a missing, empty or unknown session, and clears an unknown one', async () => {
    expect(answer(await call('anonymous', 'GET', '/api/auth/me'))).toBe('401 sign in first');
    expect(answer(await call('anonymous', 'GET', '/api/auth/me', { headers: { cookie: `${SESSION_COOKIE}=` } }))).toBe('401 sign in first');
    const unknown = await call('anonymous', 'GET', '/api/auth/me', { headers: { cookie: `${SESSION_COOKIE}=${newSessionToken()}` } });
    expect(answer(unknown)).toBe('401 your session has ended: sign in again');
    expect(unknown.cookies.find((c) => c.name === SESSION_COOKIE)).toMatchObject({ value: '', path: '/' });
  });

  it('needs the session\'s own CSRF token on state-changing requests only', async () => {
    const url = `/api/violations/${encodeURIComponent(ids.violationA1)}/reviews`;
    const refusal = `403 missing or wrong ${CSRF_HEADER} header`;
    expect(answer(await call('manager', 'POST', url, { payload: { decision: 'x' }, csrf: csrfTokenFor(tokens.foreign) }))).toBe(refusal);
    const noHeader = await app.inject({ method: 'POST', url, payload: { decision: 'x' }, headers: { cookie: `${SESSION_COOKIE}=${tokens.manager}` } });
    expect(answer(noHeader)).toBe(refusal);
    // With the right token the request reaches validation (400), and a read needs no token at all.
    expect((await call('manager', 'POST', url, { payload: { decision: 'x' } })).statusCode).toBe(400);
    expect((await app.inject({ method: 'GET', url, headers: { cookie: `${SESSION_COOKIE}=${tokens.manager}` } })).statusCode).toBe(200);
  });

  it('knows who is calling: role, franchise, stores and the CSRF token', async () => {
    const me = (await call('owner', 'GET', '/api/auth/me')).json<Record<string, unknown>>();
    expect(me).toMatchObject({ email: 'owner@test', role: 'owner', franchise: 'F1', csrfToken: csrfTokenFor(tokens.owner) });
    expect([...(me.storeIds as string[])].sort()).toEqual([ids.a1, ids.a2].sort());
    expect((await call('manager', 'GET', '/api/auth/me')).json()).toMatchObject({ role: 'manager', storeIds: [ids.a1] });
  });
});

describe('role gates', () => {
  it('lets only an owner create a store', async () => {
    expect(answer(await call('manager', 'POST', '/api/stores', { payload: { name: 'mine' } }))).toBe('403 only an owner may do this');
    expect((await call('owner', 'POST', '/api/stores', { payload: { name: 'A3' } })).statusCode).toBe(201);
  });

  it('lets an auditor read and act on their own account, and nothing else', async () => {
    const url = `/api/violations/${encodeURIComponent(ids.violationA1)}/reviews`;
    expect(answer(await call('auditor', 'POST', url, { payload: { decision: 'confirmed' } }))).toBe('403 auditors have read-only access');
    expect((await call('auditor', 'GET', url)).statusCode).toBe(200);
    expect((await call('auditor', 'GET', `/api/stores/${ids.a1}`)).statusCode).toBe(200);
    expect(answer(await call('auditor', 'POST', '/api/auth/logout-all'))).not.toMatch(/^403/);
  });
});

describe('ids named in the path or query are checked before the body or query is validated', () => {
  // Each request is also invalid: without the id check first, it would be a 400.
  it('a store of another franchise', async () => {
    const url = `/api/stores/${ids.a1}/cameras/${ids.camA1}/stream`;
    expect(answer(await call('foreign', 'PUT', url, { payload: { fps: 'fast' } }))).toBe('404 store not found or no access');
    expect(answer(await call('foreign', 'GET', `/api/violations?storeId=${ids.a1}&status=bogus`))).toBe('404 store not found or no access');
    expect(answer(await call('manager', 'PUT', url, { payload: { fps: 'fast' } }))).toMatch(/^400 /);
  });

  it('a camera of another of the caller\'s stores than the one named', async () => {
    expect(answer(await call('owner', 'PUT', `/api/stores/${ids.a1}/cameras/${ids.camA2}/stream`, { payload: { fps: 'fast' } }))).toBe('404 camera not found or no access');
    expect(answer(await call('owner', 'PUT', `/api/stores/${ids.a2}/cameras/${ids.camA2}/stream`, { payload: { fps: 'fast' } }))).toMatch(/^400 /);
    expect(answer(await call('foreign', 'GET', `/api/violations?cameraId=${ids.camA1}&status=bogus`))).toBe('404 camera not found or no access');
    expect(answer(await call('manager', 'GET', `/api/violations?cameraId=${ids.camA1}&status=bogus`))).toMatch(/^400 /);
  });

  it('a clip, a violation and a review item of another store', async () => {
    expect(answer(await call('foreign', 'GET', `/api/violations?clipId=${ids.clipA1}&status=bogus`))).toBe('404 clip not found or no access');
    expect(answer(await call('manager', 'GET', `/api/violations?clipId=${ids.clipA1}&status=bogus`))).toMatch(/^400 /);
    const review = `/api/violations/${encodeURIComponent(ids.violationA1)}/reviews`;
    expect(answer(await call('foreign', 'POST', review, { payload: { decision: 'x' } }))).toBe('404 violation not found or no access');
    const decision = `/api/review-items/${encodeURIComponent(ids.reviewA1)}/decision`;
    expect(answer(await call('foreign', 'POST', decision, { payload: { decision: 'x' } }))).toBe('404 review item not found or no access');
    expect(answer(await call('manager', 'POST', decision, { payload: { decision: 'x' } }))).toMatch(/^400 /);
  });
});

describe('lists cover the caller\'s stores only', () => {
  it('an unfiltered list shows every store of the caller and none of another', async () => {
    const clips = async (who: Who, query = '') => (await call(who, 'GET', `/api/clips${query}`)).json<Array<{ id: string }>>().map((c) => c.id);
    expect(await clips('manager')).toEqual([ids.clipA1]);
    expect(await clips('owner')).toEqual([ids.clipA1]);
    expect(await clips('owner', `?storeId=${ids.a1}`)).toEqual([ids.clipA1]);
    expect(await clips('owner', `?storeId=${ids.a2}`)).toEqual([]);
    expect(await clips('foreign')).toEqual([]);
  });
});

describe('ids in bodies, which the guard never sees, are loaded within the caller\'s stores', () => {
  const status = async (who: Who): Promise<string> => (await call(who, 'GET', `/api/violations/${encodeURIComponent(ids.violationA1)}`)).json<{ status: string }>().status;

  it('bulk review: one foreign or unknown id and nothing is decided; the store\'s own ids are', async () => {
    const bulk = (who: Who, list: string[]) => call(who, 'POST', '/api/violations/reviews', { payload: { ids: list, decision: 'confirmed' } });
    expect(answer(await bulk('foreign', [ids.violationA1]))).toBe('404 violation not found or no access');
    expect(answer(await bulk('manager', [ids.violationA1, 'no-such-violation']))).toBe('404 violation not found or no access');
    expect(await status('manager')).toBe('open');
    const done = await bulk('manager', [ids.violationA1]);
    expect(done.statusCode).toBe(201);
    expect(done.json<{ violations: Array<{ id: string; status: string }> }>().violations).toEqual([expect.objectContaining({ id: ids.violationA1, status: 'confirmed' })]);
    const undo = (who: Who) => call(who, 'POST', '/api/violations/reviews/undo', { payload: { ids: [ids.violationA1] } });
    expect(answer(await undo('foreign'))).toBe('404 violation not found or no access');
    expect(await status('manager')).toBe('confirmed');
    expect((await undo('manager')).statusCode).toBe(200);
    expect(await status('manager')).toBe('open');
  });

  it('the dry run\'s clipId: a clip of another store than the path\'s is not found', async () => {
    const yaml = 'id: access-dry\ntitle: Access dry run\nversion: 1\ncameras: ["*"]\nzones:\n  "*":\n    counter: [[0, 0], [1, 0], [1, 1], [0, 1]]\nrules:\n  - id: staffed\n    kind: required\n    when: { person_in: counter }\n    max_gap: 1s\n';
    const dry = (store: string) => call('owner', 'POST', `/api/stores/${store}/sops/dry-run`, { payload: { yaml, clipId: ids.clipA1 } });
    expect(answer(await dry(ids.a2))).toBe('404 clip not found or no access');
    // The store's own clip is found; its video file does not exist here, so the run fails later, and not with a 404.
    expect((await dry(ids.a1)).statusCode).not.toBe(404);
  });

  it('enablement cameraIds: cameras of another store are refused by name, the store\'s own pass the check', async () => {
    const enable = (cameraIds: string[]) => call('owner', 'PUT', `/api/stores/${ids.a1}/sops/no-such-sop/enablement`, { payload: { enabled: true, cameraIds } });
    const refused = await enable([ids.camA1, ids.camA2]);
    expect(refused.statusCode).toBe(422);
    expect(refused.json<{ message: string }>().message).toBe(`not cameras of this store: ${ids.camA2}`);
    expect(refused.json<{ details?: unknown }>().details).toEqual({ cameraIds: [ids.camA2] });
    // No camera list (every camera) and an explicit null skip the check and reach the SOP lookup.
    for (const payload of [{ enabled: true }, { enabled: true, cameraIds: null }]) {
      expect(answer(await call('owner', 'PUT', `/api/stores/${ids.a1}/sops/no-such-sop/enablement`, { payload }))).toBe('404 not found or no access');
    }
    // Past the check, the SOP itself is looked up: this one does not exist.
    expect(answer(await enable([ids.camA1]))).toBe('404 not found or no access');
  });

  it('a repeated query id is not an id: it is refused by validation, not looked up', async () => {
    expect(answer(await call('manager', 'GET', `/api/violations?storeId=${ids.a1}&storeId=${ids.a1}`))).toMatch(/^400 /);
  });
});
