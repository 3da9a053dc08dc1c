// A fake ONVIF Profile S camera on node:http (for `sopwatch simulate` and tests): device and media services,
// WS-Security UsernameToken and/or HTTP Digest, a camera clock that can be skewed or jump, per-action faults, a JPEG snapshot.
import { createHash } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { DigestGuard } from './digest-guard.ts';
import * as soap from './onvif-soap.ts';

export type FakeAuth = 'none' | 'wsse' | 'digest' | 'any';
/** fault: a SOAP fault; hang: never answer; drop: close the connection. */
export type FaultMode = 'fault' | 'hang' | 'drop';

export interface FakeOnvifOptions {
  /** Camera name (in device information and discovery scopes). */
  name?: string;
  host?: string;
  port?: number;
  /** What the SOAP services demand; GetSystemDateAndTime is always open. Default `any` (WS-Security or Digest). */
  auth?: FakeAuth;
  username?: string;
  password?: string;
  clockSkewMs?: number;
  /** What GetStreamUri answers, per profile token. */
  streamUri: (profileToken: string) => string;
  /** What GetSnapshotUri answers; default this server's /snapshot.jpg. */
  snapshotUri?: (profileToken: string) => string;
  /** The JPEG served at /snapshot.jpg (behind Digest unless auth is none); 404 without it. */
  snapshot?: () => Buffer | undefined;
  profiles?: soap.SoapProfile[];
}

export interface OnvifCall {
  action: string;
  /** How the request authenticated (or `rejected`). */
  auth: 'open' | 'none' | 'wsse' | 'digest' | 'rejected';
  atMs: number;
}

const SOURCE_TOKEN = 'vs_1';
const DEFAULT_PROFILES: soap.SoapProfile[] = [
  { token: 'profile_main', name: 'main', width: 1280, height: 720, fps: 15 },
  { token: 'profile_sub', name: 'sub', width: 320, height: 180, fps: 5 },
];
const MAX_SKEW_MS = 5 * 60_000;

export class FakeOnvifCamera {
  readonly calls: OnvifCall[] = [];
  /** Camera clock minus the real clock; change it to simulate a clock jump (a reboot without NTP). */
  clockSkewMs: number;
  /** Per-action faults, e.g. `faults.set('GetProfiles', 'hang')`. */
  readonly faults = new Map<string, FaultMode>();
  snapshotRequests = 0;
  private readonly server: http.Server;
  private readonly digest: DigestGuard;
  private readonly sockets = new Set<Socket>();
  private boundPort = 0;

  constructor(readonly options: FakeOnvifOptions) {
    this.clockSkewMs = options.clockSkewMs ?? 0;
    this.digest = new DigestGuard('fakecam', options.username ?? 'admin', options.password ?? '');
    this.server = http.createServer((req, res) => this.handle(req, res));
    this.server.on('connection', (s) => {
      this.sockets.add(s);
      s.once('close', () => this.sockets.delete(s));
    });
  }

  get port(): number {
    return this.boundPort;
  }

  get host(): string {
    return this.options.host ?? '127.0.0.1';
  }

  get baseUrl(): string {
    return `http://${this.host}:${this.boundPort}`;
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port ?? 0, this.host, () => resolve());
    });
    this.boundPort = (this.server.address() as AddressInfo).port;
    return this;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private wsseValid(xml: string): boolean | undefined {
    const user = soap.elementText(xml, 'Username');
    const password = soap.elementText(xml, 'Password');
    const nonce = soap.elementText(xml, 'Nonce');
    const created = soap.elementText(xml, 'Created');
    if (user === undefined || password === undefined || nonce === undefined || created === undefined) return undefined;
    const expected = createHash('sha1')
      .update(Buffer.concat([Buffer.from(nonce, 'base64'), Buffer.from(created), Buffer.from(this.options.password ?? '')]))
      .digest('base64');
    // Like real cameras, a token created too far from the camera's own clock is refused.
    const skew = Math.abs(Date.parse(created) - (Date.now() + this.clockSkewMs));
    return user === (this.options.username ?? 'admin') && password === expected && skew <= MAX_SKEW_MS;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    if (req.method === 'GET' && (req.url ?? '').split('?')[0] === '/snapshot.jpg') return this.serveSnapshot(req, res);
    if (req.method !== 'POST') {
      res.writeHead(404).end();
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => this.answer(req, res, Buffer.concat(chunks).toString('utf8')));
  }

  private answer(req: IncomingMessage, res: ServerResponse, xml: string): void {
    const action = soap.soapAction(xml) ?? 'unknown';
    const atMs = Date.now();
    const mode = this.options.auth ?? 'any';
    let how: OnvifCall['auth'] = 'open';
    if (action !== 'GetSystemDateAndTime' && mode !== 'none') {
      const wsse = this.wsseValid(xml);
      const digestOk = this.digest.check(req);
      const accepted = (mode === 'wsse' || mode === 'any') && wsse === true ? 'wsse' : (mode === 'digest' || mode === 'any') && digestOk ? 'digest' : undefined;
      if (accepted === undefined) {
        this.calls.push({ action, auth: 'rejected', atMs });
        // Digest cameras challenge with 401; WS-Security cameras answer a NotAuthorized fault.
        if (mode === 'digest' || (mode === 'any' && wsse === undefined && req.headers.authorization === undefined)) return this.digest.challenge(res);
        return this.send(res, 400, soap.fault('Sender', 'NotAuthorized', 'Sender not Authorized'));
      }
      how = accepted;
    } else if (mode === 'none') {
      how = 'none';
    }
    this.calls.push({ action, auth: how, atMs });
    const fault = this.faults.get(action);
    if (fault === 'hang') return;
    if (fault === 'drop') {
      req.socket.destroy();
      return;
    }
    if (fault === 'fault') return this.send(res, 500, soap.fault('Receiver', 'ActionFailed', `${action} failed (simulated fault)`));
    this.send(res, 200, this.body(action, xml));
  }

  private body(action: string, xml: string): string {
    const base = this.baseUrl;
    const list = this.options.profiles ?? DEFAULT_PROFILES;
    const token = soap.elementText(xml, 'ProfileToken') ?? list[0]?.token ?? '';
    switch (action) {
      case 'GetSystemDateAndTime':
        return soap.systemDateAndTime(new Date(Date.now() + this.clockSkewMs));
      case 'GetServices':
        return soap.services(base);
      case 'GetCapabilities':
        return soap.capabilities(base);
      case 'GetDeviceInformation':
        return soap.deviceInformation(this.options.name ?? 'FakeCam', `sim-${this.boundPort}`);
      case 'GetProfiles':
        return soap.profiles(list, SOURCE_TOKEN);
      case 'GetVideoSources':
        return soap.videoSources(SOURCE_TOKEN);
      case 'GetStreamUri':
        return soap.mediaUri('GetStreamUri', this.options.streamUri(token));
      case 'GetSnapshotUri':
        return soap.mediaUri('GetSnapshotUri', this.options.snapshotUri?.(token) ?? `${base}/snapshot.jpg`);
      default:
        return soap.fault('Sender', 'ActionNotSupported', `${action} is not supported`);
    }
  }

  private send(res: ServerResponse, status: number, body: string): void {
    res.writeHead(status, { 'content-type': 'application/soap+xml; charset=utf-8' });
    res.end(body);
  }

  private serveSnapshot(req: IncomingMessage, res: ServerResponse): void {
    if ((this.options.auth ?? 'any') !== 'none' && !this.digest.check(req)) return this.digest.challenge(res);
    this.snapshotRequests += 1;
    const jpeg = this.options.snapshot?.();
    if (jpeg === undefined) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': jpeg.length, 'cache-control': 'no-store' });
    res.end(jpeg);
  }
}
