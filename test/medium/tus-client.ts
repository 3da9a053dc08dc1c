// A small tus 1.0 client over real HTTP for the resumable-upload tests: each call is one request, as the protocol has it.
import { request } from 'node:http';
import { CSRF_HEADER, SESSION_COOKIE } from '../../services/api/index.ts';
import type { Session } from './api-fixture.ts';

export interface TusAnswer {
  status: number;
  headers: Headers;
  body: string;
}

export const b64 = (s: string): string => Buffer.from(s).toString('base64');

export function tusHeaders(session: Session | undefined, extra: Record<string, string> = {}): Record<string, string> {
  return {
    'tus-resumable': '1.0.0',
    ...(session === undefined ? {} : { cookie: `${SESSION_COOKIE}=${session.cookie}`, [CSRF_HEADER]: session.csrf }),
    ...extra,
  };
}

export async function tus(base: string, session: Session | undefined, method: string, path: string, extra: Record<string, string> = {}, body?: Buffer): Promise<TusAnswer> {
  const res = await fetch(`${base}${path}`, { method, headers: tusHeaders(session, extra), ...(body === undefined ? {} : { body }) });
  return { status: res.status, headers: res.headers, body: await res.text() };
}

/** POST creation: the upload's path (Location) or the refusal. */
export async function create(base: string, session: Session | undefined, storeId: string, query: string, length: number, meta: Record<string, string>): Promise<TusAnswer & { location: string }> {
  const metadata = Object.entries(meta).map(([k, v]) => `${k} ${b64(v)}`).join(',');
  const res = await tus(base, session, 'POST', `/api/stores/${storeId}/uploads${query}`, { 'upload-length': String(length), 'upload-metadata': metadata });
  return { ...res, location: res.headers.get('location') ?? '' };
}

export const patch = (base: string, session: Session, location: string, offset: number, bytes: Buffer): Promise<TusAnswer> =>
  tus(base, session, 'PATCH', location, { 'upload-offset': String(offset), 'content-type': 'application/offset+octet-stream' }, bytes);

/**
 * A PATCH that declares `declared` bytes, sends `bytes`, then waits for `until()` and tears the socket down: the
 * connection dropping mid-upload. Resolves with the answer when the server answered before that, else undefined.
 */
export function patchThenDrop(base: string, session: Session, location: string, offset: number, declared: number, bytes: Buffer, until: () => Promise<void>): Promise<{ status: number; body: string } | undefined> {
  const url = new URL(`${base}${location}`);
  return new Promise((resolve, reject) => {
    let answered: { status: number; body: string } | undefined;
    const req = request({
      host: url.hostname, port: url.port, path: url.pathname, method: 'PATCH',
      headers: tusHeaders(session, { 'upload-offset': String(offset), 'content-type': 'application/offset+octet-stream', 'content-length': String(declared) }),
    }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { body += c; });
      res.on('end', () => { answered = { status: res.statusCode ?? 0, body }; });
    });
    req.on('error', () => resolve(answered));
    req.on('close', () => resolve(answered));
    req.write(bytes);
    until().then(() => { req.destroy(); }, reject);
  });
}
