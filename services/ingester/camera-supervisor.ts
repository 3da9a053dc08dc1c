// Watches one camera around the clock: liveness is frames arriving (not a process running); no frame for a while
// means offline, the session is killed and reopened with exponential backoff and jitter; health and not-monitored spans are kept.
import { backoffMs, HourCounter, qualityGrade, RateMeter, type CameraEvent, type CameraHealth, type CameraState, type NotMonitored } from './camera-health.ts';
import { FrameBuffer } from './frame-buffer.ts';
import type { FrameSession, FrameSource } from './frame-session.ts';
import type { LiveFrame } from './live-frame.ts';
import { redactError } from './redact.ts';

export interface SupervisorOptions {
  cameraId: string;
  /**
   * A source, or a factory called before every (re)start (an ONVIF camera is resolved again with a new Cam);
   * it is told how the previous session went, so it can fall back to another way of getting frames.
   */
  source: FrameSource | ((previous?: SessionSummary) => Promise<FrameSource>);
  /** The rate the source was asked for (for the quality grade). */
  expectedFps: number;
  /** Online and no frame for this long: offline, the session is killed. Default 20 000. */
  stallMs?: number;
  /** A (re)started session may take this long to deliver its first frame. Default 20 000. */
  startTimeoutMs?: number;
  /** Delay before restart attempt n: initialMs * 2^n capped at maxMs, +-jitter. Defaults 1000, 60 000, 0.3. */
  backoff?: { initialMs?: number; maxMs?: number; jitter?: number };
  /** Online at least this long before failing resets the backoff, so a flapping camera backs off. Default 60 000. */
  stableMs?: number;
  /** Frames held for a busy consumer; the newest wins. Default 2. */
  bufferSize?: number;
  /** Strings masked in every reason and error (the camera password). */
  secrets?: string[];
  onEvent?: (event: CameraEvent) => void;
  random?: () => number;
}

export type { CameraEvent } from './camera-health.ts';

/** How a session went, for a source factory choosing the next one. */
export interface SessionSummary {
  kind: FrameSource['kind'];
  frames: number;
  reason: string;
}

type Outcome = { reason: string; kind: 'stall' | 'start_timeout' | 'exit' | 'error' | 'stopped' };

export class CameraSupervisor {
  /** Frames for the analysis: bounded, newest wins, drops counted. */
  readonly frames: FrameBuffer<LiveFrame>;
  private readonly o: Required<Omit<SupervisorOptions, 'onEvent' | 'random' | 'secrets' | 'backoff'>> & { backoff: { initialMs: number; maxMs: number; jitter: number } };
  private readonly rateIn = new RateMeter();
  private readonly rateOut = new RateMeter();
  private readonly reconnects = new HourCounter();
  private readonly stalls = new HourCounter();
  private readonly spans: NotMonitored[] = [];
  private state: CameraState = 'starting';
  private sinceMs = Date.now();
  private readonly startedMs = Date.now();
  private sourceDescription = '(not opened yet)';
  private lastFrameMs: number | undefined;
  private lastError: string | undefined;
  private clockSkewMs: number | undefined;
  private index = 0;
  private framesTotal = 0;
  private sessionFrames = 0;
  private previous: SessionSummary | undefined;
  private session: FrameSession | undefined;
  private stopping = false;
  private wake: (() => void) | undefined;
  private loop: Promise<void> | undefined;

  constructor(private readonly options: SupervisorOptions) {
    this.o = {
      cameraId: options.cameraId,
      source: options.source,
      expectedFps: options.expectedFps,
      stallMs: options.stallMs ?? 20_000,
      startTimeoutMs: options.startTimeoutMs ?? 20_000,
      stableMs: options.stableMs ?? 60_000,
      bufferSize: options.bufferSize ?? 2,
      backoff: { initialMs: options.backoff?.initialMs ?? 1000, maxMs: options.backoff?.maxMs ?? 60_000, jitter: options.backoff?.jitter ?? 0.3 },
    };
    this.frames = new FrameBuffer<LiveFrame>(this.o.bufferSize, () => this.rateOut.mark(Date.now()));
  }

  start(): void {
    this.loop ??= this.run();
  }

  /** Stops watching: the session is ended, the frame buffer closed, an open not-monitored span closed now. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    await this.session?.stop();
    await this.loop;
    const now = Date.now();
    const open = this.spans.at(-1);
    if (open !== undefined && open.endMs === undefined) this.closeSpan(now);
    this.setState('stopped', now);
    this.frames.close();
  }

  /** The camera clock offset, when a source learnt it (shown in health). */
  setClockSkew(ms: number | undefined): void {
    this.clockSkewMs = ms;
  }

  health(): CameraHealth {
    const now = Date.now();
    const fpsIn = this.rateIn.rate(now);
    const base = { state: this.state, fpsIn, expectedFps: this.o.expectedFps, reconnectsLastHour: this.reconnects.count(now), stallsLastHour: this.stalls.count(now) };
    const h: CameraHealth = {
      cameraId: this.o.cameraId,
      source: this.sourceDescription,
      sinceMs: this.sinceMs,
      ...base,
      fpsOut: this.rateOut.rate(now),
      dropped: this.frames.dropped,
      framesTotal: this.framesTotal,
      grade: qualityGrade(base),
      notMonitored: this.spans.map((s) => ({ ...s })),
    };
    if (this.lastFrameMs !== undefined) h.lastFrameMs = this.lastFrameMs;
    if (this.lastError !== undefined) h.lastError = this.lastError;
    if (this.clockSkewMs !== undefined) h.clockSkewMs = this.clockSkewMs;
    return h;
  }

  private emit(event: CameraEvent): void {
    try {
      this.options.onEvent?.(event);
    } catch {
      // A listener's failure must not stop the watching.
    }
  }

  private setState(state: CameraState, atMs = Date.now()): void {
    if (this.state === state) return;
    this.state = state;
    this.sinceMs = atMs;
  }

  private closeSpan(endMs: number): void {
    const open = this.spans.at(-1);
    if (open === undefined || open.endMs !== undefined) return;
    open.endMs = Math.max(open.startMs, endMs);
    this.emit({ type: 'not_monitored', cameraId: this.o.cameraId, span: { ...open } });
  }

  private onFrame(session: FrameSession, jpeg: Buffer, tMs: number): void {
    if (session !== this.session || this.stopping) return;
    this.sessionFrames += 1;
    this.framesTotal += 1;
    this.lastFrameMs = tMs;
    this.rateIn.mark(tMs);
    if (this.state !== 'online') {
      this.setState('online', tMs);
      this.closeSpan(tMs);
      this.emit({ type: 'online', cameraId: this.o.cameraId, atMs: tMs, source: this.sourceDescription });
    }
    this.frames.push({ cameraId: this.o.cameraId, index: this.index++, tMs, jpeg });
  }

  private async run(): Promise<void> {
    let attempt = 0;
    let first = true;
    while (!this.stopping) {
      if (!first) this.reconnects.mark(Date.now());
      first = false;
      this.setState('starting');
      const outcome = await this.runSession();
      const onlineForMs = this.state === 'online' ? Date.now() - this.sinceMs : 0;
      if (this.stopping) break;
      this.goOffline(outcome);
      if (onlineForMs >= this.o.stableMs) attempt = 0;
      const delayMs = backoffMs(attempt, this.o.backoff, this.options.random);
      attempt += 1;
      this.setState('backoff');
      this.emit({ type: 'backoff', cameraId: this.o.cameraId, atMs: Date.now(), attempt, delayMs });
      await this.sleep(delayMs);
    }
  }

  private async runSession(): Promise<Outcome> {
    const startedMs = Date.now();
    this.sessionFrames = 0;
    let source: FrameSource;
    try {
      source = typeof this.o.source === 'function' ? await this.o.source(this.previous) : this.o.source;
      this.sourceDescription = source.description;
    } catch (err) {
      this.previous = undefined;
      return { reason: redactError(err, this.options.secrets), kind: 'error' };
    }
    if (this.stopping) return { reason: 'stopped', kind: 'stopped' };
    // Sources deliver frames asynchronously, never from inside open(), so `session` is set when onFrame runs.
    const session: FrameSession = source.open({ onFrame: (jpeg, tMs) => this.onFrame(session, jpeg, tMs) });
    this.session = session;
    let outcome: Outcome | undefined;
    try {
      outcome = await this.watch(session, startedMs);
      return outcome;
    } finally {
      await session.stop();
      this.session = undefined;
      this.previous = { kind: source.kind, frames: this.sessionFrames, reason: redactError(outcome?.reason ?? 'stopped', this.options.secrets) };
    }
  }

  /** Resolves when the session ends by itself, stalls, never starts, or we stop. */
  private watch(session: FrameSession, startedMs: number): Promise<Outcome> {
    const checkMs = Math.max(50, Math.min(1000, Math.floor(Math.min(this.o.stallMs, this.o.startTimeoutMs) / 5)));
    return new Promise<Outcome>((resolve) => {
      const timer = setInterval(() => {
        const now = Date.now();
        if (this.stopping) finish({ reason: 'stopped', kind: 'stopped' });
        else if (this.sessionFrames === 0 && now - startedMs >= this.o.startTimeoutMs) {
          finish({ reason: `no first frame within ${this.o.startTimeoutMs} ms`, kind: 'start_timeout' });
        } else if (this.sessionFrames > 0 && now - (this.lastFrameMs ?? startedMs) >= this.o.stallMs) {
          finish({ reason: `no frame for ${this.o.stallMs} ms (stalled)`, kind: 'stall' });
        }
      }, checkMs);
      const finish = (outcome: Outcome): void => {
        clearInterval(timer);
        resolve(outcome);
      };
      void session.ended.then((end) => finish({ reason: end.reason, kind: end.stopped ? 'stopped' : 'exit' }));
    });
  }

  private goOffline(outcome: Outcome): void {
    const now = Date.now();
    if (outcome.kind === 'stall') this.stalls.mark(now);
    this.lastError = redactError(outcome.reason, this.options.secrets);
    const wasOnline = this.state === 'online';
    this.setState('offline', now);
    const open = this.spans.at(-1);
    if (open === undefined || open.endMs !== undefined) {
      this.spans.push({ cameraId: this.o.cameraId, startMs: this.lastFrameMs ?? this.startedMs, reason: this.lastError });
      if (this.spans.length > 50) this.spans.shift();
    }
    this.emit({ type: 'offline', cameraId: this.o.cameraId, atMs: now, reason: this.lastError, kind: outcome.kind, wasOnline, ...(this.lastFrameMs === undefined ? {} : { lastFrameMs: this.lastFrameMs }) });
  }

  private sleep(ms: number): Promise<void> {
    if (this.stopping) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }
}
