// A second way to probe: ffmpeg's own description of its input (stderr of `ffmpeg -i`), for when ffprobe itself
// crashes (the static ffprobe builds shipped in npm packages die on MPEG-TS), read into ffprobe's JSON shape.
import { runBounded } from './run-bounded.ts';

export interface ProbeStream {
  codec_name?: string;
  width?: number;
  height?: number;
  avg_frame_rate?: string;
  r_frame_rate?: string;
  duration?: string;
  tags?: Record<string, string>;
  side_data_list?: Array<{ rotation?: number | string }>;
}

export interface ProbeJson {
  streams?: ProbeStream[];
  format?: { duration?: string; tags?: Record<string, string> };
}

/** Reads `ffmpeg -i`'s input description; only the first video stream, as `-select_streams v:0` would. */
export function parseFfmpegInput(text: string): ProbeJson {
  const lines = text.split('\n');
  const out: ProbeJson = { format: {} };
  const duration = /Duration: (\d+):(\d\d):(\d\d(?:\.\d+)?)/.exec(text);
  if (duration !== null) {
    out.format = { duration: String(Number(duration[1]) * 3600 + Number(duration[2]) * 60 + Number(duration[3])) };
  }
  const videoAt = lines.findIndex((l) => /Stream #\d+:\d+.*: Video: /.test(l));
  const headerEnd = videoAt < 0 ? lines.length : videoAt;
  const created = lines.slice(0, headerEnd).map((l) => /^\s+creation_time\s*: (\S+)/.exec(l)?.[1]).find((v) => v !== undefined);
  if (created !== undefined) out.format = { ...out.format, tags: { creation_time: created } };
  if (videoAt < 0) return { ...out, streams: [] };
  const line = lines[videoAt] ?? '';
  const stream: ProbeStream = { codec_name: /Video: (\w+)/.exec(line)?.[1] ?? 'unknown' };
  const size = /, (\d{1,5})x(\d{1,5})[\s,]/.exec(line);
  if (size !== null) Object.assign(stream, { width: Number(size[1]), height: Number(size[2]) });
  const fps = /, (\d+(?:\.\d+)?) fps/.exec(line) ?? /, (\d+(?:\.\d+)?) tbr/.exec(line);
  if (fps !== null) stream.avg_frame_rate = fps[1];
  // The stream's own metadata and side data follow its line, indented deeper, until the next stream.
  for (const l of lines.slice(videoAt + 1)) {
    if (/Stream #\d+:\d+/.test(l)) break;
    const rotate = /^\s+rotate\s*: (-?\d+)/.exec(l) ?? /displaymatrix: rotation of (-?\d+(?:\.\d+)?) degrees/.exec(l);
    if (rotate !== null) stream.side_data_list = [{ rotation: Number(rotate[1]) }];
  }
  return { ...out, streams: [stream] };
}

/** Runs `ffmpeg -i` (it exits 1: no output named) and reads what it says about the input. */
export async function probeWithFfmpeg(ffmpeg: string, inputArgs: readonly string[], url: string, timeoutMs: number): Promise<{ json?: ProbeJson; error?: string }> {
  const run = await runBounded(ffmpeg, ['-hide_banner', '-nostdin', ...inputArgs, '-i', url], timeoutMs, 256 * 1024, 64 * 1024);
  if (run.failure !== undefined) return { error: run.failure };
  if (!run.stderr.includes('Input #0')) return { error: run.stderr.trim().split('\n').slice(-2).join('; ') || `ffmpeg exited ${String(run.code)}` };
  return { json: parseFfmpegInput(run.stderr) };
}
