// Authentication for every route (deny by default), CSRF and Origin checks on state-changing requests, role gates.
import type { FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { HttpError, forbidden, notFound, unauthorized } from '../../http-errors.ts';
import type { Caller } from './context.ts';
import { isLoopbackHost } from './host-guard.ts';
import { CSRF_HEADER, SESSION_COOKIE, csrfTokenFor, sameToken, sessionTokenHash } from '../../auth/tokens.ts';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * A browser always sends Origin on cross-site POSTs; a request from our own page carries our origin: the configured
 * public origin, or (on a loopback name only) the request's own. The Host header alone never makes an origin ours:
 * a DNS-rebinding page controls it. Requests without Origin (curl, server-to-server) are judged by the CSRF token alone.
 */
function checkOrigin(req: FastifyRequest, publicOrigin: string | undefined): void {
  const origin = req.headers.origin;
  const site = req.headers['sec-fetch-site'];
  if (site === 'cross-site') throw forbidden('cross-site request refused');
  if (origin === undefined) return;
  if (publicOrigin !== undefined && origin === publicOrigin) return;
  if (isLoopbackHost(req.host) && origin === `${req.protocol}://${req.host}`) return;
  throw forbidden(`request from origin ${origin} refused`);
}

function bearer(req: FastifyRequest): string | undefined {
  const h = req.headers.authorization;
  return h?.startsWith('Bearer ') === true ? h.slice(7).trim() : undefined;
}

export const authPlugin = fp(async (app) => {
  const { repos, config } = app.sopwatch;
  app.decorateRequest('caller', undefined);

  app.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
    // A path no route matches is answered 404 by the not-found handler, with nothing to leak.
    if (req.routeOptions.url === undefined) return;
    const access = req.routeOptions.config.access ?? 'session';
    const safe = SAFE_METHODS.has(req.method);
    if (!safe) checkOrigin(req, config.publicOrigin);
    if (access === 'public') return;
    if (access === 'metrics') {
      const token = bearer(req);
      if (config.metricsToken === undefined || token === undefined || !sameToken(token, config.metricsToken)) {
        throw new HttpError(401, 'unauthorized', 'metrics need the bearer token set in SOPWATCH_METRICS_TOKEN');
      }
      return;
    }
    const token = req.cookies[SESSION_COOKIE];
    if (token === undefined || token === '') throw unauthorized();
    const session = await repos.sessions.findActive(sessionTokenHash(token));
    if (session === undefined) {
      void reply.clearCookie(SESSION_COOKIE, { path: '/' });
      throw unauthorized('your session has ended: sign in again');
    }
    const csrfToken = csrfTokenFor(token);
    if (!safe) {
      const sent = req.headers[CSRF_HEADER];
      if (typeof sent !== 'string' || !sameToken(sent, csrfToken)) throw forbidden(`missing or wrong ${CSRF_HEADER} header`);
    }
    req.caller = {
      userId: session.userId,
      email: session.email,
      role: session.role,
      franchise: session.franchise,
      sessionId: session.id,
      csrfToken,
      expiresAt: session.expiresAt,
      storeIds: await repos.users.storeIds({ id: session.userId, role: session.role, franchise: session.franchise }),
    };
    if (access === 'owner' && session.role !== 'owner') throw forbidden('only an owner may do this');
    if (!safe && access !== 'self' && session.role === 'auditor') throw forbidden('auditors have read-only access');
    await guardIds(req, req.caller);
  });

  /**
   * Every id a route names (path or query) is checked before the body is read or validated, whatever the route
   * does later: an object outside the caller's stores is "not found". Routes check again where they load it.
   */
  async function guardIds(req: FastifyRequest, caller: Caller): Promise<void> {
    const params = { ...(req.query as Record<string, unknown>), ...(req.params as Record<string, unknown>) };
    const id = (key: string): string | undefined => (typeof params[key] === 'string' ? params[key] : undefined);
    const storeId = id('storeId');
    if (storeId !== undefined && !caller.storeIds.includes(storeId)) throw notFound('store');
    const cameraId = id('cameraId');
    if (cameraId !== undefined && !(await repos.cameras.get(cameraId, storeId === undefined ? caller.storeIds : [storeId]))) throw notFound('camera');
    const clipId = id('clipId');
    if (clipId !== undefined && !(await repos.clips.get(clipId, caller.storeIds))) throw notFound('clip');
    const violationId = id('violationId');
    if (violationId !== undefined && !(await repos.violations.get(violationId, caller.storeIds))) throw notFound('violation');
    const reviewItemId = id('reviewItemId');
    if (reviewItemId !== undefined && !(await repos.reviewItems.get(reviewItemId, caller.storeIds))) throw notFound('review item');
  }
}, { name: 'sopwatch-auth', dependencies: ['sopwatch-context', '@fastify/cookie'] });
