// One HTTP(S) request to a checked, pinned address: the name is resolved once, the address checked against the
// outbound policy, and the socket opened to that address (Host header and TLS server name keep the name).
// Redirects are never followed: a 3xx is returned as it is.
import http from 'node:http';
import https from 'node:https';
import { pinnedLookup, resolveChecked, type OutboundPolicy } from './net-policy.ts';

export interface PinnedRequest {
  method: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string | Buffer;
  signal?: AbortSignal;
  /** Larger answers are cut off with an error. Default 8 MiB. */
  maxBytes?: number;
}

export interface PinnedResponse {
  status: number;
  headers: Headers;
  text: string;
}

function toHeaders(raw: http.IncomingHttpHeaders): Headers {
  const out = new Headers();
  for (const [k, v] of Object.entries(raw)) {
    if (v === undefined) continue;
    for (const one of Array.isArray(v) ? v : [v]) out.append(k, one);
  }
  return out;
}

/** Sends the request; throws OutboundRefusedError (nothing sent), the socket error, or the signal's reason. */
export async function pinnedRequest(policy: OutboundPolicy, target: string | URL, r: PinnedRequest): Promise<PinnedResponse> {
  const url = new URL(target);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TypeError(`not an http(s) URL: ${url.protocol}`);
  r.signal?.throwIfAborted();
  const checked = await resolveChecked(policy, url.hostname);
  r.signal?.throwIfAborted();
  const lib = url.protocol === 'https:' ? https : http;
  const maxBytes = r.maxBytes ?? 8 * 1024 * 1024;
  return new Promise<PinnedResponse>((resolve, reject) => {
    const req = lib.request(url, { method: r.method, headers: r.headers ?? {}, lookup: pinnedLookup(checked), agent: false });
    const onAbort = (): void => {
      req.destroy();
      const reason: unknown = r.signal?.reason;
      reject(reason instanceof Error ? reason : new Error('aborted'));
    };
    r.signal?.addEventListener('abort', onAbort, { once: true });
    const done = (): void => r.signal?.removeEventListener('abort', onAbort);
    req.once('error', (err) => {
      done();
      reject(err);
    });
    req.once('response', (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > maxBytes) req.destroy(new Error(`the answer is larger than ${maxBytes} bytes`));
        else chunks.push(chunk);
      });
      res.once('error', (err) => {
        done();
        reject(err);
      });
      res.once('end', () => {
        done();
        resolve({ status: res.statusCode ?? 0, headers: toHeaders(res.headers), text: Buffer.concat(chunks).toString('utf8') });
      });
    });
    req.end(r.body);
  });
}
