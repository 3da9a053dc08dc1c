// Frames by polling a camera's snapshot URL over HTTP (Digest or Basic-free): a fallback for cameras whose
// stream cannot be pulled, or very low rates. Each answer must be a whole JPEG; the first failure ends the session.
import http from 'node:http';
import https from 'node:https';
import { outboundPolicies } from '../core/env.ts';
import { UsageError } from '../core/errors.ts';
import { pinnedLookup, resolveChecked, type CheckedAddress, type OutboundPolicy } from '../core/net-policy.ts';
import type { FrameSession, FrameSource, SessionEnd, SessionHandlers } from './frame-session.ts';
import { digestAuthorization, pickChallenge, type DigestChallenge } from './http-digest.ts';
import { looksLikeJpeg } from './jpeg-stream.ts';
import { redact, redactUrl } from './redact.ts';

export interface SnapshotSourceOptions {
  /** http(s):// URL without credentials. */
  url: string;
  username?: string;
  password?: string;
  /** Polls per second (0 < fps <= 5). Default 1. */
  fps?: number;
  /** One request may take this long. Default 5000. */
  timeoutMs?: number;
  /** Larger answers are refused. Default 4 MiB. */
  maxBytes?: number;
  /** Where cameras may be; default the environment's camera policy (SOPWATCH_CAMERA_NETWORKS). */
  policy?: OutboundPolicy;
}

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  rawHeaders: string[];
  body: Buffer;
}

class SnapshotFailure extends Error {}

export class SnapshotFrameSource implements FrameSource {
  readonly kind = 'snapshot' as const;
  readonly description: string;
  private readonly url: URL;
  private readonly intervalMs: number;
  private readonly secrets: string[];
  private challenge: DigestChallenge | undefined;
  private nc = 0;
  /** The address checked when the session opened; every request of the session goes there. */
  private pinned: CheckedAddress | undefined;

  constructor(private readonly options: SnapshotSourceOptions) {
    const fps = options.fps ?? 1;
    if (!(fps > 0 && fps <= 5)) throw new UsageError(`snapshot source: fps must be in (0, 5], got ${fps}`);
    this.url = new URL(options.url);
    if (this.url.protocol !== 'http:' && this.url.protocol !== 'https:') throw new UsageError(`snapshot source: not an http(s) URL: ${redactUrl(options.url)}`);
    // Credentials travel in the Digest header only, never in the URL.
    this.url.username = '';
    this.url.password = '';
    this.intervalMs = 1000 / fps;
    this.description = `snapshot ${redactUrl(options.url)}`;
    this.secrets = options.password === undefined ? [] : [options.password];
  }

  open(handlers: SessionHandlers): FrameSession {
    const controller = new AbortController();
    const ended = this.poll(handlers, controller.signal);
    return {
      ended,
      stop: async () => {
        controller.abort();
        await ended;
      },
    };
  }

  private async poll(handlers: SessionHandlers, signal: AbortSignal): Promise<SessionEnd> {
    const began = Date.now();
    let k = 0;
    try {
      this.pinned = await resolveChecked(this.options.policy ?? outboundPolicies().camera, this.url.hostname);
      while (!signal.aborted) {
        const jpeg = await this.fetchOnce(signal);
        handlers.onFrame(jpeg, Date.now());
        // Drift-free schedule; a slow camera skips slots instead of piling requests up.
        k = Math.max(k + 1, Math.ceil((Date.now() - began) / this.intervalMs));
        await sleep(began + k * this.intervalMs - Date.now(), signal);
      }
      return { reason: 'stopped', stopped: true };
    } catch (err) {
      if (signal.aborted) return { reason: 'stopped', stopped: true };
      return { reason: redact(`snapshot: ${(err as Error).message}`, this.secrets), stopped: false };
    }
  }

  private async fetchOnce(signal: AbortSignal): Promise<Buffer> {
    const path = `${this.url.pathname}${this.url.search}`;
    const user = this.options.username;
    let answer = await this.request(this.authHeader(path), signal);
    if (answer.status === 401 && user !== undefined) {
      const fresh = pickChallenge(answer.rawHeaders.filter((_, i, a) => i % 2 === 1 && (a[i - 1] ?? '').toLowerCase() === 'www-authenticate'));
      if (fresh === undefined) throw new SnapshotFailure('the camera asked for an authentication we do not offer (Digest only; Basic is refused)');
      this.challenge = fresh;
      this.nc = 0;
      answer = await this.request(this.authHeader(path), signal);
    }
    if (answer.status === 401 || answer.status === 403) {
      this.challenge = undefined;
      throw new SnapshotFailure(`the camera refused the credentials (HTTP ${answer.status})`);
    }
    if (answer.status !== 200) throw new SnapshotFailure(`HTTP ${answer.status}`);
    const type = String(answer.headers['content-type'] ?? '');
    if (!looksLikeJpeg(answer.body)) throw new SnapshotFailure(`the answer is not a whole JPEG (${type || 'no content type'}, ${answer.body.length} bytes)`);
    return answer.body;
  }

  private authHeader(path: string): string | undefined {
    if (this.challenge === undefined || this.options.username === undefined) return undefined;
    this.nc += 1;
    return digestAuthorization(this.challenge, this.options.username, this.options.password ?? '', 'GET', path, this.nc);
  }

  private request(authorization: string | undefined, signal: AbortSignal): Promise<Answer> {
    const maxBytes = this.options.maxBytes ?? 4 * 1024 * 1024;
    const timeoutMs = this.options.timeoutMs ?? 5000;
    const lib = this.url.protocol === 'https:' ? https : http;
    return new Promise((resolve, reject) => {
      const req = lib.request(this.url, {
        method: 'GET',
        signal,
        agent: false,
        ...(this.pinned === undefined ? {} : { lookup: pinnedLookup(this.pinned) }),
        headers: { accept: 'image/jpeg', ...(authorization === undefined ? {} : { authorization }) },
      });
      const timer = setTimeout(() => req.destroy(new SnapshotFailure(`no answer within ${timeoutMs} ms`)), timeoutMs);
      req.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      req.once('response', (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > maxBytes) req.destroy(new SnapshotFailure(`the answer is larger than ${maxBytes} bytes`));
          else chunks.push(chunk);
        });
        res.once('error', () => undefined);
        res.once('end', () => {
          clearTimeout(timer);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, rawHeaders: res.rawHeaders, body: Buffer.concat(chunks) });
        });
      });
      req.end();
    });
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0 || signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
