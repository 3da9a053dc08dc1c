// DNS rebinding (issue 10): with the Host check `serve` turns on, only loopback names and the host of
// SOPWATCH_PUBLIC_ORIGIN are answered; the Origin check trusts the configured public origin, never a Host header.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseEnv } from '../../services/core/env.ts';
import { apiFixture, USERS, type ApiFixture } from './api-fixture.ts';

const PUBLIC = 'https://sop.example.com';

describe('Host check on (as serve runs it), with a public origin', () => {
  let f: ApiFixture;
  beforeAll(async () => {
    f = await apiFixture({ config: { hostCheck: true, publicOrigin: PUBLIC } });
  });
  afterAll(async () => f?.close());

  it.each(['localhost', 'localhost:8080', '127.0.0.1:8080', '127.9.9.9', '[::1]:8080', 'sop.example.com', 'SOP.example.com'])('answers Host %s', async (host) => {
    expect((await f.call(undefined, { method: 'GET', url: '/healthz', headers: { host } })).statusCode).toBe(200);
  });

  it.each(['evil.example', 'sop.example.com.evil.example', 'sop.example.com:444', '10.0.0.5:8080', '127.0.0.1.evil.example', 'localhost.evil.example'])('refuses Host %s (421) on every route', async (host) => {
    for (const [method, url] of [['GET', '/healthz'], ['GET', '/api/auth/me'], ['POST', '/api/auth/login'], ['GET', '/nowhere']] as const) {
      const res = await f.call(undefined, { method, url, headers: { host }, ...(method === 'POST' ? { payload: { email: USERS.managerA, password: 'x' } } : {}) });
      expect(res.statusCode, `${method} ${url} ${host}`).toBe(421);
      expect(res.json<{ message: string }>().message).toContain('sop.example.com (SOPWATCH_PUBLIC_ORIGIN)');
    }
  });

  it('accepts a write from the public origin and refuses one from a rebinding page', async () => {
    const manager = await f.login(USERS.managerA);
    const url = `/api/stores/${f.stores.a1}/cameras`;
    const ok = await f.call(manager, { method: 'POST', url, payload: { name: 'pub-cam' }, headers: { host: 'sop.example.com', origin: PUBLIC } });
    expect(ok.statusCode, ok.body).toBe(201);
    const rebound = await f.call(manager, { method: 'POST', url, payload: { name: 'evil-cam' }, headers: { host: 'sop.example.com', origin: 'https://evil.example' } });
    expect(rebound.statusCode).toBe(403);
  });
});

describe('Origin check without a public origin (Host check off)', () => {
  let f: ApiFixture;
  beforeAll(async () => {
    f = await apiFixture();
  });
  afterAll(async () => f?.close());

  it('a page whose own name resolves here (Host = Origin = evil) is refused: the Host header never makes an origin ours', async () => {
    const manager = await f.login(USERS.managerA);
    const url = `/api/stores/${f.stores.a1}/cameras`;
    const rebound = await f.call(manager, { method: 'POST', url, payload: { name: 'rebound' }, headers: { host: 'evil.example:8080', origin: 'http://evil.example:8080' } });
    expect(rebound.statusCode, rebound.body).toBe(403);
    const login = await f.call(undefined, { method: 'POST', url: '/api/auth/login', payload: { email: USERS.managerA, password: 'x' }, headers: { host: 'evil.example', origin: 'http://evil.example' } });
    expect(login.statusCode).toBe(403);
    // The dashboard on a loopback name still works.
    const own = await f.call(manager, { method: 'POST', url, payload: { name: 'own' }, headers: { host: '127.0.0.1:8080', origin: 'http://127.0.0.1:8080' } });
    expect(own.statusCode, own.body).toBe(201);
  });
});

describe('SOPWATCH_PUBLIC_ORIGIN', () => {
  it('is normalised to an origin and refused when it is not one', () => {
    expect(parseEnv({ SOPWATCH_PUBLIC_ORIGIN: 'https://SOP.example.com/' }).publicOrigin).toBe('https://sop.example.com');
    expect(parseEnv({ SOPWATCH_PUBLIC_ORIGIN: 'http://10.0.0.5:8080' }).publicOrigin).toBe('http://10.0.0.5:8080');
    for (const bad of ['sop.example.com', 'ftp://x', 'https://sop.example.com/app', 'https://u:p@sop.example.com', 'https://x?y=1']) {
      expect(() => parseEnv({ SOPWATCH_PUBLIC_ORIGIN: bad }), bad).toThrow(/SOPWATCH_PUBLIC_ORIGIN must be an origin/);
    }
  });
});
