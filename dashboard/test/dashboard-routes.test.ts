// The dashboard's own API routes and page serving, on the API test fixture's database: who may call them, what they answer.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, CSRF_HEADER, SESSION_COOKIE } from '../../services/api/index.ts';
import { dashboardPlugin } from '../../services/api/plugins/app/dashboard.plugin.ts';
import { ClipRepository } from '../../services/core/storage/index.ts';
import { apiFixture, SOP_YAML, USERS, type ApiFixture, type Session } from '../../test/medium/api-fixture.ts';

let f: ApiFixture;
let app: FastifyInstance;
let manager: Session;
let foreign: Session;
let auditor: Session;

const call = (session: Session | undefined, method: 'GET' | 'POST', url: string, payload?: unknown) => app.inject({
  method, url, ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
  headers: session ? { cookie: `${SESSION_COOKIE}=${session.cookie}`, [CSRF_HEADER]: session.csrf } : {},
});

beforeAll(async () => {
  f = await apiFixture();
  // A second app over the fixture's database, with the dashboard's pages registered as `serve` does
  // (its API routes are part of buildApp).
  app = buildApp({ db: f.db, queue: f.queue, dataDir: f.dataDir });
  await app.register(dashboardPlugin);
  await app.ready();
  const login = async (email: string): Promise<Session> => {
    const res = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { email, password: 'correct horse battery staple' } });
    return { cookie: res.cookies.find((c) => c.name === SESSION_COOKIE)?.value ?? '', csrf: res.json<{ csrfToken: string }>().csrfToken };
  };
  [manager, foreign, auditor] = [await login(USERS.managerA), await login(USERS.managerB), await login(USERS.auditorA)];
}, 60_000);
afterAll(async () => {
  await app?.close();
  await f?.close();
});

describe('dashboard routes', () => {
  it('refuse anonymous callers, callers of another store, and auditors on the ones that compute or run', async () => {
    const a1 = f.stores.a1;
    const routes: Array<['GET' | 'POST', string, unknown]> = [
      ['GET', `/api/clips/${f.a1.clipId}/summary`, undefined],
      ['GET', `/api/stores/${a1}/sops/counter-staffed/explanation`, undefined],
      ['POST', `/api/stores/${a1}/sops/explanation`, { yaml: SOP_YAML }],
      ['POST', `/api/stores/${a1}/sops/dry-run`, { yaml: SOP_YAML, clipId: f.a1.clipId }],
    ];
    for (const [method, url, body] of routes) {
      expect((await call(undefined, method, url, body)).statusCode, url).toBe(401);
      const res = await call(foreign, method, url, body);
      expect(res.statusCode, url).toBe(404);
      expect(res.body).not.toContain('counter');
      expect((await call(auditor, method, url, body)).statusCode, url).toBe(method === 'GET' ? 200 : 403);
    }
  });

  it('explains a stored SOP version in plain English with its zones and rule lanes', async () => {
    const res = await call(manager, 'GET', `/api/stores/${f.stores.a1}/sops/counter-staffed/explanation`);
    expect(res.statusCode).toBe(200);
    const body = res.json<{ version: number; explanation: string; zones: Record<string, Record<string, unknown>>; rules: Array<{ rule: string; kind: string; severity: string }> }>();
    expect(body.version).toBe(1);
    expect(body.explanation).toMatch(/^Counter staffed \(counter-staffed/);
    expect(body.explanation).toContain('flags any stretch longer than 1 s when no person is in zone counter');
    expect(Object.keys(body.zones['*'] ?? {})).toEqual(['counter']);
    expect(body.rules.map((r) => `${r.rule}:${r.kind}:${r.severity}`)).toEqual(['staffed:required:high', 'staffed-loosely:required:medium']);
  });

  it('checks a draft without storing it: every problem at its line, like an upload', async () => {
    const bad = SOP_YAML.replace('person_in: counter }\n    max_gap: 1s', 'person_in: countr }\n    max_gap: 1s');
    const res = await call(manager, 'POST', `/api/stores/${f.stores.a1}/sops/explanation`, { yaml: bad, fileName: 'draft.yaml' });
    expect(res.statusCode).toBe(422);
    const details = res.json<{ details: Array<{ file: string; line: number; message: string }> }>().details;
    expect(details[0]).toMatchObject({ file: 'draft.yaml', line: 11 });
    expect(details[0]?.message).toMatch(/countr/);
    const ok = await call(manager, 'POST', `/api/stores/${f.stores.a1}/sops/explanation`, { yaml: SOP_YAML.replace('max_gap: 2s', 'max_gap: 5s') });
    expect(ok.statusCode).toBe(200);
    expect(ok.json<{ version: null; explanation: string }>()).toMatchObject({ version: null, explanation: expect.stringContaining('longer than 5 s when no person is in zone counter') });
    const versions = await call(manager, 'GET', `/api/stores/${f.stores.a1}/sops/counter-staffed/versions`);
    expect(versions.json<unknown[]>()).toHaveLength(1);
  });

  it('gives a clip\'s rule lanes from the files in force, and no length when the video file is gone', async () => {
    const res = await call(manager, 'GET', `/api/clips/${f.a1.clipId}/summary`);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      clipId: f.a1.clipId, durationS: null, width: null, height: null,
      rules: [
        expect.objectContaining({ sop: 'counter-staffed', sopVersion: 1, rule: 'staffed', kind: 'required', shadow: false, enabled: true, steps: [] }),
        expect.objectContaining({ rule: 'staffed-loosely' }),
      ],
    });
  });

  it('dry-runs a draft on a real clip of the store and stores nothing', async () => {
    const path = join(f.dataDir, 'clips', 'gray.mp4');
    execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'color=c=gray:s=320x240:d=3:r=5', '-pix_fmt', 'yuv420p', '-c:v', 'libx264', path]);
    const clip = await new ClipRepository(f.db).create({ storeId: f.stores.a1, cameraId: f.a1.cameraId, filename: 'gray.mp4', path, bytes: 1 });
    const draft = SOP_YAML.replace('max_gap: 2s', 'max_gap: 10s');
    const res = await call(manager, 'POST', `/api/stores/${f.stores.a1}/sops/dry-run`, { yaml: draft, clipId: clip.id });
    expect(res.statusCode, res.body).toBe(200);
    const run = res.json<{ durationS: number; complete: boolean; violations: Array<{ rule: string; kind: string }> }>();
    expect(run.complete).toBe(true);
    expect(run.durationS).toBeCloseTo(3, 0);
    // Nobody at the counter for 3 s: over the 1 s gap, under the draft's 10 s.
    expect(run.violations.map((v) => `${v.rule}:${v.kind}`)).toEqual(['staffed:gap']);
    expect((await call(manager, 'GET', `/api/violations?clipId=${clip.id}`)).json<unknown[]>()).toEqual([]);
    expect((await call(manager, 'POST', `/api/stores/${f.stores.a1}/sops/dry-run`, { yaml: draft, clipId: 'no-such-clip' })).statusCode).toBe(404);
  }, 120_000);

  it('serves the pages and the bundle with a page CSP, and the shell in the browser\'s language', async () => {
    const page = await app.inject({ method: 'GET', url: '/alerts', headers: { 'accept-language': 'zh-CN,zh;q=0.9,en;q=0.5' } });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.headers['content-security-policy']).not.toContain('unsafe-inline');
    expect(page.body).toContain('<html lang="zh-CN">');
    const js = /src="(\/assets\/app\.[0-9a-f]{12}\.js)"/.exec(page.body)?.[1] ?? '';
    const css = /href="(\/assets\/app\.[0-9a-f]{12}\.css)"/.exec(page.body)?.[1] ?? '';
    const bundle = await app.inject({ method: 'GET', url: js, headers: { 'accept-encoding': 'gzip' } });
    expect(bundle.statusCode).toBe(200);
    expect(bundle.headers['content-encoding']).toBe('gzip');
    expect(bundle.headers['cache-control']).toContain('immutable');
    expect((await app.inject({ method: 'GET', url: css })).headers['content-type']).toMatch(/^text\/css/);
    expect((await app.inject({ method: 'GET', url: js, headers: { 'if-none-match': String(bundle.headers.etag) } })).statusCode).toBe(304);
    expect((await app.inject({ method: 'GET', url: '/assets/app.000000000000.js' })).statusCode).toBe(404);
    expect((await app.inject({ method: 'GET', url: '/', headers: { 'accept-language': 'fr-FR,en;q=0.8' } })).body).toContain('<html lang="en">');
    // The API keeps its own strict policy.
    expect((await app.inject({ method: 'GET', url: '/healthz' })).headers['content-security-policy']).toBe("default-src 'none'; frame-ancestors 'none'");
  }, 60_000);
});
