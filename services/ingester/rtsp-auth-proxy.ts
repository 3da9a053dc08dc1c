// A one-connection RTSP proxy on 127.0.0.1 between ffmpeg and a camera, so that the camera password never appears on
// a command line and ffmpeg reaches only the checked, pinned address. ffmpeg asks rtsp://127.0.0.1:<port>/<path>
// without credentials; the proxy connects to the camera, answers its 401 challenges (Digest; Basic only inside the
// camera networks), rewrites URLs both ways, and passes interleaved RTP/RTCP ($-framed, TCP transport) untouched.
import net from 'node:net';
import tls from 'node:tls';
import type { CheckedAddress } from '../core/net-policy.ts';
import { digestAuthorization, pickChallenge, type DigestChallenge } from './http-digest.ts';

export interface RtspCredential {
  username: string;
  password: string;
}

export interface RtspProxyOptions {
  /** The camera's URL (rtsp:// or rtsps://) without credentials. */
  cameraUrl: URL;
  /** The camera's address, already checked against the camera policy: the only place the proxy connects to. */
  checked: CheckedAddress;
  credential?: RtspCredential;
  /** Basic authentication is answered only when true (the camera is inside the listed camera networks). */
  allowBasic: boolean;
  /** Connecting to the camera may take this long. Default 10 000 ms. */
  connectTimeoutMs?: number;
}

/** What went wrong on the camera side, for the session's end reason. */
export type ProxyProblem = { kind: 'auth'; detail: string } | { kind: 'connect'; detail: string } | { kind: 'protocol'; detail: string };

interface Message {
  startLine: string;
  headers: Array<[string, string]>;
  body: Buffer;
}

interface Pending {
  method: string;
  uri: string;
  message: Message;
  retried: boolean;
}

type AuthState = { kind: 'digest'; challenge: DigestChallenge; nc: number } | { kind: 'basic' } | undefined;

const MAX_HEADER_BYTES = 64 * 1024;
const MAX_BODY_BYTES = 1024 * 1024;
const HEADER_END = Buffer.from('\r\n\r\n');

/** Parses one RTSP message or `$` frame from the front of `buf`: the frame/message and its length, or undefined when incomplete. */
function nextUnit(buf: Buffer): { frame: Buffer; used: number } | { message: Message; used: number } | undefined {
  if (buf.length === 0) return undefined;
  if (buf[0] === 0x24) {
    if (buf.length < 4) return undefined;
    const used = 4 + buf.readUInt16BE(2);
    return buf.length < used ? undefined : { frame: buf.subarray(0, used), used };
  }
  const end = buf.indexOf(HEADER_END);
  if (end < 0) {
    if (buf.length > MAX_HEADER_BYTES) throw new Error('an RTSP header larger than 64 KiB');
    return undefined;
  }
  const lines = buf.subarray(0, end).toString('latin1').split('\r\n');
  const startLine = lines.shift() ?? '';
  const headers: Array<[string, string]> = [];
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.push([line.slice(0, colon).trim(), line.slice(colon + 1).trim()]);
  }
  const length = Number(header(headers, 'content-length') ?? '0');
  if (!Number.isInteger(length) || length < 0 || length > MAX_BODY_BYTES) throw new Error('an unusable Content-Length');
  const used = end + 4 + length;
  if (buf.length < used) return undefined;
  return { message: { startLine, headers, body: Buffer.from(buf.subarray(end + 4, used)) }, used };
}

function header(headers: Array<[string, string]>, name: string): string | undefined {
  return headers.find(([k]) => k.toLowerCase() === name)?.[1];
}

function serialise(m: Message): Buffer {
  const headers = m.headers.filter(([k]) => k.toLowerCase() !== 'content-length');
  if (m.body.length > 0) headers.push(['Content-Length', String(m.body.length)]);
  const head = [m.startLine, ...headers.map(([k, v]) => `${k}: ${v}`), '', ''].join('\r\n');
  return Buffer.concat([Buffer.from(head, 'latin1'), m.body]);
}

/** Every absolute rtsp(s) URL's scheme and authority replaced by `base` (the camera names itself however it likes). */
function rebase(text: string, base: string): string {
  return text.replace(/rtsps?:\/\/[^/\s;,"]+/gi, base);
}

export class RtspAuthProxy {
  private readonly server: net.Server;
  private client: net.Socket | undefined;
  private upstream: net.Socket | undefined;
  private auth: AuthState;
  private readonly pending = new Map<string, Pending>();
  private closed = false;
  /** The first problem on the camera side, when there was one. */
  problem: ProxyProblem | undefined;
  private readonly cameraBase: string;
  private localBase = '';

  private constructor(private readonly o: RtspProxyOptions) {
    const u = o.cameraUrl;
    this.cameraBase = `${u.protocol}//${u.host}`;
    // One client only (ffmpeg): once it is connected, nobody else on this machine can use the camera's session.
    this.server = net.createServer({ pauseOnConnect: false }, (socket) => this.accept(socket));
    this.server.maxConnections = 1;
  }

  static async start(o: RtspProxyOptions): Promise<RtspAuthProxy> {
    const proxy = new RtspAuthProxy(o);
    await new Promise<void>((resolve, reject) => {
      proxy.server.once('error', reject);
      proxy.server.listen(0, '127.0.0.1', () => resolve());
    });
    const port = (proxy.server.address() as net.AddressInfo).port;
    proxy.localBase = `rtsp://127.0.0.1:${port}`;
    return proxy;
  }

  /** The URL ffmpeg opens: the camera's path and query on the proxy, no credentials. */
  get localUrl(): string {
    return `${this.localBase}${this.o.cameraUrl.pathname}${this.o.cameraUrl.search}`;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.client?.destroy();
    this.upstream?.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private note(problem: ProxyProblem): void {
    this.problem ??= problem;
  }

  private accept(socket: net.Socket): void {
    if (this.client !== undefined || this.closed) {
      socket.destroy();
      return;
    }
    this.client = socket;
    this.server.close();
    socket.setNoDelay(true);
    const { checked, cameraUrl } = this.o;
    const port = Number(cameraUrl.port || (cameraUrl.protocol === 'rtsps:' ? 322 : 554));
    const upstream =
      cameraUrl.protocol === 'rtsps:'
        ? tls.connect({ host: checked.address, port, ...(net.isIP(checked.host) === 0 ? { servername: checked.host } : {}), rejectUnauthorized: false })
        : net.connect({ host: checked.address, port });
    this.upstream = upstream;
    upstream.setNoDelay(true);
    const timer = setTimeout(() => {
      this.note({ kind: 'connect', detail: `no connection within ${this.o.connectTimeoutMs ?? 10_000} ms` });
      upstream.destroy();
    }, this.o.connectTimeoutMs ?? 10_000);
    upstream.once(cameraUrl.protocol === 'rtsps:' ? 'secureConnect' : 'connect', () => clearTimeout(timer));
    const end = (): void => {
      clearTimeout(timer);
      socket.destroy();
      upstream.destroy();
    };
    upstream.once('error', (err: NodeJS.ErrnoException) => {
      this.note({ kind: 'connect', detail: err.code ?? err.message });
      end();
    });
    socket.once('error', end);
    upstream.once('close', end);
    socket.once('close', end);
    this.pump(socket, upstream, (unit) => this.fromClient(unit));
    this.pump(upstream, socket, (unit) => this.fromCamera(unit));
  }

  /** Reads units from `from`; `handle` returns what to write to `to` (or nothing). Backpressure pauses `from`. */
  private pump(from: net.Socket, to: net.Socket, handle: (unit: { frame: Buffer } | { message: Message }) => Buffer | undefined): void {
    let buf: Buffer = Buffer.alloc(0);
    from.on('data', (chunk: Buffer) => {
      buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
      try {
        for (let unit = nextUnit(buf); unit !== undefined; unit = nextUnit(buf)) {
          buf = buf.subarray(unit.used);
          const out = handle(unit);
          if (out !== undefined && !to.write(out)) {
            from.pause();
            to.once('drain', () => from.resume());
          }
        }
      } catch (err) {
        this.note({ kind: 'protocol', detail: (err as Error).message });
        from.destroy();
      }
    });
  }

  private authorization(method: string, uri: string): string | undefined {
    const c = this.o.credential;
    if (c === undefined || this.auth === undefined) return undefined;
    if (this.auth.kind === 'basic') return `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}`;
    this.auth.nc += 1;
    return digestAuthorization(this.auth.challenge, c.username, c.password, method, uri, this.auth.nc);
  }

  /** A request of ffmpeg's, sent on to the camera with the camera's URL and our Authorization. */
  private upstreamRequest(p: Pending): Buffer {
    const headers = p.message.headers.filter(([k]) => !/^(authorization|proxy-authorization)$/i.test(k));
    const auth = this.authorization(p.method, p.uri);
    if (auth !== undefined) headers.push(['Authorization', auth]);
    return serialise({ startLine: `${p.method} ${p.uri} RTSP/1.0`, headers, body: p.message.body });
  }

  private fromClient(unit: { frame: Buffer } | { message: Message }): Buffer | undefined {
    if ('frame' in unit) return unit.frame;
    const m = unit.message;
    const [method = '', rawUri = '*'] = m.startLine.split(' ');
    if (!/^[A-Z_]{1,32}$/.test(method)) throw new Error('not an RTSP request from the client');
    const uri = rawUri.startsWith(this.localBase) ? `${this.cameraBase}${rawUri.slice(this.localBase.length)}` : rawUri;
    const p: Pending = { method, uri, message: m, retried: false };
    this.pending.set(header(m.headers, 'cseq') ?? '', p);
    return this.upstreamRequest(p);
  }

  private fromCamera(unit: { frame: Buffer } | { message: Message }): Buffer | undefined {
    if ('frame' in unit) return unit.frame;
    const m = unit.message;
    if (!m.startLine.startsWith('RTSP/')) return serialise(m);
    const status = Number(m.startLine.split(' ')[1]);
    const cseq = header(m.headers, 'cseq') ?? '';
    const p = this.pending.get(cseq);
    this.pending.delete(cseq);
    if (status === 401 && p !== undefined) {
      const retry = this.answerChallenge(m, p);
      if (retry !== undefined) {
        this.pending.set(cseq, p);
        this.upstream?.write(retry);
        return undefined;
      }
    }
    const headers = m.headers.map(([k, v]): [string, string] => (/^(content-base|content-location|rtp-info|location)$/i.test(k) ? [k, rebase(v, this.localBase)] : [k, v]));
    const sdp = /application\/sdp/i.test(header(m.headers, 'content-type') ?? '');
    const body = sdp ? Buffer.from(rebase(m.body.toString('latin1'), this.localBase), 'latin1') : m.body;
    return serialise({ startLine: m.startLine, headers: headers.filter(([k]) => !/^www-authenticate$/i.test(k)), body });
  }

  /** The request again with an answer to the camera's challenge, or undefined when it cannot or must not be answered. */
  private answerChallenge(m: Message, p: Pending): Buffer | undefined {
    const offers = m.headers.filter(([k]) => k.toLowerCase() === 'www-authenticate').map(([, v]) => v);
    if (this.o.credential === undefined) {
      this.note({ kind: 'auth', detail: 'the camera wants credentials and none are configured' });
      return undefined;
    }
    if (p.retried) {
      this.note({ kind: 'auth', detail: 'the camera refused the credentials (RTSP 401)' });
      return undefined;
    }
    const digest = pickChallenge(offers);
    if (digest !== undefined) this.auth = { kind: 'digest', challenge: digest, nc: 0 };
    else if (offers.some((o) => /^\s*basic\b/i.test(o)) && this.o.allowBasic) this.auth = { kind: 'basic' };
    else {
      this.note({ kind: 'auth', detail: this.o.allowBasic ? 'the camera offers no authentication we speak' : 'the camera offers only Basic authentication, which is sent only inside the camera networks' });
      return undefined;
    }
    p.retried = true;
    return this.upstreamRequest(p);
  }
}
