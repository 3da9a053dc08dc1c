// Session tokens (random, stored only as SHA-256) and the CSRF token derived from them.
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const SESSION_COOKIE = 'sopwatch_session';
/** Readable by the page (not HttpOnly) so it can echo it in the X-CSRF-Token header. */
export const CSRF_COOKIE = 'sopwatch_csrf';
export const CSRF_HEADER = 'x-csrf-token';

export function newSessionToken(): string {
  return randomBytes(32).toString('base64url');
}

export function sessionTokenHash(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/**
 * The CSRF token of a session: an HMAC keyed by the session token. Only someone holding the HttpOnly session
 * cookie can compute it, so another site can neither read nor forge it, and nothing extra is stored.
 */
export function csrfTokenFor(sessionToken: string): string {
  return createHmac('sha256', sessionToken).update('sopwatch csrf v1').digest('base64url');
}

export function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
