// The camera's main (full-resolution) stream kept for evidence without decoding it: one ffmpeg copies the stream
// (`-c copy`) into short MPEG-TS segments on disk, stamped with server wall-clock time; the oldest are deleted so the
// window stays bounded in time and bytes. A keyframe at a wanted time is decoded from its segment only when evidence
// is written. Like the RTSP frame source, ffmpeg reads through the one-connection proxy (rtsp-auth-proxy.ts): it never
// sees the camera's address or password, and connects only where the camera policy allows.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { outboundPolicies } from '../core/env.ts';
import { insideListed, resolveChecked, type OutboundPolicy } from '../core/net-policy.ts';
import { decoder } from './decoder.ts';
import { RtspAuthProxy } from './rtsp-auth-proxy.ts';
import { redact, redactUrl } from './redact.ts';
import { stderrGist } from './run-bounded.ts';
import { extractFrame, MAX_FRAME_DISTANCE_MS, type MainFrame } from './segment-frame.ts';

export type { MainFrame } from './segment-frame.ts';

export interface MainRecorderOptions {
  cameraId: string;
  /**
   * The main stream's rtsp:// URL without credentials, asked again before every (re)start (ONVIF may move it);
   * undefined when there is nothing to record now (asked again after `idleRecheckMs`).
   */
  url: () => Promise<string | undefined>;
  /** Default 600 000. */
  idleRecheckMs?: number;
  username?: string;
  password?: string;
  /** Folder of this camera's segments (created; emptied on start and stop). */
  dir: string;
  /** Segments ending longer ago than this are deleted. Default 30 000. */
  windowMs?: number;
  /** The segments on disk never exceed this many bytes together (the oldest go first). Default 64 MiB. */
  maxBytes?: number;
  /** Wanted segment length; a segment is cut at the first key frame after it. Default 2000. */
  segmentMs?: number;
  /** Delay before a restart after a failure; doubles up to `backoffMaxMs`. Defaults 1000 and 60 000. */
  backoffMs?: number;
  backoffMaxMs?: number;
  /** One ffmpeg run records at most this long (its segment list and the 26.5 h MPEG-TS clock stay small). Default 6 h. */
  maxRunMs?: number;
  /** Housekeeping period (deleting, size checks). Default 1000. */
  tickMs?: number;
  ffmpegPath?: string;
  /** Where cameras may be; default the environment's camera policy (SOPWATCH_CAMERA_NETWORKS). */
  policy?: OutboundPolicy;
  /** Why recording stopped or could not start, redacted (for the server log). */
  onProblem?: (message: string) => void;
}

/** One closed or growing segment, in server wall-clock ms. */
export interface Segment {
  file: string;
  startMs: number;
  /** Undefined while ffmpeg is still writing it. */
  endMs?: number;
}


export interface RecorderStats {
  state: 'recording' | 'waiting' | 'stopped';
  segments: number;
  bytes: number;
  /** Wall-clock span held on disk, ms. */
  heldMs: number;
  restarts: number;
  lastProblem?: string;
}


/** The recording ffmpeg's arguments: copy the video into wall-clock-stamped MPEG-TS segments and a CSV list of them. */
export function recordArgs(url: string, dir: string, run: number, segmentMs: number): string[] {
  const scheme = new URL(url).protocol === 'rtsps:' ? ',tls' : '';
  return [
    '-hide_banner', '-nostdin', '-loglevel', 'error',
    '-protocol_whitelist', `rtsp,rtsps,rtp,srtp,udp,tcp${scheme}`,
    '-rtsp_transport', 'tcp', '-timeout', '10000000',
    // Packets stamped with their arrival time, kept as they are: the segment list then holds server epoch seconds.
    '-use_wallclock_as_timestamps', '1', '-copyts',
    '-an', '-sn', '-dn', '-i', url,
    '-map', '0:v:0', '-c', 'copy', '-flush_packets', '1',
    '-f', 'segment', '-segment_time', String(segmentMs / 1000), '-segment_format', 'mpegts', '-reset_timestamps', '0',
    '-segment_list', join(dir, `r${run}.csv`), '-segment_list_type', 'csv',
    join(dir, `r${run}-%06d.ts`),
  ];
}

/**
 * Segments from ffmpeg's CSV list (`name,start,end` in epoch seconds), and the last one listed even when its start is
 * unusable (ffmpeg stamps the first packet of a run 0): its end is where the segment being written begins.
 */
export function parseSegmentList(text: string): { segments: Segment[]; last?: { file: string; endMs: number } } {
  const segments: Segment[] = [];
  let last: { file: string; endMs: number } | undefined;
  for (const line of text.split('\n')) {
    const [file, start, end] = line.trim().split(',');
    const startMs = Number(start) * 1000;
    const endMs = Number(end) * 1000;
    if (file === undefined || !/^r\d+-\d{6}\.ts$/.test(file) || !Number.isFinite(startMs) || !(endMs > 0)) continue;
    last = { file, endMs };
    if (startMs <= 0 || endMs < startMs || endMs - startMs > 3_600_000) continue;
    segments.push({ file, startMs, endMs });
  }
  return { segments, ...(last === undefined ? {} : { last }) };
}

export class MainStreamRecorder {
  private readonly windowMs: number;
  private readonly maxBytes: number;
  private readonly segmentMs: number;
  private readonly secrets: string[];
  private stopped = true;
  private child: ChildProcess | undefined;
  private proxy: RtspAuthProxy | undefined;
  private run = 0;
  private runStartedMs = 0;
  private restarts = 0;
  private failures = 0;
  private lastProblem: string | undefined;
  private closed: Segment[] = [];
  /** The last segment the current run listed (trusted or not). */
  private lastOfRun: { file: string; endMs: number } | undefined;
  /** ffmpeg runs ended on purpose (stop, restart for size or age): their end is no failure. */
  private readonly ended = new WeakSet<ChildProcess>();
  private tick: NodeJS.Timeout | undefined;
  private retry: NodeJS.Timeout | undefined;
  private loop: Promise<void> = Promise.resolve();
  private bytesHeld = 0;
  private housekeeping = false;
  /** Segments being decoded now, with how many readers. */
  private readonly reading = new Map<string, number>();

  constructor(private readonly o: MainRecorderOptions) {
    this.windowMs = o.windowMs ?? 30_000;
    this.maxBytes = o.maxBytes ?? 64 * 1024 * 1024;
    this.segmentMs = o.segmentMs ?? 2000;
    this.secrets = o.password === undefined ? [] : [o.password];
  }

  /** Starts recording (and keeps restarting it with backoff until stopped). */
  async start(): Promise<void> {
    if (!this.stopped) return;
    this.stopped = false;
    await rm(this.o.dir, { recursive: true, force: true });
    await mkdir(this.o.dir, { recursive: true, mode: 0o700 });
    this.tick = setInterval(() => void this.housekeep(), this.o.tickMs ?? 1000);
    this.launch();
  }

  /** Stops ffmpeg and deletes every segment. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.tick !== undefined) clearInterval(this.tick);
    if (this.retry !== undefined) clearTimeout(this.retry);
    await this.endRun();
    await this.loop;
    await rm(this.o.dir, { recursive: true, force: true });
    this.closed = [];
  }

  stats(): RecorderStats {
    const first = this.closed[0];
    return {
      state: this.stopped ? 'stopped' : this.child !== undefined ? 'recording' : 'waiting',
      segments: this.closed.length + (this.child === undefined ? 0 : 1),
      bytes: this.bytesHeld,
      heldMs: first === undefined ? 0 : Date.now() - first.startMs,
      restarts: this.restarts,
      ...(this.lastProblem === undefined ? {} : { lastProblem: this.lastProblem }),
    };
  }

  /** The process id of the running ffmpeg (for CPU measurements). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** The segments known now, oldest first; the one being written last, without an end. */
  async segments(): Promise<Segment[]> {
    await this.readList();
    const last = this.lastOfRun;
    const open = this.child === undefined || last === undefined ? undefined : nextFile(last);
    return open === undefined ? [...this.closed] : [...this.closed, open];
  }

  /**
   * The main stream's picture nearest `tMs` (server time), as a JPEG no wider than `maxWidth`, decoded from its segment;
   * or why there is none (not recorded then, not yet written, unreadable). A picture in the segment still being written
   * that cannot be read yet (ffmpeg finds too few bytes to know the stream, or not that picture) is read again once that
   * segment is complete: at most about one segment later. A time after a segment's last picture (packets are stamped on
   * arrival, and arrive in bursts on a busy machine) takes the next segment's first picture, else the last one before it,
   * either within MAX_FRAME_DISTANCE_MS.
   */
  async frameAt(tMs: number, maxWidth = 3840): Promise<MainFrame> {
    let got = await this.frameNow(tMs, maxWidth);
    const openFile = got.seg !== undefined && got.seg.endMs === undefined ? got.seg.file : undefined;
    if (!got.frame.ok && openFile !== undefined) {
      const deadline = Date.now() + this.segmentMs * 2 + 1000;
      while (Date.now() < deadline && !this.stopped) {
        await new Promise((r) => setTimeout(r, 200));
        const seg = (await this.segments()).find((s) => s.file === openFile);
        if (seg === undefined || seg.endMs !== undefined) {
          got = await this.frameNow(tMs, maxWidth);
          break;
        }
      }
    }
    if (got.frame.ok || got.frame.empty !== true || got.seg === undefined) return got.frame;
    return (await this.nearEdge(tMs, maxWidth, got.seg)) ?? got.frame;
  }

  /** The picture nearest a time that falls after the last picture of `seg`: see frameAt. */
  private async nearEdge(tMs: number, maxWidth: number, seg: Segment): Promise<MainFrame | undefined> {
    if (seg.endMs !== undefined) {
      const segments = await this.segments();
      const next = segments[segments.findIndex((s) => s.file === seg.file) + 1];
      const first = next === undefined ? undefined : await this.readIn(next, tMs, maxWidth, 0);
      if (first?.ok === true) return first;
    }
    const before = await this.readIn(seg, tMs, maxWidth, MAX_FRAME_DISTANCE_MS);
    return before.ok ? before : undefined;
  }

  /** One try: the picture, and the segment it was looked for in (still being written when it has no end). */
  private async frameNow(tMs: number, maxWidth: number): Promise<{ frame: MainFrame; seg?: Segment }> {
    const segments = await this.segments();
    const seg = segments.find((s) => s.startMs <= tMs && (s.endMs === undefined || tMs < s.endMs));
    if (seg === undefined) {
      const first = segments[0];
      const last = segments.at(-1);
      const held = first === undefined ? 'nothing recorded' : `recorded ${new Date(first.startMs).toISOString()} .. ${last?.endMs === undefined ? 'now' : new Date(last.endMs).toISOString()}`;
      return { frame: { ok: false, reason: `no main-stream recording at ${new Date(tMs).toISOString()} (${held})` } };
    }
    return { frame: await this.readIn(seg, tMs, maxWidth), seg };
  }

  /** Decodes the picture at `tMs` from `seg` (extractFrame), holding the segment against housekeeping meanwhile. */
  private async readIn(seg: Segment, tMs: number, maxWidth: number, lookBackMs?: number): Promise<MainFrame> {
    const path = join(this.o.dir, seg.file);
    // Housekeeping leaves a segment alone while it is read (the budget may be passed by that segment for a moment).
    this.reading.set(seg.file, (this.reading.get(seg.file) ?? 0) + 1);
    try {
      if (!existsSync(path)) return { ok: false, reason: `the main-stream segment of ${new Date(tMs).toISOString()} was already deleted` };
      return await extractFrame(this.o.ffmpegPath ?? decoder().ffmpeg, path, seg.startMs, tMs, maxWidth, lookBackMs);
    } finally {
      const n = (this.reading.get(seg.file) ?? 1) - 1;
      if (n <= 0) this.reading.delete(seg.file);
      else this.reading.set(seg.file, n);
    }
  }

  private launch(): void {
    if (this.stopped) return;
    this.loop = this.loop.then(() => this.startRun()).catch((err: unknown) => this.problem(`cannot record the main stream: ${(err as Error).message}`));
  }

  private problem(message: string): void {
    const text = redact(message, this.secrets);
    this.lastProblem = text;
    this.o.onProblem?.(`camera ${this.o.cameraId}: ${text}`);
    this.scheduleRestart();
  }

  private scheduleRestart(): void {
    if (this.stopped || this.retry !== undefined) return;
    const base = this.o.backoffMs ?? 1000;
    const delay = Math.min(this.o.backoffMaxMs ?? 60_000, base * 2 ** Math.min(this.failures, 16));
    this.failures += 1;
    this.retry = setTimeout(() => {
      this.retry = undefined;
      this.restarts += 1;
      this.launch();
    }, delay);
  }

  private async startRun(): Promise<void> {
    if (this.stopped) return;
    const wanted = await this.o.url();
    if (wanted === undefined) {
      this.retry = setTimeout(() => {
        this.retry = undefined;
        this.launch();
      }, this.o.idleRecheckMs ?? 600_000);
      return;
    }
    const raw = new URL(wanted);
    if (raw.protocol !== 'rtsp:' && raw.protocol !== 'rtsps:') throw new Error(`not an rtsp:// URL: ${redactUrl(raw.toString())}`);
    raw.username = '';
    raw.password = '';
    const policy = this.o.policy ?? outboundPolicies().camera;
    const checked = await resolveChecked(policy, raw.hostname);
    const credential = this.o.username === undefined || this.o.username === '' ? undefined : { username: this.o.username, password: this.o.password ?? '' };
    const proxy = await RtspAuthProxy.start({ cameraUrl: raw, checked, ...(credential === undefined ? {} : { credential }), allowBasic: insideListed(policy, checked.address), connectTimeoutMs: 10_000 });
    if (this.stopped) {
      await proxy.close();
      return;
    }
    this.proxy = proxy;
    this.run += 1;
    this.runStartedMs = Date.now();
    const child = spawn(this.o.ffmpegPath ?? decoder().ffmpeg, recordArgs(proxy.localUrl, this.o.dir, this.run, this.segmentMs), { stdio: ['ignore', 'ignore', 'pipe'], windowsHide: true });
    this.child = child;
    let stderr = '';
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (t: string) => {
      stderr = (stderr + t).slice(-4096);
    });
    child.once('close', (code, signal) => {
      if (this.child === child) this.child = undefined;
      void proxy.close();
      if (this.proxy === proxy) this.proxy = undefined;
      if (this.stopped || this.ended.has(child)) return;
      const why = proxy.problem !== undefined ? `${proxy.problem.kind}: ${proxy.problem.detail}` : signal !== null ? `ffmpeg was killed by ${signal}` : `ffmpeg exited ${String(code)}: ${stderrGist(stderr)}`;
      this.problem(`main-stream recording ended (${why})`);
    });
    child.once('error', (err) => {
      if (child.pid !== undefined) return;
      if (this.child === child) this.child = undefined;
      this.problem(`cannot run ffmpeg: ${err.message}`);
    });
  }

  /** Ends the current ffmpeg run on purpose (stop, restart for size or age); its segments stay until they expire. */
  private async endRun(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (child !== undefined && child.exitCode === null && child.signalCode === null) {
      this.ended.add(child);
      const gone = new Promise<void>((resolve) => child.once('close', () => resolve()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 1000);
      await gone;
      clearTimeout(timer);
    }
    await this.proxy?.close();
    this.proxy = undefined;
    await this.readList();
  }

  /** Reads the segment lists of every run still on disk. */
  private async readList(): Promise<void> {
    let names: string[];
    try {
      names = await readdir(this.o.dir);
    } catch {
      return;
    }
    const segments: Segment[] = [];
    this.lastOfRun = undefined;
    for (const name of names.filter((n) => /^r\d+\.csv$/.test(n))) {
      const text = await readFile(join(this.o.dir, name), 'utf8').catch(() => '');
      const list = parseSegmentList(text);
      segments.push(...list.segments.filter((s) => names.includes(s.file)));
      if (name === `r${this.run}.csv`) this.lastOfRun = list.last;
    }
    this.closed = segments.sort((a, b) => a.startMs - b.startMs);
  }

  /** Deletes what fell out of the window or over the byte budget; restarts a run that grew too old or too large. */
  private async housekeep(): Promise<void> {
    if (this.stopped || this.housekeeping) return;
    this.housekeeping = true;
    try {
      // The folder first, the lists after: a segment ffmpeg closed before the folder was read is surely listed by then
      // (it writes the list entry before it opens the next file), so only the file being written is unlisted.
      const names = await readdir(this.o.dir);
      await this.readList();
      const now = Date.now();
      const sizes = new Map<string, number>();
      for (const n of names.filter((x) => x.endsWith('.ts'))) sizes.set(n, (await stat(join(this.o.dir, n)).catch(() => ({ size: 0 }))).size);
      const listed = new Set(this.closed.map((s) => s.file));
      const open = this.child === undefined ? undefined : [...sizes.keys()].filter((n) => n.startsWith(`r${this.run}-`) && !listed.has(n)).sort().at(-1);
      // Files no list knows (a run's first segment, a killed run's last one) and segments out of the window go.
      const doomed = new Set([...sizes.keys()].filter((n) => n !== open && !listed.has(n)));
      for (const s of this.closed) if ((s.endMs ?? now) < now - this.windowMs) doomed.add(s.file);
      let total = [...sizes.entries()].filter(([n]) => !doomed.has(n)).reduce((sum, [, b]) => sum + b, 0);
      for (const s of this.closed) {
        if (total <= this.maxBytes) break;
        if (doomed.has(s.file)) continue;
        doomed.add(s.file);
        total -= sizes.get(s.file) ?? 0;
      }
      for (const n of doomed) if (!this.reading.has(n)) await rm(join(this.o.dir, n), { force: true });
      // Lists of runs whose segments are all gone.
      for (const csv of names.filter((n) => /^r\d+\.csv$/.test(n))) {
        const run = csv.slice(0, -4);
        if (run !== `r${this.run}` && ![...sizes.keys()].some((n) => n.startsWith(`${run}-`) && !doomed.has(n))) await rm(join(this.o.dir, csv), { force: true });
      }
      this.bytesHeld = total;
      this.closed = this.closed.filter((s) => !doomed.has(s.file) || this.reading.has(s.file));
      if (this.child !== undefined && this.child.pid !== undefined) {
        const openBytes = open === undefined ? 0 : (sizes.get(open) ?? 0);
        const lastEnd = this.lastOfRun?.endMs ?? this.runStartedMs;
        // A camera that sends no key frame never lets ffmpeg cut: the growing segment would break the bounds.
        const why = openBytes > this.maxBytes / 2 ? `its segment grew past ${Math.round(this.maxBytes / 2 / 1024)} KiB without a key frame`
          // Twice the window: a camera with long key-frame intervals (smart codecs) is not cut short at each one.
          : now - lastEnd > 2 * this.windowMs ? `no segment closed for ${now - lastEnd} ms (no key frame)`
          : undefined;
        const aged = now - this.runStartedMs > (this.o.maxRunMs ?? 6 * 3_600_000);
        if (why !== undefined || aged) {
          if (why !== undefined) this.lastProblem = `main-stream recording restarted: ${why}`;
          await this.endRun();
          this.failures = 0;
          this.launch();
        } else if (now - this.runStartedMs > this.windowMs) {
          this.failures = 0;
        }
      }
    } catch (err) {
      this.lastProblem = redact(`main-stream housekeeping: ${(err as Error).message}`, this.secrets);
    } finally {
      this.housekeeping = false;
    }
  }
}

/** The segment after `last` of the same run: the one ffmpeg writes now, starting where `last` ended. */
function nextFile(last: { file: string; endMs: number }): Segment | undefined {
  const m = /^r(\d+)-(\d{6})\.ts$/.exec(last.file);
  if (m === null) return undefined;
  return { file: `r${m[1]}-${String(Number(m[2]) + 1).padStart(6, '0')}.ts`, startMs: last.endMs };
}
