// Frames from a recorded clip (any container of container-sniff.ts): raw RGB24 at a chosen rate, decoded by a bounded, whitelisted ffmpeg.
import type { Frame } from '../core/contracts.ts';
import { InputError, SopwatchError, UsageError } from '../core/errors.ts';
import { RawFramePipe, type PipeEnd } from './ffmpeg-pipe.ts';
import { MAX_FRAME_SIDE, fileUrl, probeClip, resolveLimits, safeInputArgs, type ClipInfo, type ClipLimits } from './probe.ts';
import { stderrGist } from './run-bounded.ts';
import { decoder, missingDecoderHint } from './decoder.ts';
import { DEMUXER_WHITELIST } from './container-sniff.ts';
import { STREAMABLE, followGrowingFile, type FollowEnd, type GrowingFile } from './arrival.ts';

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
  /**
   * The file is still arriving (it has an arrival record, see arrival.ts): it is read from the front as it grows and
   * fed to ffmpeg's stdin, and the read ends when the upload completes, or is abandoned or expires. Streamable formats
   * only; the whole range is read (no `startMs`).
   */
  growing?: boolean;
  /**
   * What probeClip said of this file (with the same limits), when the caller has just asked: not probed again. For a
   * growing file, what it said of the part that had arrived: the decoder reads its container, picture size and header
   * from it, which do not change as the file grows (its duration does, and is probed again once the file is whole).
   */
  info?: ClipInfo;
  /**
   * Each frame also gets `gray`: the frame shrunk to this height (at most its own), its width in proportion (rounded),
   * 8-bit luma averaged over each pixel's area, made by the same ffmpeg from the same decoded picture (a second
   * output of its filter graph: no second decode, and no full frame for JavaScript to shrink).
   */
  grayHeight?: number;
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
  /** A growing file: how its arrival ended (complete, or the upload stopped after `bytes`). */
  arrival?: FollowEnd;
  /** A growing file that arrived whole: the clip's duration, probed once it was complete. */
  durationMs?: number;
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
  growing: boolean;
  info?: ClipInfo;
  grayHeight?: number;
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
  const growing = options.growing === true;
  if (growing && (startMs !== 0 || endMs !== undefined)) throw new UsageError('readClipFrames: a growing file is read whole (no startMs or endMs)');
  const { grayHeight } = options;
  if (grayHeight !== undefined && !(Number.isInteger(grayHeight) && grayHeight >= 1 && grayHeight <= MAX_FRAME_SIDE)) {
    throw new UsageError(`readClipFrames: grayHeight must be an integer in [1, ${MAX_FRAME_SIDE}], got ${grayHeight}`);
  }
  return {
    growing,
    cameraId,
    fps,
    maxWidth,
    startMs,
    limits: resolveLimits(options.limits),
    ...(endMs === undefined ? {} : { endMs }),
    ...(signal === undefined ? {} : { signal }),
    ...(options.info === undefined ? {} : { info: options.info }),
    ...(grayHeight === undefined ? {} : { grayHeight }),
  };
}

/** The size of a frame's `gray` picture: `height` rows (at most the frame's own), the width in proportion. */
export function graySize(frame: { width: number; height: number }, height: number): { width: number; height: number } {
  const h = Math.max(1, Math.min(frame.height, height));
  return { width: Math.max(1, Math.round((frame.width * h) / frame.height)), height: h };
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
  let follow: GrowingFile | undefined;
  let arrival: FollowEnd | undefined;
  try {
    const info = p.info ?? (await probeClip(path, p.limits));
    if (p.growing && !STREAMABLE.has(info.container)) throw new UsageError(`${path}: ${info.input.label} cannot be read while it arrives`);
    const { width, height } = outputSize(info, p.maxWidth);
    // Never decode past the duration limit, whatever the container claims.
    const endMs = Math.min(p.endMs ?? Infinity, p.limits.maxDurationMs);
    if (!p.growing && (endMs <= p.startMs || (info.durationMs > 0 && p.startMs >= info.durationMs))) {
      outcome = { frames: 0, complete: true, decodeMs: elapsed() };
      return;
    }
    // The fps filter rounds the end to the nearest slot, so a range holds round(span x fps) frames.
    let expected = info.durationMs > 0 && !p.growing ? Math.round(((Math.min(endMs, info.durationMs) - p.startMs) / 1000) * p.fps) : undefined;
    const args = ['-hide_banner', '-loglevel', 'error'];
    if (p.growing) {
      // The same decoder, fed by a reader that follows the file: stdin is the only protocol, the demuxer forced, and
      // the recorder's header is skipped by the reader.
      follow = followGrowingFile(path, {
        startAt: info.input.skipBytes ?? 0,
        onStarved: (on) => pipe?.starve(on),
        ...(p.signal === undefined ? {} : { signal: p.signal }),
      });
      args.push('-protocol_whitelist', 'pipe', '-format_whitelist', DEMUXER_WHITELIST, '-f', info.input.demuxer, '-i', 'pipe:0');
    } else {
      args.push('-nostdin', ...safeInputArgs(info.input));
      if (p.startMs > 0) args.push('-ss', (p.startMs / 1000).toFixed(3));
      args.push('-i', fileUrl(path));
    }
    const duration = ((endMs - p.startMs) / 1000).toFixed(3);
    const gray = p.grayHeight === undefined ? undefined : graySize({ width, height }, p.grayHeight);
    if (gray === undefined) {
      args.push('-map', '0:v:0', '-t', duration);
      args.push('-vf', `fps=${p.fps},scale=${width}:${height}:flags=area`, '-pix_fmt', 'rgb24', '-f', 'rawvideo', 'pipe:1');
    } else {
      // One decode, sampled once, split in two: the frame in RGB on stdout, and its tiny grayscale copy (shrunk from
      // the frame at its output size, as motion would shrink it) on fd 3.
      const graph = `[0:v:0]fps=${p.fps},scale=${width}:${height}:flags=area,split=2[rgb][small];` +
        `[small]scale=${gray.width}:${gray.height}:flags=area,format=gray[gray]`;
      args.push('-filter_complex', graph);
      args.push('-map', '[rgb]', '-t', duration, '-pix_fmt', 'rgb24', '-f', 'rawvideo', 'pipe:1');
      args.push('-map', '[gray]', '-t', duration, '-pix_fmt', 'gray', '-f', 'rawvideo', 'pipe:3');
    }
    pipe = new RawFramePipe({
      command: decoder().ffmpeg,
      args,
      frameBytes: width * height * 3,
      ...(gray === undefined ? {} : { sideFrameBytes: gray.width * gray.height }),
      stallMs: p.limits.stallMs,
      timeoutMs: p.limits.timeoutMs,
      ...(p.signal === undefined ? {} : { signal: p.signal }),
      ...(follow === undefined ? {} : { stdin: follow.stream }),
    });
    for (;;) {
      const rgb = await pipe.next();
      if (rgb === undefined) break;
      // After a seek ffmpeg restarts the clock at 0, so the grid is anchored at startMs.
      const tMs = p.startMs + Math.round((frames * 1000) / p.fps);
      frames += 1;
      lastTMs = tMs;
      const small = gray === undefined || pipe.side === undefined ? undefined : { ...gray, data: pipe.side };
      yield { cameraId: p.cameraId, index: Math.round((tMs * p.fps) / 1000), tMs, width, height, rgb, ...(small === undefined ? {} : { gray: small }) };
    }
    const end = pipe.end ?? { kind: 'stopped' };
    let problem = describeEnd(end, pipe);
    if (end.kind === 'spawn_error') throw new SopwatchError(`${path}: ${problem}`, { cause: end.error });
    let durationMs: number | undefined;
    if (follow !== undefined) {
      // ffmpeg's exit closed its input: the reader has ended (or ends now, having been stopped).
      follow.stream.destroy();
      arrival = await follow.end;
      if (problem === undefined && arrival.kind !== 'complete') problem = uploadStopped(arrival);
      if (problem === undefined) {
        // Whole now: what the finished file holds is what the frames are counted against.
        durationMs = (await probeClip(path, p.limits)).durationMs;
        if (durationMs > 0) expected = Math.round((Math.min(endMs, durationMs) / 1000) * p.fps);
      }
    }
    if (problem === undefined && expected !== undefined && frames < expected - 1) {
      problem = `the clip ends early: ${frames} of ${expected} frames decoded: ${stderrGist(pipe.stderrTail)}`;
    }
    const followed = { ...(arrival === undefined ? {} : { arrival }), ...(durationMs === undefined ? {} : { durationMs }) };
    if (problem === undefined) {
      outcome = { frames, complete: true, decodeMs: elapsed(), ...followed };
      return;
    }
    if (frames === 0 && end.kind !== 'aborted') throw new InputError(`${path}: ${problem}`);
    outcome = { frames, complete: false, stoppedAtMs: lastTMs ?? p.startMs, error: problem, decodeMs: elapsed(), ...followed };
  } catch (err) {
    outcome ??= { frames, complete: false, stoppedAtMs: lastTMs ?? p.startMs, error: (err as Error).message, decodeMs: elapsed() };
    throw err;
  } finally {
    // Runs when the consumer breaks out early too: ffmpeg is killed and reaped before we return.
    await pipe?.stop();
    follow?.stream.destroy();
    settle(outcome ?? { frames, complete: false, stoppedAtMs: lastTMs ?? p.startMs, decodeMs: elapsed() });
  }
}

function uploadStopped(a: Exclude<FollowEnd, { kind: 'complete' }>): string {
  if (a.kind === 'stopped') return `reading the arriving file stopped after ${a.bytes} bytes`;
  const got = `${a.bytes} of ${a.totalBytes} bytes`;
  return a.kind === 'expired'
    ? `the upload expired unfinished after ${got} had arrived`
    : `the upload was abandoned after ${got} had arrived`;
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
