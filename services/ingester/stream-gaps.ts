// Stretches of a clip whose video is missing (a damaged middle the demuxer skipped): found from the packets' timestamps,
// so that the frames ffmpeg repeats across them are never analysed as if they were footage.
import type { ClipInfo } from './probe.ts';
import { decoder } from './decoder.ts';
import { fileUrl, safeInputArgs } from './probe.ts';
import { runBounded } from './run-bounded.ts';

export interface StreamGap {
  /** ms from the clip start: the last picture before the damage. */
  startMs: number;
  /** ms from the clip start: the first picture after it. */
  endMs: number;
}

/** A hole shorter than this is a hiccup (a dropped frame or two), not damage. */
const MIN_GAP_MS = 1000;
const MAX_OUTPUT = 32 * 1024 * 1024;

/** Gaps in sorted presentation times: a step longer than 1 s and than 5 frame intervals. */
export function gapsIn(ptsMs: readonly number[], fps: number): StreamGap[] {
  if (ptsMs.length < 2) return [];
  const sorted = [...ptsMs].sort((a, b) => a - b);
  const origin = sorted[0] ?? 0;
  const threshold = Math.max(MIN_GAP_MS, fps > 0 ? (5 * 1000) / fps : 0);
  const gaps: StreamGap[] = [];
  for (let i = 1; i < sorted.length; i += 1) {
    const prev = sorted[i - 1] ?? 0;
    const next = sorted[i] ?? 0;
    if (next - prev > threshold) gaps.push({ startMs: Math.round(prev - origin), endMs: Math.round(next - origin) });
  }
  return gaps;
}

/**
 * Reads the video packets' timestamps (no decoding) and returns the gaps. Best effort: when the timestamps cannot be
 * read (ffprobe fails on the file), it returns none and the decode's own checks still apply.
 */
export async function findStreamGaps(info: ClipInfo, timeoutMs = 120_000): Promise<StreamGap[]> {
  const args = ['-v', 'error', '-hide_banner', ...safeInputArgs(info.input), '-select_streams', 'v:0', '-show_entries', 'packet=pts_time,dts_time', '-of', 'csv=p=0', fileUrl(info.path)];
  const run = await runBounded(decoder().ffprobe, args, timeoutMs, MAX_OUTPUT);
  if (run.code !== 0 || run.failure !== undefined) return [];
  const pts: number[] = [];
  for (const line of run.stdout.split('\n')) {
    const [p, d] = line.split(',');
    const seconds = Number(p !== undefined && p !== '' && p !== 'N/A' ? p : d);
    if (Number.isFinite(seconds) && line.trim() !== '') pts.push(seconds * 1000);
  }
  return gapsIn(pts, info.fps);
}
