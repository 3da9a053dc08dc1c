// Sign-in (rate-limited, one answer for every failure), sign-out, sign-out everywhere, and "who am I".
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { callerOf } from '../access.ts';
import { LoginBody, Me } from '../schemas/auth.ts';
import { ErrorBody, Ok } from '../schemas/common.ts';
import { HttpError } from '../http-errors.ts';
import { dummyHash, verifyPassword } from '../auth/password.ts';
import { CSRF_COOKIE, SESSION_COOKIE, csrfTokenFor, newSessionToken, sessionTokenHash } from '../auth/tokens.ts';
import type { Caller } from '../plugins/app/context.ts';

const errors = { 401: Type.Ref(ErrorBody), 403: Type.Ref(ErrorBody), 429: Type.Ref(ErrorBody) };

function me(c: Caller): Me {
  return { id: c.userId, email: c.email, role: c.role, franchise: c.franchise, storeIds: c.storeIds, csrfToken: c.csrfToken, expiresAt: c.expiresAt.toISOString() };
}

export async function authRoutes(app: FastifyInstance): Promise<void> {
  const { repos, limiter, config } = app.sopwatch;
  const secure = (req: FastifyRequest): boolean => config.cookieSecure === 'always' || (config.cookieSecure === 'auto' && req.protocol === 'https');
  const clear = (reply: FastifyReply): void => {
    void reply.clearCookie(SESSION_COOKIE, { path: '/' }).clearCookie(CSRF_COOKIE, { path: '/' });
  };

  app.post<{ Body: LoginBody }>('/api/auth/login', {
    config: { access: 'public' },
    schema: { tags: ['auth'], summary: 'Sign in', security: [], body: LoginBody, response: { 200: Me, ...errors } },
  }, async (req, reply) => {
    const email = req.body.email.trim();
    const waitMs = limiter.retryAfterMs(req.ip, email);
    if (waitMs > 0) {
      throw new HttpError(429, 'rate_limited', 'too many failed sign-ins: wait and try again', { headers: { 'retry-after': String(Math.ceil(waitMs / 1000)) } });
    }
    const user = await repos.users.findByEmail(email);
    const usable = user !== undefined && user.disabledAt === null;
    // An unknown or disabled account costs the same hash as a wrong password: timing tells nothing.
    const ok = await verifyPassword(req.body.password, usable ? user.passwordHash : await dummyHash());
    if (!usable || !ok) {
      limiter.fail(req.ip, email);
      await repos.audit.append({ actor: 'anonymous', action: 'auth.login_failed', detail: { email: email.toLowerCase(), ip: req.ip } });
      throw new HttpError(401, 'invalid_credentials', 'wrong email or password');
    }
    limiter.succeed(req.ip, email);
    const token = newSessionToken();
    const session = await repos.sessions.create(sessionTokenHash(token), user.id, new Date(Date.now() + config.sessionTtlMs));
    const cookie = { path: '/', sameSite: 'lax' as const, secure: secure(req), expires: session.expiresAt };
    void reply.setCookie(SESSION_COOKIE, token, { ...cookie, httpOnly: true });
    void reply.setCookie(CSRF_COOKIE, csrfTokenFor(token), { ...cookie, httpOnly: false });
    await repos.audit.append({ actor: user.id, action: 'auth.login', detail: { ip: req.ip } });
    return me({
      userId: user.id, email: user.email, role: user.role, franchise: user.franchise, sessionId: session.id,
      csrfToken: csrfTokenFor(token), expiresAt: session.expiresAt, storeIds: await repos.users.storeIds(user),
    });
  });

  app.get('/api/auth/me', { schema: { tags: ['auth'], summary: 'The signed-in user', response: { 200: Me, ...errors } } }, async (req) => me(callerOf(req)));

  app.post('/api/auth/logout', {
    config: { access: 'self' },
    schema: { tags: ['auth'], summary: 'Sign out (revokes this session)', response: { 200: Ok, ...errors } },
  }, async (req, reply) => {
    const caller = callerOf(req);
    await repos.sessions.revoke(caller.sessionId);
    await repos.audit.append({ actor: caller.userId, action: 'auth.logout' });
    clear(reply);
    return { ok: true as const };
  });

  app.post('/api/auth/logout-all', {
    config: { access: 'self' },
    schema: { tags: ['auth'], summary: 'Sign out everywhere (revokes every session of this user)', response: { 200: Type.Object({ revoked: Type.Integer() }), ...errors } },
  }, async (req, reply) => {
    const caller = callerOf(req);
    const revoked = await repos.sessions.revokeAllFor(caller.userId);
    await repos.audit.append({ actor: caller.userId, action: 'auth.logout_all', detail: { revoked } });
    clear(reply);
    return { revoked };
  });
}
