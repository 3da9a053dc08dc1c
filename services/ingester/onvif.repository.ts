// ONVIF cameras behind a small typed repository over `onvif@0.8.3`'s callback API: a time limit on every
// call, a fresh Cam after a timeout or an auth failure (the library caches the camera's clock), URIs checked, secrets redacted.
import http from 'node:http';
import { onvifLib } from './onvif-lib.ts';
import type { Cam, CamOptions } from 'onvif';
import { outboundPolicies } from '../core/env.ts';
import { pinnedLookup, resolveChecked, type OutboundPolicy } from '../core/net-policy.ts';
import { CameraAnswerError, CameraAuthError, CameraError, CameraTimeoutError } from './camera-errors.ts';
import { checkCameraUri } from './camera-uri.ts';
import { redactError, safeCause } from './redact.ts';

export type OnvifAuth = 'auto' | 'wsse' | 'digest';

export interface OnvifTarget {
  cameraId: string;
  host: string;
  /** ONVIF (HTTP) port of the device service. Default 80. */
  port?: number;
  username?: string;
  password?: string;
  /** `auto`: WS-Security header, and HTTP Digest when the camera asks; `digest`: Digest only; `wsse`: the same as auto. */
  auth?: OnvifAuth;
  /** Time limit of one call (connect counts as one). Default 8000. */
  timeoutMs?: number;
  /** Ports a returned RTSP URI may use. Default [554]. */
  rtspPorts?: readonly number[];
  /** Ports a returned snapshot URI may use. Default [the ONVIF port]. */
  snapshotPorts?: readonly number[];
  /** Where cameras may be; default the environment's camera policy (SOPWATCH_CAMERA_NETWORKS). */
  policy?: OutboundPolicy;
}

export interface OnvifProfile {
  token: string;
  name: string;
  encoding?: string;
  width?: number;
  height?: number;
  fps?: number;
}

/** What the live pipeline needs from a camera. No credentials in here: they are added at the last moment. */
export interface CameraMedia {
  cameraId: string;
  profile: OnvifProfile;
  rtspUri: string;
  snapshotUri?: string;
  /** Camera clock minus our clock, ms (whole seconds of precision). */
  clockSkewMs: number;
}

type CamFactory = (options: CamOptions) => Cam;
const defaultFactory: CamFactory = (options) => new (onvifLib().Cam)(options);

const TOKEN = /^[A-Za-z0-9_.:-]{1,64}$/;
const NOT_AUTHORIZED = /not ?authori[sz]ed|digest authentication failed/i;

function num(v: unknown): number | undefined {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v !== '' ? Number(v) : NaN;
  return Number.isFinite(n) ? n : undefined;
}

/** A profile as the library's XML parser leaves it (attributes under `$`). */
interface RawProfile {
  $?: { token?: unknown };
  token?: unknown;
  name?: unknown;
  videoEncoderConfiguration?: { encoding?: unknown; resolution?: { width?: unknown; height?: unknown }; rateControl?: { frameRateLimit?: unknown } };
}

/** Profiles as the library parsed them, reduced to what we use; entries without a safe token are skipped. */
export function toProfiles(raw: unknown): OnvifProfile[] {
  const list = Array.isArray(raw) ? raw : raw === undefined || raw === null ? [] : [raw];
  const out: OnvifProfile[] = [];
  for (const p of list as RawProfile[]) {
    const token: unknown = p?.$?.token ?? p?.token;
    if (typeof token !== 'string' || !TOKEN.test(token)) continue;
    const enc = p.videoEncoderConfiguration ?? {};
    const profile: OnvifProfile = { token, name: typeof p.name === 'string' ? p.name : token };
    if (typeof enc.encoding === 'string') profile.encoding = enc.encoding;
    const width = num(enc.resolution?.width);
    const height = num(enc.resolution?.height);
    const fps = num(enc.rateControl?.frameRateLimit);
    if (width !== undefined) profile.width = width;
    if (height !== undefined) profile.height = height;
    if (fps !== undefined) profile.fps = fps;
    out.push(profile);
  }
  return out;
}

/**
 * The low-resolution (sub-stream) profile: the narrowest H.264/H.265 profile at least `minWidth` wide;
 * when none is that wide, the widest one. Profiles without a known width come last.
 */
export function pickLowResProfile(profiles: readonly OnvifProfile[], minWidth = 320): OnvifProfile | undefined {
  const video = profiles.filter((p) => p.encoding === undefined || /^(h264|h265|hevc)$/i.test(p.encoding));
  const pool = video.length > 0 ? video : [...profiles];
  const known = pool.filter((p) => p.width !== undefined);
  const wide = known.filter((p) => (p.width ?? 0) >= minWidth).sort((a, b) => (a.width ?? 0) - (b.width ?? 0));
  if (wide[0] !== undefined) return wide[0];
  const narrow = known.sort((a, b) => (b.width ?? 0) - (a.width ?? 0));
  return narrow[0] ?? pool[0];
}

/** The main-stream profile: the widest H.264/H.265 profile (the one evidence is taken from). */
export function pickMainProfile(profiles: readonly OnvifProfile[]): OnvifProfile | undefined {
  const video = profiles.filter((p) => p.encoding === undefined || /^(h264|h265|hevc)$/i.test(p.encoding));
  return [...video].filter((p) => p.width !== undefined).sort((a, b) => (b.width ?? 0) - (a.width ?? 0))[0];
}

/** One ONVIF camera. Every method may throw CameraError (retry later) or CameraAnswerError / CameraUriRefusedError. */
export class OnvifRepository {
  private cam: Cam | undefined;
  private readonly timeoutMs: number;

  constructor(
    private readonly target: OnvifTarget,
    private readonly factory: CamFactory = defaultFactory,
  ) {
    this.timeoutMs = target.timeoutMs ?? 8000;
  }

  private get where(): string {
    return `camera ${this.target.cameraId} (${this.target.host}:${this.target.port ?? 80})`;
  }

  /** Connects (GetSystemDateAndTime, GetServices, GetProfiles, GetVideoSources) with a fresh Cam. */
  async connect(): Promise<void> {
    this.cam = undefined;
    const t = this.target;
    // Resolved and checked once per Cam; the library's every request goes to that address (its agent's lookup).
    const checked = await resolveChecked(t.policy ?? outboundPolicies().camera, t.host);
    const agent = new http.Agent({ keepAlive: false, lookup: pinnedLookup(checked) });
    const cam = this.factory({
      hostname: t.host,
      agent,
      port: t.port ?? 80,
      username: t.username,
      password: t.password,
      autoconnect: false,
      // The library's own socket timeout (default 120 s) stays a little above ours, so ours decides.
      timeout: this.timeoutMs + 1000,
      useWSSecurity: t.auth !== 'digest',
      preserveAddress: true,
    });
    cam.on('warning', () => undefined);
    await this.invoke(cam, 'connect', (done) => cam.connect(done));
    this.cam = cam;
  }

  /** Camera clock minus ours, from the time the library read at connect. */
  clockSkewMs(): number {
    const shift = this.cam?.timeShift;
    if (shift === undefined) return 0;
    return Math.round(shift + process.uptime() * 1000 - Date.now());
  }

  async profiles(): Promise<OnvifProfile[]> {
    const raw = await this.call('GetProfiles', (cam, done) => cam.getProfiles(done));
    return toProfiles(raw);
  }

  async streamUri(profileToken: string): Promise<string> {
    if (!TOKEN.test(profileToken)) throw new CameraAnswerError(`${this.where}: unusable profile token`);
    const raw = await this.call('GetStreamUri', (cam, done) => cam.getStreamUri({ protocol: 'RTSP', profileToken }, done));
    const url = checkCameraUri((raw as { uri?: unknown } | null)?.uri, { host: this.target.host, ports: this.target.rtspPorts ?? [554], schemes: ['rtsp'] }, `${this.where} GetStreamUri`);
    return url.toString();
  }

  /** The snapshot URI, or undefined when the camera has none (a fault or an empty answer). Refused URIs throw. */
  async snapshotUri(profileToken: string): Promise<string | undefined> {
    if (!TOKEN.test(profileToken)) throw new CameraAnswerError(`${this.where}: unusable profile token`);
    let raw: unknown;
    try {
      raw = await this.call('GetSnapshotUri', (cam, done) => cam.getSnapshotUri({ profileToken }, done));
    } catch (err) {
      if (err instanceof CameraTimeoutError || err instanceof CameraAuthError) throw err;
      return undefined;
    }
    const uri = (raw as { uri?: unknown } | null)?.uri;
    if (uri === undefined || uri === '') return undefined;
    const policy = { host: this.target.host, ports: this.target.snapshotPorts ?? [this.target.port ?? 80], schemes: ['http', 'https'] as const };
    return checkCameraUri(uri, policy, `${this.where} GetSnapshotUri`).toString();
  }

  /** Connect (if needed) and pick the low-resolution profile, or the one named `profileToken`. */
  async resolveProfile(options: { profileToken?: string; minWidth?: number } = {}): Promise<OnvifProfile> {
    if (this.cam === undefined) await this.connect();
    const profiles = await this.profiles();
    const profile = options.profileToken === undefined ? pickLowResProfile(profiles, options.minWidth) : profiles.find((p) => p.token === options.profileToken);
    if (profile === undefined) {
      const why = options.profileToken === undefined ? 'the camera lists no video profile' : `no profile "${options.profileToken}" (has: ${profiles.map((p) => p.token).join(', ') || 'none'})`;
      throw new CameraAnswerError(`${this.where}: ${why}`);
    }
    return profile;
  }

  /** Connect (if needed), pick the profile (see resolveProfile), and fetch its stream URI and, when it has one, its snapshot URI. */
  async resolveMedia(options: { profileToken?: string; minWidth?: number } = {}): Promise<CameraMedia> {
    const profile = await this.resolveProfile(options);
    const rtspUri = await this.streamUri(profile.token);
    const snapshotUri = await this.snapshotUri(profile.token);
    const media: CameraMedia = { cameraId: this.target.cameraId, profile, rtspUri, clockSkewMs: this.clockSkewMs() };
    if (snapshotUri !== undefined) media.snapshotUri = snapshotUri;
    return media;
  }

  /** Forget the connection; the next call connects with a new Cam. */
  close(): void {
    this.cam = undefined;
  }

  /**
   * One call on the current Cam. After an auth failure the Cam is rebuilt and the call tried once
   * more: the library computes the camera's clock offset once per Cam, so a camera whose clock jumped
   * (a reboot without NTP) rejects every later WS-Security header until a new Cam reads the clock again.
   */
  private async call(action: string, fn: (cam: Cam, done: (err: unknown, data?: unknown) => void) => void): Promise<unknown> {
    if (this.cam === undefined) await this.connect();
    try {
      const cam = this.cam as Cam;
      return await this.invoke(cam, action, (done) => fn(cam, done));
    } catch (err) {
      if (!(err instanceof CameraAuthError)) throw err;
      await this.connect();
      const cam = this.cam as unknown as Cam;
      return await this.invoke(cam, action, (done) => fn(cam, done));
    }
  }

  private invoke(cam: Cam, action: string, start: (done: (err: unknown, data?: unknown) => void) => void): Promise<unknown> {
    const secrets = [this.target.password];
    return new Promise((resolve, reject) => {
      let settled = false;
      const timer = setTimeout(() => {
        if (settled) return;
        settled = true;
        // A call that never answered may leave the Cam half-connected (a known library hang): drop it.
        if (this.cam === cam) this.cam = undefined;
        reject(new CameraTimeoutError(`${this.where}: ${action} took longer than ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      const done = (err: unknown, data?: unknown): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (err === null || err === undefined || err === false) {
          resolve(data);
          return;
        }
        const message = redactError(err, secrets);
        const cause = safeCause(err, secrets);
        if (NOT_AUTHORIZED.test(message)) reject(new CameraAuthError(`${this.where}: ${action}: the camera refused the credentials (${message})`, { cause }));
        else reject(new CameraError(`${this.where}: ${action} failed: ${message}`, { cause }));
      };
      try {
        start(done);
      } catch (err) {
        done(err instanceof Error ? err : new Error(String(err)));
      }
    });
  }
}
