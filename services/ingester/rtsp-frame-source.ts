// Frames from an RTSP camera: one ffmpeg per session pulling the stream (TCP by default) at 1-5 fps and writing
// JPEGs to a pipe; each picture is stamped with server time. Liveness is the supervisor's job, not ffmpeg's.
import { spawn } from 'node:child_process';
import { UsageError } from '../core/errors.ts';
import { withCredentials } from './camera-uri.ts';
import { decoder } from './decoder.ts';
import type { FrameSession, FrameSource, SessionEnd, SessionHandlers } from './frame-session.ts';
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
  /** RTSP transport. Default tcp (cameras' usual choice; no lost UDP packets). */
  transport?: 'tcp' | 'udp';
  /** Decode key frames only: about half the CPU, but the rate becomes the camera's key-frame rate. */
  keyFramesOnly?: boolean;
  /** ffmpeg's own socket timeout at connect, ms. Default 10 000 (it does not catch a mid-stream stall). */
  socketTimeoutMs?: number;
  ffmpegPath?: string;
  /** Grace between SIGTERM (lets ffmpeg send TEARDOWN) and SIGKILL. Default 1000. */
  killGraceMs?: number;
}

/** The ffmpeg arguments of one session; `url` already carries the credentials. */
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
  private readonly args: string[];
  private readonly secrets: string[];

  constructor(private readonly options: RtspSourceOptions) {
    const fps = options.fps ?? 2;
    if (!(fps > 0 && fps <= 15)) throw new UsageError(`rtsp source: fps must be in (0, 15], got ${fps}`);
    const url = new URL(options.url);
    if (url.protocol !== 'rtsp:' && url.protocol !== 'rtsps:') throw new UsageError(`rtsp source: not an rtsp:// URL: ${redactUrl(options.url)}`);
    this.description = `rtsp ${redactUrl(options.url)}`;
    this.secrets = options.password === undefined ? [] : [options.password];
    this.args = rtspArgs(withCredentials(url, options.username, options.password), {
      fps,
      maxWidth: options.maxWidth ?? 640,
      transport: options.transport ?? 'tcp',
      keyFramesOnly: options.keyFramesOnly ?? false,
      socketTimeoutMs: options.socketTimeoutMs ?? 10_000,
    });
  }

  open(handlers: SessionHandlers): FrameSession {
    const child = spawn(this.options.ffmpegPath ?? decoder().ffmpeg, this.args, { stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true });
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
        const why = broken !== undefined ? `unreadable picture stream (${broken})` : signal !== null ? `ffmpeg was killed by ${signal}` : `ffmpeg exited ${String(code)}${said}`;
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
