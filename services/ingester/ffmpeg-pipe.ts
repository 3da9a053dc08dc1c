// One ffmpeg child that writes fixed-size raw frames to stdout (and, optionally, a smaller picture of each to fd 3):
// exact-size framing, backpressure, stall and wall-clock watchdogs, abort, a bounded stderr tail, and a kill that waits
// for the exit.
import { spawn, type ChildProcessByStdio, type IOType } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';

/** Why the pipe ended. `exit` is ffmpeg's own exit; the others are ours (the child was killed). */
export type PipeEnd =
  | { kind: 'exit'; code: number | null; signal: NodeJS.Signals | null }
  | { kind: 'stall'; ms: number }
  | { kind: 'timeout'; ms: number }
  | { kind: 'aborted' }
  | { kind: 'stopped' }
  | { kind: 'spawn_error'; error: Error };

export interface RawFramePipeOptions {
  command: string;
  args: readonly string[];
  frameBytes: number;
  /** No frame for this long (while we are waiting for one) ends the pipe. */
  stallMs: number;
  /** Total time ffmpeg may run while we wait on it (time blocked on a slow consumer is not counted). */
  timeoutMs: number;
  signal?: AbortSignal;
  /** Frames buffered before stdout is paused; keeps memory bounded when the consumer is slow. */
  maxQueued?: number;
  /** Characters of stderr kept for error messages. */
  stderrChars?: number;
  /** Fed to ffmpeg's stdin (an input of `pipe:0`); destroyed when the pipe ends. Without it stdin is closed. */
  stdin?: Readable;
  /**
   * ffmpeg also writes `pipe:3`: one frame of this many bytes for each frame of stdout, in the same order (a second
   * output of the same filter graph). `next` then waits for both, and `side` holds the one of the frame it returned.
   */
  sideFrameBytes?: number;
}

export class RawFramePipe {
  readonly pid: number | undefined;
  private readonly child: ChildProcessByStdio<Writable | null, Readable, Readable>;
  private readonly queue: Buffer[] = [];
  /** Frames of fd 3 not yet handed out, and the one being filled. */
  private readonly sideQueue: Buffer[] = [];
  private readonly sideFrames: FrameCutter | undefined;
  /** Runs while a frame waits for its fd 3 frame: one that does not come within stallMs is a stall. */
  private sideTimer: NodeJS.Timeout | undefined;
  /** The fd 3 frame of the frame `next` returned last (undefined without `sideFrameBytes`, or when it never came). */
  side: Buffer | undefined;
  private readonly maxQueued: number;
  private readonly stderrChars: number;
  private readonly frames: FrameCutter;
  private paused = false;
  /** The input has no bytes yet (a file still arriving): the watchdogs wait, as they do for a slow consumer. */
  private starved = false;
  private stderr = '';
  private endReason: PipeEnd | undefined;
  private finished = false;
  private waiter: (() => void) | undefined;
  private readonly closed: Promise<void>;
  // Watchdog clocks count only "active" time: time in which ffmpeg could have made progress.
  private activeBeforeMs = 0;
  private activeSinceMs: number;
  private lastFrameActiveMs = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly onAbort = (): void => this.fail({ kind: 'aborted' });

  constructor(private readonly options: RawFramePipeOptions) {
    this.maxQueued = options.maxQueued ?? 2;
    this.stderrChars = options.stderrChars ?? 4096;
    this.frames = new FrameCutter(options.frameBytes);
    this.sideFrames = options.sideFrameBytes === undefined ? undefined : new FrameCutter(options.sideFrameBytes);
    this.activeSinceMs = performance.now();
    const stdio: IOType[] = [options.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe', ...(options.sideFrameBytes === undefined ? [] : ['pipe' as const])];
    this.child = spawn(options.command, options.args, { stdio, windowsHide: true }) as ChildProcessByStdio<Writable | null, Readable, Readable>;
    this.pid = this.child.pid;
    const input = options.stdin;
    if (input !== undefined && this.child.stdin !== null) {
      // ffmpeg exiting early closes its stdin (EPIPE): that is its exit to report, not an error of ours.
      this.child.stdin.on('error', () => undefined);
      input.on('error', () => this.child.stdin?.destroy());
      input.pipe(this.child.stdin);
    }
    this.closed = new Promise<void>((resolve) => {
      this.child.once('close', (code, signal) => {
        this.endReason ??= { kind: 'exit', code, signal };
        this.finish();
        resolve();
      });
      this.child.once('error', (error) => {
        // A spawn failure emits no 'close'; a kill failure on a live child does, so leave that to 'close'.
        if (this.child.pid !== undefined) return;
        this.endReason ??= { kind: 'spawn_error', error };
        this.finish();
        resolve();
      });
    });
    this.child.stdout.on('data', (chunk: Buffer) => this.onData(chunk));
    const side = options.sideFrameBytes === undefined ? undefined : (this.child.stdio[3] as Readable | null);
    if (side !== undefined && side !== null) {
      // Never paused: its frames are small, and ffmpeg writes one only with the stdout frame it goes with.
      side.on('data', (chunk: Buffer) => this.onSideData(chunk));
      side.on('error', () => undefined);
    }
    this.child.stderr.setEncoding('utf8');
    this.child.stderr.on('data', (text: string) => {
      this.stderr = (this.stderr + text).slice(-this.stderrChars);
    });
    this.child.stdout.on('error', () => undefined);
    this.child.stderr.on('error', () => undefined);
    if (options.signal?.aborted) this.fail({ kind: 'aborted' });
    else options.signal?.addEventListener('abort', this.onAbort, { once: true });
    this.arm();
  }

  /**
   * The next complete frame, or undefined when the pipe has ended (see `end`). With `sideFrameBytes`, its fd 3 frame is
   * waited for too and left in `side` (undefined when the pipe ended without it).
   */
  async next(): Promise<Buffer | undefined> {
    for (;;) {
      const paired = this.options.sideFrameBytes === undefined || this.sideQueue.length > 0 || this.finished;
      const frame = paired ? this.queue.shift() : undefined;
      if (frame !== undefined) {
        this.side = this.options.sideFrameBytes === undefined ? undefined : this.sideQueue.shift();
        this.clearSideTimer();
        if (this.paused && this.queue.length < this.maxQueued) this.resume();
        return frame;
      }
      if (this.finished) return undefined;
      // A frame is here and its fd 3 frame is not. A paused stdout stops the watchdogs (the consumer is slow), so
      // this wait has its own: ffmpeg that never writes it is ended as stalled, not waited for for ever.
      if (this.queue.length > 0) {
        this.sideTimer ??= setTimeout(() => {
          this.sideTimer = undefined;
          if (this.sideQueue.length === 0) this.fail({ kind: 'stall', ms: this.options.stallMs });
        }, this.options.stallMs);
      }
      await new Promise<void>((resolve) => {
        this.waiter = resolve;
      });
    }
  }

  /** Why the pipe ended; undefined while it runs. */
  get end(): PipeEnd | undefined {
    return this.finished ? this.endReason : undefined;
  }

  /** Bytes of an incomplete last frame that ffmpeg wrote before it exited. */
  get partialBytes(): number {
    return this.frames.fill;
  }

  get stderrTail(): string {
    return this.stderr.trim();
  }

  /** The input is waiting for bytes that have not arrived (true), or has them again (false): no stall, no clock. */
  starve(on: boolean): void {
    if (on === this.starved || this.finished) return;
    if (on) {
      this.activeBeforeMs = this.activeMs();
      this.starved = true;
      this.disarm();
    } else {
      this.starved = false;
      this.activeSinceMs = performance.now();
      // A stall is measured from here: waiting for the upload is no stall of the decoder.
      this.lastFrameActiveMs = Math.max(this.lastFrameActiveMs, this.activeBeforeMs);
      this.arm();
    }
  }

  /** Kill ffmpeg (if still running) and wait until it has exited. */
  async stop(): Promise<void> {
    this.fail({ kind: 'stopped' });
    await this.closed;
  }

  private onData(chunk: Buffer): void {
    this.frames.take(chunk, (frame) => {
      this.queue.push(frame);
      this.lastFrameActiveMs = this.activeMs();
      this.wake();
    });
    if (this.endReason === undefined && this.queue.length >= this.maxQueued && !this.paused) this.pause();
    else this.arm();
  }

  private onSideData(chunk: Buffer): void {
    this.sideFrames?.take(chunk, (frame) => {
      this.sideQueue.push(frame);
      this.clearSideTimer();
      this.wake();
    });
  }

  private clearSideTimer(): void {
    if (this.sideTimer !== undefined) clearTimeout(this.sideTimer);
    this.sideTimer = undefined;
  }

  private pause(): void {
    if (!this.starved) this.activeBeforeMs = this.activeMs();
    this.paused = true;
    this.child.stdout.pause();
    this.disarm();
  }

  private resume(): void {
    this.paused = false;
    if (!this.starved) this.activeSinceMs = performance.now();
    this.child.stdout.resume();
    this.arm();
  }

  private activeMs(): number {
    return this.paused || this.starved ? this.activeBeforeMs : this.activeBeforeMs + (performance.now() - this.activeSinceMs);
  }

  private arm(): void {
    this.disarm();
    if (this.finished || this.paused || this.starved || this.endReason !== undefined) return;
    const now = this.activeMs();
    const untilStall = this.options.stallMs - (now - this.lastFrameActiveMs);
    const untilTimeout = this.options.timeoutMs - now;
    this.timer = setTimeout(() => this.check(), Math.max(0, Math.min(untilStall, untilTimeout)) + 1);
  }

  private disarm(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private check(): void {
    const now = this.activeMs();
    if (now - this.lastFrameActiveMs >= this.options.stallMs) this.fail({ kind: 'stall', ms: this.options.stallMs });
    else if (now >= this.options.timeoutMs) this.fail({ kind: 'timeout', ms: this.options.timeoutMs });
    else this.arm();
  }

  private fail(reason: PipeEnd): void {
    this.disarm();
    if (this.finished) return;
    this.endReason ??= reason;
    this.child.kill('SIGKILL');
    // A paused stdout never reaches its end, and the child's 'close' waits for it: drain what is left.
    if (this.paused) {
      this.paused = false;
      this.child.stdout.resume();
    }
  }

  private finish(): void {
    this.finished = true;
    this.disarm();
    this.clearSideTimer();
    this.options.stdin?.destroy();
    this.options.signal?.removeEventListener('abort', this.onAbort);
    this.wake();
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }
}

/** Cuts a byte stream into frames of `size` bytes, each in a buffer of its own; the bytes of an unfinished one wait. */
class FrameCutter {
  private current: Buffer | undefined;
  /** Bytes of the unfinished frame. */
  fill = 0;

  constructor(private readonly size: number) {}

  /** Takes the next bytes of the stream; `done` gets each frame they complete, in order. */
  take(chunk: Buffer, done: (frame: Buffer) => void): void {
    let offset = 0;
    while (offset < chunk.length) {
      this.current ??= Buffer.allocUnsafe(this.size);
      const n = Math.min(this.size - this.fill, chunk.length - offset);
      chunk.copy(this.current, this.fill, offset, offset + n);
      this.fill += n;
      offset += n;
      if (this.fill === this.size) {
        done(this.current);
        this.current = undefined;
        this.fill = 0;
      }
    }
  }
}
