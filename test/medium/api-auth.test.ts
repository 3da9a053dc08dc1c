// Sign-in, rate limit, CSRF and Origin checks, cookies, session revocation and disabling, passwords, the audit trail.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addUser, buildApp, CSRF_HEADER, SESSION_COOKIE, disableUser, hashPassword, verifyPassword } from '../../services/api/index.ts';
import { DatabaseError } from '../../services/core/storage/index.ts';
import { UserRepository } from '../../services/core/storage/users.repository.ts';
import { apiFixture, PASSWORD, USERS, type ApiFixture } from './api-fixture.ts';

let f: ApiFixture;
beforeAll(async () => {
  f = await apiFixture({ config: { loginMaxFailures: 3 } });
});
afterAll(async () => f?.close());

const login = (email: string, password: string, remoteAddress = '10.0.0.1', headers: Record<string, string> = {}) =>
  f.app.inject({ method: 'POST', url: '/api/auth/login', payload: { email, password }, remoteAddress, headers });

describe('sign-in', () => {
  it('gives the same answer for an unknown email and a wrong password', async () => {
    const unknown = await login('nobody@nowhere.test', 'whatever-password-1', '10.0.0.2');
    const wrong = await login(USERS.managerA, 'wrong-password-123', '10.0.0.2');
    expect(unknown.statusCode).toBe(401);
    expect(wrong.statusCode).toBe(401);
    expect(unknown.json()).toEqual(wrong.json());
    expect(unknown.cookies).toEqual([]);
  });

  it('sets an HttpOnly SameSite=Lax session cookie, not Secure over plain HTTP, and a readable CSRF cookie', async () => {
    const res = await login(USERS.managerA, PASSWORD, '10.0.0.3');
    expect(res.statusCode).toBe(200);
    const session = res.cookies.find((c) => c.name === SESSION_COOKIE);
    expect(session).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/' });
    expect(session?.secure).toBeUndefined();
    const csrf = res.cookies.find((c) => c.name === 'sopwatch_csrf');
    expect(csrf?.httpOnly).toBeUndefined();
    expect(csrf?.value).toBe((res.json<{ csrfToken: string }>()).csrfToken);
    // Only a hash of the token is stored.
    const rows = await f.db.query('SELECT id FROM sessions');
    expect(rows.rows.map((r) => r.id)).not.toContain(session?.value);
  });

  it('marks the cookie Secure when configured for TLS', async () => {
    const app = buildApp({ db: f.db, queue: f.queue, dataDir: f.dataDir, config: { cookieSecure: 'always' } });
    const res = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { email: USERS.managerA, password: PASSWORD }, remoteAddress: '10.0.0.4' });
    expect(res.cookies.find((c) => c.name === SESSION_COOKIE)?.secure).toBe(true);
    await app.close();
  });

  it('limits failed sign-ins per IP and email, with 429 even for the right password, while other IPs still work', async () => {
    for (let i = 0; i < 3; i++) expect((await login(USERS.auditorA, `bad-password-${i}xx`, '10.0.0.9')).statusCode).toBe(401);
    const limited = await login(USERS.auditorA, PASSWORD, '10.0.0.9');
    expect(limited.statusCode).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect((await login(USERS.auditorA, PASSWORD, '10.0.0.10')).statusCode).toBe(200);
    // An unknown email is limited the same way, so the limit tells nothing either.
    for (let i = 0; i < 3; i++) await login('ghost@nowhere.test', `bad-password-${i}xx`, '10.0.0.9');
    expect((await login('ghost@nowhere.test', 'bad-password-9xx', '10.0.0.9')).statusCode).toBe(429);
  });

  it('records sign-ins and failures in the append-only audit log', async () => {
    const rows = await f.db.query<{ action: string }>("SELECT action FROM audit_log WHERE action LIKE 'auth.%'");
    const actions = rows.rows.map((r) => r.action);
    expect(actions).toContain('auth.login');
    expect(actions).toContain('auth.login_failed');
    const err = await f.db.query("UPDATE audit_log SET action = 'x'").then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(DatabaseError);
  });
});

describe('CSRF and Origin', () => {
  it('refuses a state-changing request without the CSRF header, with a wrong one, and from another origin', async () => {
    const s = await f.login(USERS.managerA);
    const url = `/api/stores/${f.stores.a1}/cameras`;
    const cookie = `${SESSION_COOKIE}=${s.cookie}`;
    const none = await f.app.inject({ method: 'POST', url, payload: { name: 'csrf-cam' }, headers: { cookie } });
    expect(none.statusCode).toBe(403);
    const wrong = await f.app.inject({ method: 'POST', url, payload: { name: 'csrf-cam' }, headers: { cookie, [CSRF_HEADER]: 'x'.repeat(43) } });
    expect(wrong.statusCode).toBe(403);
    const evil = await f.call(s, { method: 'POST', url, payload: { name: 'csrf-cam' }, headers: { origin: 'https://evil.example' } });
    expect(evil.statusCode).toBe(403);
    expect((await f.call(s, { method: 'POST', url: '/api/auth/login', payload: { email: USERS.managerA, password: PASSWORD }, headers: { origin: 'https://evil.example' } })).statusCode).toBe(403);
    const cams = await f.call(s, { method: 'GET', url });
    expect((cams.json<Array<{ name: string }>>()).map((c) => c.name)).not.toContain('csrf-cam');
    const ok = await f.call(s, { method: 'POST', url, payload: { name: 'csrf-cam' }, headers: { origin: 'http://localhost:80' } });
    expect(ok.statusCode).toBe(201);
  });
});

describe('sessions', () => {
  it('revokes a session on sign-out: the old cookie gets 401', async () => {
    const s = await f.login(USERS.managerA);
    expect((await f.call(s, { method: 'GET', url: '/api/auth/me' })).statusCode).toBe(200);
    expect((await f.call(s, { method: 'POST', url: '/api/auth/logout' })).statusCode).toBe(200);
    expect((await f.call(s, { method: 'GET', url: '/api/auth/me' })).statusCode).toBe(401);
  });

  it('signs out everywhere, and disabling a user ends their sessions at once', async () => {
    const one = await f.login(USERS.owner2);
    const two = await f.login(USERS.owner2);
    const res = await f.call(one, { method: 'POST', url: '/api/auth/logout-all' });
    expect(res.json()).toEqual({ revoked: 2 });
    expect((await f.call(two, { method: 'GET', url: '/api/stores' })).statusCode).toBe(401);

    const s = await f.login(USERS.managerB);
    const disabled = await disableUser(f.db, USERS.managerB, 'test');
    expect((await f.call(s, { method: 'GET', url: '/api/stores' })).statusCode).toBe(401);
    expect((await login(USERS.managerB, PASSWORD, '10.0.0.50')).statusCode).toBe(401);
    // Both are in the audit log by name: who signed out everywhere (and how many sessions ended), and who was disabled.
    const owner2 = await new UserRepository(f.db).findByEmail(USERS.owner2);
    const trail = await f.db.query<{ actor: string; action: string; target: string | null; detail: Record<string, unknown> }>(
      `SELECT actor, action, target, detail FROM audit_log WHERE action IN ('auth.logout_all', 'user.disable') ORDER BY id`,
    );
    expect(trail.rows).toEqual([
      { actor: owner2?.id, action: 'auth.logout_all', target: null, detail: { revoked: 2 } },
      { actor: 'test', action: 'user.disable', target: disabled.id, detail: {} },
    ]);
  });

  it('refuses an expired session', async () => {
    const s = await f.login(USERS.managerA);
    await f.db.query("UPDATE sessions SET expires_at = now() - interval '1 second'");
    expect((await f.call(s, { method: 'GET', url: '/api/auth/me' })).statusCode).toBe(401);
  });
});

describe('passwords', () => {
  it('hashes with salted scrypt and verifies only the right password', async () => {
    const a = await hashPassword('a long enough password');
    const b = await hashPassword('a long enough password');
    expect(a).toMatch(/^scrypt\$32768\$8\$1\$[\w-]{22}\$[\w-]{43}$/);
    expect(a).not.toBe(b);
    expect(await verifyPassword('a long enough password', a)).toBe(true);
    expect(await verifyPassword('a long enough passwore', a)).toBe(false);
    expect(await verifyPassword('a long enough password', 'plain')).toBe(false);
  });

  it('keeps the product\'s cost for an account made without `hashing`; a fixture\'s cheaper account signs in through the same check', async () => {
    const users = new UserRepository(f.db);
    await addUser(f.db, { email: 'cost@a1.test', role: 'manager', stores: [f.stores.a1], password: PASSWORD });
    expect((await users.findByEmail('cost@a1.test'))?.passwordHash).toMatch(/^scrypt\$32768\$8\$1\$/);
    expect((await users.findByEmail(USERS.managerA))?.passwordHash).toMatch(/^scrypt\$1024\$8\$1\$/);
    expect((await login('cost@a1.test', PASSWORD, '10.0.0.40')).statusCode).toBe(200);
    expect((await login(USERS.managerA, PASSWORD, '10.0.0.41')).statusCode).toBe(200);
    expect((await login(USERS.managerA, 'correct horse battery stapler', '10.0.0.42')).statusCode).toBe(401);
  });
});
