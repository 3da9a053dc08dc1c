// Safe look at an untrusted clip before decoding: file checks, container sniffed from content, ffprobe with whitelists, limits.
import { open, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { InputError, SopwatchError, UsageError } from '../core/errors.ts';
import { runBounded, stderrGist } from './run-bounded.ts';
import { ACCEPTED_LIST, DEMUXER_WHITELIST, SNIFF_BYTES, sniffOrRefuse, type Container, type Demuxer, type Sniffed } from './container-sniff.ts';
import { decoder, missingDecoderHint } from './decoder.ts';
import { probeWithFfmpeg, type ProbeJson, type ProbeStream } from './probe-ffmpeg.ts';

export { ACCEPTED_FORMATS, ACCEPTED_LIST, DEMUXER_WHITELIST, SNIFF_BYTES, sniffContainer, sniffOrRefuse } from './container-sniff.ts';
export type { Container, Demuxer, Refused, Sniffed } from './container-sniff.ts';

export interface ClipInfo {
  path: string;
  /** Container sniffed from the file's first bytes (see `container-sniff.ts`). */
  container: Container;
  /** How ffmpeg must open it: the forced demuxer and any recorder header to skip. */
  input: Sniffed;
  /** The container's `creation_time` tag, as written (ISO-8601 mostly); absent when the file has none. */
  creationTime?: string;
  /** Video duration; 0 when the container does not say (decoding is still capped by `maxDurationMs`). */
  durationMs: number;
  /** Display size, after the container's rotation is applied (ffmpeg auto-rotates when decoding). */
  width: number;
  height: number;
  fps: number;
  codec: string;
}

export interface ClipLimits {
  /** Larger files are refused before ffmpeg runs. Default 2 GiB. */
  maxBytes: number;
  /** Longer clips are refused after probing, and decoding never goes past it. Default 4 h. */
  maxDurationMs: number;
  /** Time ffmpeg may run, not counting time blocked on a slow consumer. Default 2 h (probe: at most 30 s). */
  timeoutMs: number;
  /** No frame for this long ends the decode with an error. Default 30 s. */
  stallMs: number;
}

export const DEFAULT_CLIP_LIMITS: Readonly<ClipLimits> = Object.freeze({
  maxBytes: 2 * 1024 ** 3,
  maxDurationMs: 4 * 3600_000,
  timeoutMs: 2 * 3600_000,
  stallMs: 30_000,
});

/** Bigger frames are refused: a tiny file can declare a huge picture (a decoding bomb). */
export const MAX_FRAME_SIDE = 8192;
const PROBE_TIMEOUT_MS = 30_000;
const PROBE_MAX_OUTPUT = 256 * 1024;

/**
 * Input flags for every ffmpeg/ffprobe run on an untrusted file: local files only, whitelisted
 * demuxers only (an ffconcat or HLS playlist is refused before it can open anything), the demuxer
 * forced when known so that no probing can pick another one, and a recorder's own header skipped.
 */
export function safeInputArgs(input?: Sniffed | Demuxer): string[] {
  const args = ['-protocol_whitelist', 'file', '-format_whitelist', DEMUXER_WHITELIST];
  if (input === undefined) return args;
  const sniffed = typeof input === 'string' ? undefined : input;
  if (sniffed?.skipBytes !== undefined) args.push('-skip_initial_bytes', String(sniffed.skipBytes));
  args.push('-f', sniffed?.demuxer ?? (input as Demuxer));
  return args;
}

/** `file:` keeps a path from being read as another protocol (`concat:`, `http:`) or as an option. */
export function fileUrl(path: string): string {
  return `file:${resolve(path)}`;
}

export function resolveLimits(limits?: Partial<ClipLimits>): ClipLimits {
  const merged = { ...DEFAULT_CLIP_LIMITS, ...limits };
  for (const [key, value] of Object.entries(merged)) {
    if (typeof value !== 'number' || !(value > 0)) throw new UsageError(`clip limits: ${key} must be a positive number, got ${String(value)}`);
  }
  return merged;
}

function describeHead(head: Buffer): string {
  if (head.length === 0) return 'it is empty';
  const text = head.toString('latin1');
  if (/^[\x09\x0a\x0d\x20-\x7e]+$/.test(text)) return `it looks like text (${JSON.stringify(text.split('\n')[0]?.slice(0, 40))})`;
  return `it starts with bytes ${head.subarray(0, 8).toString('hex')}`;
}

/** Checks the file itself (exists, regular, size) and sniffs its container. */
export async function checkClipFile(path: string, limits: ClipLimits): Promise<Sniffed> {
  let size: number;
  try {
    const s = await stat(path);
    if (!s.isFile()) throw new InputError(`${path}: not a regular file`);
    size = s.size;
  } catch (err) {
    if (err instanceof InputError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new InputError(`${path}: cannot read the clip (${code === 'ENOENT' ? 'no such file' : String(code ?? err)})`, { cause: err });
  }
  if (size === 0) throw new InputError(`${path}: empty file (0 bytes), not a video`);
  if (size > limits.maxBytes) throw new InputError(`${path}: ${size} bytes is over the limit of ${limits.maxBytes} bytes`);
  const handle = await open(path, 'r');
  let head: Buffer;
  try {
    const buf = Buffer.alloc(SNIFF_BYTES);
    const { bytesRead } = await handle.read(buf, 0, buf.length, 0);
    head = buf.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
  const sniffed = sniffOrRefuse(head);
  if (sniffed === undefined) throw new InputError(`${path}: not a video this reader accepts (${ACCEPTED_LIST}): ${describeHead(head)}`);
  if ('refused' in sniffed) throw new InputError(`${path}: ${sniffed.refused}`);
  return sniffed;
}

function rate(text: string | undefined): number {
  if (text === undefined) return 0;
  const [num, den] = text.split('/').map(Number);
  const value = den === undefined ? Number(num) : Number(num) / den;
  return Number.isFinite(value) && value > 0 ? value : 0;
}

function seconds(text: string | undefined): number {
  const value = Number(text);
  return text !== undefined && Number.isFinite(value) && value > 0 ? value : 0;
}

function rotation(stream: ProbeStream): number {
  const fromSideData = stream.side_data_list?.find((d) => d.rotation !== undefined)?.rotation;
  const value = Number(fromSideData ?? stream.tags?.rotate ?? 0);
  return Number.isFinite(value) ? value : 0;
}

/** Probes a clip with ffprobe, safely. Throws InputError naming the file and the reason. */
export async function probeClip(path: string, limits?: Partial<ClipLimits>): Promise<ClipInfo> {
  const lim = resolveLimits(limits);
  const sniffed = await checkClipFile(path, lim);
  const args = ['-v', 'error', '-hide_banner', ...safeInputArgs(sniffed)];
  args.push('-select_streams', 'v:0', '-show_streams', '-show_format', '-of', 'json', fileUrl(path));
  const probeMs = Math.min(lim.timeoutMs, PROBE_TIMEOUT_MS);
  const run = await runBounded(decoder().ffprobe, args, probeMs, PROBE_MAX_OUTPUT);
  if (run.notStarted === true) throw new SopwatchError(`${path}: cannot probe: ${run.failure}${missingDecoderHint()}`);
  if (run.failure !== undefined) throw new InputError(`${path}: probing failed: ${run.failure}`);
  let parsed: ProbeJson;
  if (run.code === null) {
    // ffprobe crashed (a signal, not an answer): ask ffmpeg itself what the input holds.
    const second = await probeWithFfmpeg(decoder().ffmpeg, safeInputArgs(sniffed), fileUrl(path), probeMs);
    if (second.json === undefined) throw new InputError(`${path}: not a readable ${sniffed.container} clip: ${second.error ?? 'ffprobe crashed'}`);
    parsed = second.json;
  } else {
    if (run.code !== 0) throw new InputError(`${path}: not a readable ${sniffed.container} clip: ${stderrGist(run.stderr)}`);
    try {
      parsed = JSON.parse(run.stdout) as ProbeJson;
    } catch (err) {
      throw new InputError(`${path}: ffprobe gave unreadable output`, { cause: err });
    }
  }
  const stream = parsed.streams?.[0];
  if (stream === undefined) throw new InputError(`${path}: no video stream`);
  const codedW = stream.width ?? 0;
  const codedH = stream.height ?? 0;
  if (!(codedW > 0 && codedH > 0)) throw new InputError(`${path}: the video stream has no picture size`);
  if (codedW > MAX_FRAME_SIDE || codedH > MAX_FRAME_SIDE) {
    throw new InputError(`${path}: picture ${codedW}x${codedH} is larger than ${MAX_FRAME_SIDE} pixels on a side`);
  }
  const sideways = Math.abs(Math.round(rotation(stream) / 90)) % 2 === 1;
  const durationMs = Math.round(1000 * (seconds(stream.duration) || seconds(parsed.format?.duration)));
  if (durationMs > lim.maxDurationMs) {
    throw new InputError(`${path}: ${durationMs} ms long, over the limit of ${lim.maxDurationMs} ms`);
  }
  const creationTime = parsed.format?.tags?.creation_time ?? stream.tags?.creation_time;
  return {
    path,
    container: sniffed.container,
    input: sniffed,
    ...(creationTime === undefined ? {} : { creationTime }),
    durationMs,
    width: sideways ? codedH : codedW,
    height: sideways ? codedW : codedH,
    fps: rate(stream.avg_frame_rate) || rate(stream.r_frame_rate),
    codec: stream.codec_name ?? 'unknown',
  };
}
