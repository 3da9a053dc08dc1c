// The HTTP API of `sopwatch serve`: buildApp(deps) loads plugins in order (external, app, routes) and returns fastify.
import Fastify, { type FastifyInstance } from 'fastify';
import { LoginLimiter } from './auth/login-limiter.ts';
import { defaultApiConfig, type ApiConfig, type ApiDeps } from './deps.ts';
import { cookiePlugin } from './plugins/external/cookie.ts';
import { multipartPlugin } from './plugins/external/multipart.ts';
import { swaggerPlugin } from './plugins/external/swagger.ts';
import { authPlugin } from './plugins/app/auth.ts';
import { contextPlugin } from './plugins/app/context-plugin.ts';
import type { AppContext } from './plugins/app/context.ts';
import { errorsPlugin } from './plugins/app/errors.ts';
import { hostGuardPlugin } from './plugins/app/host-guard.ts';
import { inputGuardPlugin } from './plugins/app/input-guard.ts';
import { LiveFeed } from './plugins/app/live-feed.ts';
import { createRepos } from './plugins/app/repositories.ts';
import { routes } from './routes/index.ts';

export type { ApiConfig, ApiDeps } from './deps.ts';
export { defaultApiConfig } from './deps.ts';
export type { Access, AppContext, Caller, RouteInfo } from './plugins/app/context.ts';
export { addUser, disableUser, type AddUserInput, type AddUserResult } from './accounts.service.ts';
export { hashPassword, verifyPassword, generatePassword, checkPasswordPolicy, DEFAULT_SCRYPT, type ScryptParams } from './auth/password.ts';
export { CSRF_COOKIE, CSRF_HEADER, SESSION_COOKIE } from './auth/tokens.ts';
export { clipJobId, queueClipAnalysis } from './clip-jobs.ts';

export function buildApp(deps: ApiDeps): FastifyInstance {
  const config: ApiConfig = { ...defaultApiConfig, ...deps.config };
  const app = Fastify({
    logger: deps.logger ?? false,
    // Uploads stream for minutes; a slow client still cannot hold a connection for ever.
    requestTimeout: config.requestTimeoutMs,
    connectionTimeout: config.requestTimeoutMs,
    bodyLimit: 512 * 1024,
    // Violation ids of live cameras (`camera/<store>/<camera>/<engine id>`) run past fastify's default of 100, percent-encoded.
    routerOptions: { maxParamLength: 2048 },
    trustProxy: false,
    return503OnClosing: true,
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    ajv: { customOptions: { removeAdditional: true, coerceTypes: 'array', useDefaults: true } },
  });
  const repos = createRepos(deps.db);
  const context: AppContext = {
    deps,
    config,
    repos,
    limiter: new LoginLimiter({ maxFailures: config.loginMaxFailures, windowMs: config.loginWindowMs }),
    feed: new LiveFeed(repos.changes, config.feedIntervalMs, (err) => app.log.warn({ err }, 'live feed read failed')),
    routes: [],
    httpResponses: new Map(),
  };
  // Order matters: outside plugins, then ours (context before auth), then the routes.
  void app.register(cookiePlugin);
  void app.register(multipartPlugin, { maxUploadBytes: config.maxUploadBytes });
  void app.register(swaggerPlugin);
  void app.register(contextPlugin, { context });
  void app.register(errorsPlugin);
  void app.register(hostGuardPlugin, { enabled: config.hostCheck, ...(config.publicOrigin === undefined ? {} : { publicOrigin: config.publicOrigin }) });
  // Before auth: the auth hook already looks ids up in the database.
  void app.register(inputGuardPlugin);
  void app.register(authPlugin);
  void app.register(routes);
  return app;
}
