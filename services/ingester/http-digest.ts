// HTTP Digest authentication (RFC 7616: MD5 and SHA-256, qop=auth) for camera snapshot URLs, client side.
import { createHash, randomBytes } from 'node:crypto';

export interface DigestChallenge {
  realm: string;
  nonce: string;
  qop?: string;
  opaque?: string;
  algorithm: 'MD5' | 'SHA-256';
}

/** `key="value", key=value` pairs of an auth header, keys lower-cased. */
export function parseAuthParams(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const re = /([a-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))/gi;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    out[(m[1] as string).toLowerCase()] = m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : (m[3] ?? '');
  }
  return out;
}

/** The strongest Digest challenge among WWW-Authenticate values we can answer, or undefined. */
export function pickChallenge(headers: readonly string[]): DigestChallenge | undefined {
  const found: DigestChallenge[] = [];
  for (const h of headers) {
    if (!/^\s*digest\s/i.test(h)) continue;
    const p = parseAuthParams(h.replace(/^\s*digest\s+/i, ''));
    const algorithm = (p.algorithm ?? 'MD5').toUpperCase();
    if (p.realm === undefined || p.nonce === undefined || (algorithm !== 'MD5' && algorithm !== 'SHA-256')) continue;
    if (p.qop !== undefined && !p.qop.split(',').map((q) => q.trim()).includes('auth')) continue;
    const c: DigestChallenge = { realm: p.realm, nonce: p.nonce, algorithm };
    if (p.qop !== undefined) c.qop = 'auth';
    if (p.opaque !== undefined) c.opaque = p.opaque;
    found.push(c);
  }
  return found.find((c) => c.algorithm === 'SHA-256') ?? found[0];
}

function hash(algorithm: DigestChallenge['algorithm'], text: string): string {
  return createHash(algorithm === 'SHA-256' ? 'sha256' : 'md5').update(text).digest('hex');
}

/** The Digest response value (what both sides compute). */
export function digestResponse(a: { algorithm: DigestChallenge['algorithm']; username: string; password: string; realm: string; method: string; uri: string; nonce: string; nc?: string; cnonce?: string; qop?: string }): string {
  const ha1 = hash(a.algorithm, `${a.username}:${a.realm}:${a.password}`);
  const ha2 = hash(a.algorithm, `${a.method}:${a.uri}`);
  return a.qop === undefined ? hash(a.algorithm, `${ha1}:${a.nonce}:${ha2}`) : hash(a.algorithm, `${ha1}:${a.nonce}:${a.nc ?? ''}:${a.cnonce ?? ''}:${a.qop}:${ha2}`);
}

const quote = (s: string): string => `"${s.replace(/(["\\])/g, '\\$1')}"`;

/** An Authorization header answering the challenge; `nc` counts the uses of this nonce (1, 2, ...). */
export function digestAuthorization(c: DigestChallenge, username: string, password: string, method: string, uri: string, nc: number): string {
  const ncText = nc.toString(16).padStart(8, '0');
  const cnonce = randomBytes(8).toString('hex');
  const response = digestResponse({ algorithm: c.algorithm, username, password, realm: c.realm, method, uri, nonce: c.nonce, nc: ncText, cnonce, ...(c.qop === undefined ? {} : { qop: c.qop }) });
  const parts = [`username=${quote(username)}`, `realm=${quote(c.realm)}`, `nonce=${quote(c.nonce)}`, `uri=${quote(uri)}`, `algorithm=${c.algorithm}`, `response=${quote(response)}`];
  if (c.qop !== undefined) parts.push(`qop=${c.qop}`, `nc=${ncText}`, `cnonce=${quote(cnonce)}`);
  if (c.opaque !== undefined) parts.push(`opaque=${quote(c.opaque)}`);
  return `Digest ${parts.join(', ')}`;
}
