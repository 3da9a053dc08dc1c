// Runs the GStreamer RTSP server (rtsp-server.py, Debian's python3-gi) as a child process we can kill, pause and restart.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { SopwatchError } from '../core/errors.ts';

/** Debian's python: a pyenv `python3` earlier on PATH has no `gi` module. */
export const SYSTEM_PYTHON = '/usr/bin/python3';
const SCRIPT = fileURLToPath(new URL('./rtsp-server.py', import.meta.url));

export interface RtspServerOptions {
  /**
   * Mount names (`cam-1` is served at rtsp://127.0.0.1:PORT/cam-1), each with a start offset into the loop and, when
   * given, its own picture size (the frames scaled, or the test pattern's size): a camera's main and sub streams.
   */
  mounts: Array<{ name: string; offsetMs?: number; width?: number; height?: number }>;
  /** Folder of JPEG frames to loop; a moving test pattern without it. */
  framesDir?: string;
  fps?: number;
  /** H.264 bit rate, kbit/s. Default 300 (a sub-stream; main streams run 2000-6000). */
  bitrateKbps?: number;
  /** Test-pattern size. Default 320x180. */
  width?: number;
  height?: number;
  /** 0 = any free port. */
  port?: number;
  /** RTSP Digest auth when set. */
  username?: string;
  password?: string;
  startTimeoutMs?: number;
}

export class RtspServerUnavailable extends SopwatchError {}

let available: boolean | undefined;
/** True when Debian's python has GStreamer's RTSP server (python3-gi, gir1.2-gst-rtsp-server-1.0). */
export function rtspServerAvailable(): boolean {
  if (available !== undefined) return available;
  try {
    const probe = "import gi; gi.require_version('GstRtspServer', '1.0'); from gi.repository import GstRtspServer";
    available = existsSync(SYSTEM_PYTHON) && (execFileSync(SYSTEM_PYTHON, ['-c', probe], { stdio: 'ignore', timeout: 10_000 }), true);
  } catch {
    available = false;
  }
  return available;
}

export class RtspServerProcess {
  private child: ChildProcess | undefined;
  private boundPort: number;

  private constructor(private readonly options: RtspServerOptions) {
    this.boundPort = options.port ?? 0;
  }

  static async start(options: RtspServerOptions): Promise<RtspServerProcess> {
    const server = new RtspServerProcess(options);
    await server.launch();
    return server;
  }

  get port(): number {
    return this.boundPort;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** The mount's URL, without credentials. */
  url(mount: string): string {
    return `rtsp://127.0.0.1:${this.boundPort}/${mount}`;
  }

  /** SIGSTOP: the TCP connections stay open and nothing flows (a stalled camera). */
  pause(): void {
    this.child?.kill('SIGSTOP');
  }

  resume(): void {
    this.child?.kill('SIGCONT');
  }

  /** Kills the server as a power cut would (SIGKILL), and waits for it to be gone. */
  async kill(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGCONT');
    child.kill('SIGKILL');
    await gone;
  }

  /** Starts it again on the same port (a camera coming back after a reboot). */
  async restart(): Promise<void> {
    await this.kill();
    await this.launch();
  }

  async stop(): Promise<void> {
    await this.kill();
  }

  private launch(): Promise<void> {
    const o = this.options;
    const args = [SCRIPT, '--port', String(this.boundPort), '--fps', String(o.fps ?? 5), '--size', `${o.width ?? 320}x${o.height ?? 180}`];
    if (o.framesDir !== undefined) args.push('--frames', o.framesDir);
    if (o.bitrateKbps !== undefined) args.push('--bitrate', String(Math.round(o.bitrateKbps)));
    for (const m of o.mounts) args.push('--mount', `${m.name}:${Math.round(m.offsetMs ?? 0)}${m.width === undefined || m.height === undefined ? '' : `:${m.width}x${m.height}`}`);
    const env: NodeJS.ProcessEnv = { PATH: '/usr/bin:/bin', GST_DEBUG: '0' };
    if (o.username !== undefined) {
      env.SIM_RTSP_USER = o.username;
      env.SIM_RTSP_PASSWORD = o.password ?? '';
    }
    const child = spawn(SYSTEM_PYTHON, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
    this.child = child;
    let output = '';
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => fail(`no "ready" line within ${o.startTimeoutMs ?? 10_000} ms`), o.startTimeoutMs ?? 10_000);
      const fail = (why: string): void => {
        clearTimeout(timer);
        child.kill('SIGKILL');
        reject(new RtspServerUnavailable(`RTSP test server (${SYSTEM_PYTHON} rtsp-server.py): ${why}: ${output.trim().slice(-500)}`));
      };
      child.once('error', (err) => fail(err.message));
      child.once('exit', (code) => fail(`exited ${String(code)} before it was ready (are python3-gi and gir1.2-gst-rtsp-server-1.0 installed?)`));
      child.stderr?.setEncoding('utf8');
      child.stderr?.on('data', (t: string) => {
        output = (output + t).slice(-2000);
      });
      child.stdout?.setEncoding('utf8');
      child.stdout?.on('data', (t: string) => {
        output = (output + t).slice(-2000);
        const m = /ready rtsp:\/\/[^:]+:(\d+)/.exec(output);
        if (m === null) return;
        clearTimeout(timer);
        child.removeAllListeners('exit');
        this.boundPort = Number(m[1]);
        resolve();
      });
    });
  }
}
