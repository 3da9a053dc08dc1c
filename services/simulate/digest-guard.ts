// Server side of HTTP Digest (MD5, qop=auth) for the fake cameras: issues challenges and checks answers.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { digestResponse, parseAuthParams } from '../ingester/http-digest.ts';

export class DigestGuard {
  private readonly nonces = new Set<string>();

  constructor(private readonly realm: string, private readonly username: string, private readonly password: string) {}

  /** True when the request carries a valid Digest Authorization for our user. */
  check(req: IncomingMessage): boolean {
    const header = req.headers.authorization;
    if (header === undefined || !/^digest\s/i.test(header)) return false;
    const p = parseAuthParams(header.replace(/^digest\s+/i, ''));
    if (p.username !== this.username || p.realm !== this.realm || p.nonce === undefined || !this.nonces.has(p.nonce) || p.response === undefined) return false;
    const algorithm = (p.algorithm ?? 'MD5').toUpperCase() === 'SHA-256' ? 'SHA-256' : 'MD5';
    const expected = digestResponse({
      algorithm,
      username: this.username,
      password: this.password,
      realm: this.realm,
      method: req.method ?? 'GET',
      uri: p.uri ?? '',
      nonce: p.nonce,
      ...(p.qop === undefined ? {} : { qop: p.qop, nc: p.nc ?? '', cnonce: p.cnonce ?? '' }),
    });
    const a = Buffer.from(expected);
    const b = Buffer.from(p.response);
    return a.length === b.length && timingSafeEqual(a, b);
  }

  /** Answers 401 with a fresh challenge. */
  challenge(res: ServerResponse, body = ''): void {
    const nonce = randomBytes(12).toString('hex');
    this.nonces.add(nonce);
    if (this.nonces.size > 1000) this.nonces.delete(this.nonces.values().next().value as string);
    res.writeHead(401, { 'www-authenticate': `Digest realm="${this.realm}", qop="auth", nonce="${nonce}", algorithm=MD5`, 'content-type': 'text/plain' });
    res.end(body);
  }
}
