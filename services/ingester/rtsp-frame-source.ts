// Frames from an RTSP camera: one ffmpeg per session pulling the stream (interleaved over TCP) at 1-5 fps and writing
// JPEGs to a pipe; each picture is stamped with server time. Liveness is the supervisor's job, not ffmpeg's.
// ffmpeg never sees the camera's address or password: it reads from a one-connection proxy on 127.0.0.1
// (rtsp-auth-proxy.ts) that connects to the checked, pinned camera address and answers its challenges.
import { spawn } from 'node:child_process';
import { outboundPolicies } from '../core/env.ts';
import { UsageError } from '../core/errors.ts';
import { decoder } from './decoder.ts';
import { insideListed, resolveChecked, type OutboundPolicy } from '../core/net-policy.ts';
import type { FrameSession, FrameSource, SessionEnd, SessionHandlers } from './frame-session.ts';
import { RtspAuthProxy, type ProxyProblem } from './rtsp-auth-proxy.ts';
import { JpegSplitter } from './jpeg-stream.ts';
import { redact, redactUrl } from './redact.ts';
import { stderrGist } from './run-bounded.ts';

export interface RtspSourceOptions {
  /** rtsp:// URL without credentials (as the ONVIF repository returns it, or from config). */
  url: string;
  username?: string;
  password?: string;
  /** Frames per second to keep (0 < fps <= 15). Default 2. */
  fps?: number;
  /** Wider pictures are scaled down to this width. Default 640. */
  maxWidth?: number;
  /** RTSP transport. Only tcp (interleaved through the proxy): `udp` is read as tcp. */
  transport?: 'tcp' | 'udp';
  /** Decode key frames only: about half the CPU, but the rate becomes the camera's key-frame rate. */
  keyFramesOnly?: boolean;
  /** ffmpeg's own socket timeout at connect, ms. Default 10 000 (it does not catch a mid-stream stall). */
  socketTimeoutMs?: number;
  ffmpegPath?: string;
  /** Grace between SIGTERM (lets ffmpeg send TEARDOWN) and SIGKILL. Default 1000. */
  killGraceMs?: number;
  /** Where cameras may be; default the environment's camera policy (SOPWATCH_CAMERA_NETWORKS). */
  policy?: OutboundPolicy;
}

/** Why a session ended, in words a person can act on, from what the proxy saw (ffmpeg only sees the proxy). */
function problemReason(p: ProxyProblem): string {
  switch (p.kind) {
    case 'auth':
      return `authentication failed: ${p.detail}`;
    case 'connect':
      return `cannot connect to the camera: ${p.detail}`;
    case 'protocol':
      return `the camera broke the RTSP protocol: ${p.detail}`;
  }
}

/** The ffmpeg arguments of one session; `url` is the local proxy's, without credentials. */
export function rtspArgs(url: string, o: Required<Pick<RtspSourceOptions, 'fps' | 'maxWidth' | 'transport' | 'keyFramesOnly' | 'socketTimeoutMs'>>): string[] {
  const scheme = new URL(url).protocol === 'rtsps:' ? ',tls' : '';
  return [
    '-hide_banner', '-nostdin', '-loglevel', 'error',
    // Only the protocols RTSP itself needs: a camera cannot redirect ffmpeg to a file or http.
    '-protocol_whitelist', `rtsp,rtsps,rtp,srtp,udp,tcp${scheme}`,
    '-rtsp_transport', o.transport,
    '-timeout', String(o.socketTimeoutMs * 1000),
    '-fflags', '+genpts+discardcorrupt', '-use_wallclock_as_timestamps', '1',
    '-analyzeduration', '500000', '-probesize', '500000',
    ...(o.keyFramesOnly ? ['-skip_frame', 'nokey'] : []),
    '-an', '-sn', '-dn', '-i', url,
    '-vf', `fps=${o.fps},scale=w='min(${o.maxWidth},iw)':h=-2`,
    '-f', 'image2pipe', '-c:v', 'mjpeg', '-q:v', '5', 'pipe:1',
  ];
}

export class RtspFrameSource implements FrameSource {
  readonly kind = 'rtsp' as const;
  readonly description: string;
  private readonly url: URL;
  private readonly secrets: string[];
  private readonly settings: Required<Pick<RtspSourceOptions, 'fps' | 'maxWidth' | 'transport' | 'keyFramesOnly' | 'socketTimeoutMs'>>;

  constructor(private readonly options: RtspSourceOptions) {
    const fps = options.fps ?? 2;
    if (!(fps > 0 && fps <= 15)) throw new UsageError(`rtsp source: fps must be in (0, 15], got ${fps}`);
    const url = new URL(options.url);
    if (url.protocol !== 'rtsp:' && url.protocol !== 'rtsps:') throw new UsageError(`rtsp source: not an rtsp:// URL: ${redactUrl(options.url)}`);
    this.description = `rtsp ${redactUrl(options.url)}`;
    this.secrets = options.password === undefined ? [] : [options.password];
    url.username = '';
    url.password = '';
    this.url = url;
    this.settings = {
      fps,
      maxWidth: options.maxWidth ?? 640,
      transport: 'tcp',
      keyFramesOnly: options.keyFramesOnly ?? false,
      socketTimeoutMs: options.socketTimeoutMs ?? 10_000,
    };
  }

  open(handlers: SessionHandlers): FrameSession {
    let stopping = false;
    let session: FrameSession | undefined;
    let proxy: RtspAuthProxy | undefined;
    const started = (async (): Promise<FrameSession | SessionEnd> => {
      try {
        const policy = this.options.policy ?? outboundPolicies().camera;
        const checked = await resolveChecked(policy, this.url.hostname);
        const credential = this.options.username === undefined || this.options.username === '' ? undefined : { username: this.options.username, password: this.options.password ?? '' };
        proxy = await RtspAuthProxy.start({
          cameraUrl: this.url,
          checked,
          ...(credential === undefined ? {} : { credential }),
          allowBasic: insideListed(policy, checked.address),
          connectTimeoutMs: this.settings.socketTimeoutMs,
        });
      } catch (err) {
        return { reason: redact(`cannot open the stream: ${(err as Error).message}`, this.secrets), stopped: false };
      }
      if (stopping) return { reason: 'stopped', stopped: true };
      session = this.run(proxy, handlers);
      return session;
    })();
    const ended = started.then(async (s) => {
      const end = 'ended' in s ? await s.ended : s;
      await proxy?.close();
      return end;
    });
    return {
      ended,
      stop: async () => {
        stopping = true;
        const s = await started;
        if ('stop' in s) await s.stop();
        await ended;
      },
    };
  }

  private run(proxy: RtspAuthProxy, handlers: SessionHandlers): FrameSession {
    const args = rtspArgs(proxy.localUrl, this.settings);
    const child = spawn(this.options.ffmpegPath ?? decoder().ffmpeg, args, { stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true });
    const splitter = new JpegSplitter();
    let stderr = '';
    let stopping = false;
    let broken: string | undefined;
    child.stdout.on('data', (chunk: Buffer) => {
      if (broken !== undefined) return;
      try {
        for (const jpeg of splitter.push(chunk)) handlers.onFrame(jpeg, Date.now());
      } catch (err) {
        broken = (err as Error).message;
        child.kill('SIGKILL');
      }
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (t: string) => {
      stderr = (stderr + t).slice(-4096);
    });
    child.stdout.on('error', () => undefined);
    child.stderr.on('error', () => undefined);
    const ended = new Promise<SessionEnd>((resolve) => {
      child.once('error', (err) => {
        if (child.pid !== undefined) return;
        resolve({ reason: redact(`cannot run ffmpeg: ${err.message}`, this.secrets), stopped: false });
      });
      child.once('close', (code, signal) => {
        if (stopping) return resolve({ reason: 'stopped', stopped: true });
        const said = stderr.trim() === '' ? '' : `: ${stderrGist(stderr)}`;
        const why =
          broken !== undefined ? `unreadable picture stream (${broken})`
          : proxy.problem !== undefined ? problemReason(proxy.problem)
          : signal !== null ? `ffmpeg was killed by ${signal}`
          : `ffmpeg exited ${String(code)}${said}`;
        resolve({ reason: redact(why, this.secrets), stopped: false });
      });
    });
    const grace = this.options.killGraceMs ?? 1000;
    return {
      ended,
      stop: async () => {
        if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
          stopping = true;
          child.kill('SIGTERM');
          const timer = setTimeout(() => child.kill('SIGKILL'), grace);
          await ended;
          clearTimeout(timer);
        }
        await ended;
      },
    };
  }
}
