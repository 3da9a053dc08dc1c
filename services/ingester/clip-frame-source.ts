// Frames from a recorded clip (any container of container-sniff.ts): raw RGB24 at a chosen rate, decoded by a bounded, whitelisted ffmpeg.
import type { Frame } from '../core/contracts.ts';
import { InputError, SopwatchError, UsageError } from '../core/errors.ts';
import { RawFramePipe, type PipeEnd } from './ffmpeg-pipe.ts';
import { MAX_FRAME_SIDE, fileUrl, probeClip, resolveLimits, safeInputArgs, type ClipInfo, type ClipLimits } from './probe.ts';
import { stderrGist } from './run-bounded.ts';
import { decoder, missingDecoderHint } from './decoder.ts';

export type { ClipInfo, ClipLimits } from './probe.ts';
export { DEFAULT_CLIP_LIMITS, probeClip } from './probe.ts';

export interface ClipReadOptions {
  /** Frames per second to sample (0 < fps <= 60). Default 5. */
  fps?: number;
  /** Wider pictures are downscaled to this width, keeping the aspect ratio. Default 640. */
  maxWidth?: number;
  cameraId: string;
  /** Start of the range to read, ms from the clip start. Default 0. */
  startMs?: number;
  /** End of the range (exclusive), ms from the clip start. Default: the end of the clip. */
  endMs?: number;
  /** Aborting ends the iteration quietly; `result` then says `error: 'aborted'`. */
  signal?: AbortSignal;
  limits?: Partial<ClipLimits>;
}

/**
 * How a read ended. `complete` is true only when every frame up to the end of the range came out.
 * When it is false, `stoppedAtMs` is the time of the last frame delivered (or `startMs` if none)
 * and `error` says why, except when the consumer itself stopped early (no `error` then).
 */
export interface ClipReadResult {
  frames: number;
  complete: boolean;
  stoppedAtMs?: number;
  error?: string;
  /** Wall time of the read, the probe included. */
  decodeMs: number;
}

export type ClipFrames = AsyncIterable<Frame> & { readonly result: Promise<ClipReadResult> };

interface Plan {
  cameraId: string;
  fps: number;
  maxWidth: number;
  startMs: number;
  endMs?: number;
  signal?: AbortSignal;
  limits: ClipLimits;
}

function plan(options: ClipReadOptions): Plan {
  const { cameraId, fps = 5, maxWidth = 640, startMs = 0, endMs, signal } = options;
  if (typeof cameraId !== 'string' || cameraId === '') throw new UsageError('readClipFrames: cameraId is required');
  if (!(fps > 0 && fps <= 60)) throw new UsageError(`readClipFrames: fps must be in (0, 60], got ${fps}`);
  if (!Number.isInteger(maxWidth) || maxWidth < 2 || maxWidth > MAX_FRAME_SIDE) {
    throw new UsageError(`readClipFrames: maxWidth must be an integer in [2, ${MAX_FRAME_SIDE}], got ${maxWidth}`);
  }
  if (!(Number.isFinite(startMs) && startMs >= 0)) throw new UsageError(`readClipFrames: startMs must be >= 0, got ${startMs}`);
  if (endMs !== undefined && !(endMs > startMs)) throw new UsageError(`readClipFrames: endMs (${endMs}) must be after startMs (${startMs})`);
  return {
    cameraId,
    fps,
    maxWidth,
    startMs,
    limits: resolveLimits(options.limits),
    ...(endMs === undefined ? {} : { endMs }),
    ...(signal === undefined ? {} : { signal }),
  };
}

/** Output size: the display size, narrowed to `maxWidth` with the aspect ratio kept. */
export function outputSize(info: Pick<ClipInfo, 'width' | 'height'>, maxWidth: number): { width: number; height: number } {
  if (info.width <= maxWidth) return { width: info.width, height: info.height };
  return { width: maxWidth, height: Math.max(1, Math.round((info.height * maxWidth) / info.width)) };
}

function describeEnd(end: PipeEnd, pipe: RawFramePipe): string | undefined {
  switch (end.kind) {
    case 'exit':
      if (end.signal !== null) return `ffmpeg was killed by ${end.signal}`;
      if (end.code !== 0) return `ffmpeg failed (exit ${end.code}): ${stderrGist(pipe.stderrTail)}`;
      if (pipe.partialBytes > 0) return `ffmpeg stopped in the middle of a frame (${pipe.partialBytes} bytes)`;
      return undefined;
    case 'stall':
      return `no frame came out for ${end.ms} ms (stalled)`;
    case 'timeout':
      return `decoding took longer than the ${end.ms} ms limit`;
    case 'aborted':
      return 'aborted';
    case 'stopped':
      return 'stopped';
    case 'spawn_error':
      return `cannot run ffmpeg: ${end.error.message}${missingDecoderHint()}`;
  }
}

async function* decode(path: string, p: Plan, settle: (r: ClipReadResult) => void): AsyncGenerator<Frame, void, undefined> {
  const began = performance.now();
  const elapsed = (): number => Math.round(performance.now() - began);
  let frames = 0;
  let lastTMs: number | undefined;
  let outcome: ClipReadResult | undefined;
  let pipe: RawFramePipe | undefined;
  try {
    const info = await probeClip(path, p.limits);
    const { width, height } = outputSize(info, p.maxWidth);
    // Never decode past the duration limit, whatever the container claims.
    const endMs = Math.min(p.endMs ?? Infinity, p.limits.maxDurationMs);
    if (endMs <= p.startMs || (info.durationMs > 0 && p.startMs >= info.durationMs)) {
      outcome = { frames: 0, complete: true, decodeMs: elapsed() };
      return;
    }
    // The fps filter rounds the end to the nearest slot, so a range holds round(span x fps) frames.
    const expected = info.durationMs > 0 ? Math.round(((Math.min(endMs, info.durationMs) - p.startMs) / 1000) * p.fps) : undefined;
    const args = ['-hide_banner', '-nostdin', '-loglevel', 'error', ...safeInputArgs(info.input)];
    if (p.startMs > 0) args.push('-ss', (p.startMs / 1000).toFixed(3));
    args.push('-i', fileUrl(path), '-map', '0:v:0', '-t', ((endMs - p.startMs) / 1000).toFixed(3));
    args.push('-vf', `fps=${p.fps},scale=${width}:${height}:flags=area`, '-pix_fmt', 'rgb24', '-f', 'rawvideo', 'pipe:1');
    pipe = new RawFramePipe({
      command: decoder().ffmpeg,
      args,
      frameBytes: width * height * 3,
      stallMs: p.limits.stallMs,
      timeoutMs: p.limits.timeoutMs,
      ...(p.signal === undefined ? {} : { signal: p.signal }),
    });
    for (;;) {
      const rgb = await pipe.next();
      if (rgb === undefined) break;
      // After a seek ffmpeg restarts the clock at 0, so the grid is anchored at startMs.
      const tMs = p.startMs + Math.round((frames * 1000) / p.fps);
      frames += 1;
      lastTMs = tMs;
      yield { cameraId: p.cameraId, index: Math.round((tMs * p.fps) / 1000), tMs, width, height, rgb };
    }
    const end = pipe.end ?? { kind: 'stopped' };
    let problem = describeEnd(end, pipe);
    if (end.kind === 'spawn_error') throw new SopwatchError(`${path}: ${problem}`, { cause: end.error });
    if (problem === undefined && expected !== undefined && frames < expected - 1) {
      problem = `the clip ends early: ${frames} of ${expected} frames decoded: ${stderrGist(pipe.stderrTail)}`;
    }
    if (problem === undefined) {
      outcome = { frames, complete: true, decodeMs: elapsed() };
      return;
    }
    if (frames === 0 && end.kind !== 'aborted') throw new InputError(`${path}: ${problem}`);
    outcome = { frames, complete: false, stoppedAtMs: lastTMs ?? p.startMs, error: problem, decodeMs: elapsed() };
  } catch (err) {
    outcome ??= { frames, complete: false, stoppedAtMs: lastTMs ?? p.startMs, error: (err as Error).message, decodeMs: elapsed() };
    throw err;
  } finally {
    // Runs when the consumer breaks out early too: ffmpeg is killed and reaped before we return.
    await pipe?.stop();
    settle(outcome ?? { frames, complete: false, stoppedAtMs: lastTMs ?? p.startMs, decodeMs: elapsed() });
  }
}

/**
 * Decodes a clip into frames at `fps`, timestamped from the clip start (`tMs` of frame k is
 * `startMs + k * 1000 / fps`; `index` is its slot on that grid counted from the clip start).
 * Bad options throw UsageError at once. A clip that yields no frame at all makes the iteration throw
 * InputError naming the file and the reason; a clip that fails part-way ends the iteration after the
 * frames that did decode, and `result` says `complete: false` with the reason. Iterate once.
 */
export function readClipFrames(path: string, options: ClipReadOptions): ClipFrames {
  const p = plan(options);
  let settle: (r: ClipReadResult) => void = () => undefined;
  const result = new Promise<ClipReadResult>((resolve) => {
    settle = resolve;
  });
  let iterated = false;
  return {
    result,
    [Symbol.asyncIterator](): AsyncIterator<Frame> {
      if (iterated) throw new UsageError(`readClipFrames(${path}): a clip reader can be iterated only once`);
      iterated = true;
      return decode(path, p, settle);
    },
  };
}
