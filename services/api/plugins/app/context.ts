// What every route can reach through `app.sopwatch` and `request.caller`, and the access levels routes declare.
import type { ApiConfig, ApiDeps } from '../../deps.ts';
import type { LoginLimiter } from '../../auth/login-limiter.ts';
import type { LiveFeed } from './live-feed.ts';
import type { Repos } from './repositories.ts';
import type { Role } from '../../../core/storage/users.repository.ts';

/**
 * Who may call a route. Every route is `session` unless it says otherwise (deny by default):
 * - `public`: anyone (sign-in, health, the OpenAPI document);
 * - `metrics`: the bearer token of SOPWATCH_METRICS_TOKEN;
 * - `session`: a signed-in user; auditors only read;
 * - `self`: a signed-in user acting on their own session (auditors too: sign-out);
 * - `owner`: owners only.
 * Store-level checks (is this store one of the caller's?) happen in the route, on every id it touches.
 */
export type Access = 'public' | 'metrics' | 'session' | 'self' | 'owner';

export interface Caller {
  userId: string;
  email: string;
  role: Role;
  franchise: string | null;
  /** SHA-256 of the session token (the sessions row id). */
  sessionId: string;
  csrfToken: string;
  expiresAt: Date;
  /** Every store this caller may see, resolved once per request. */
  storeIds: string[];
}

export interface RouteInfo {
  method: string;
  url: string;
  access: Access;
}

export interface AppContext {
  deps: ApiDeps;
  config: ApiConfig;
  repos: Repos;
  limiter: LoginLimiter;
  feed: LiveFeed;
  /** Every route as registered (from fastify's onRoute hook): the access-matrix test walks it. */
  routes: RouteInfo[];
  /** Responses sent, by status class (`2xx`…), for /metrics. */
  httpResponses: Map<string, number>;
}

declare module 'fastify' {
  interface FastifyInstance {
    sopwatch: AppContext;
  }
  interface FastifyRequest {
    caller: Caller | undefined;
  }
  interface FastifyContextConfig {
    access?: Access;
  }
}
