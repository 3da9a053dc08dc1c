// What the decoder in use is: which binaries, where from, their versions, and which accepted formats their demuxers cover.
import { ACCEPTED_FORMATS, type Demuxer } from './container-sniff.ts';
import { decoder, type Decoder, type DecoderSource } from './decoder.ts';
import { runBounded } from './run-bounded.ts';

export interface BinaryReport {
  path: string;
  source: DecoderSource;
  /** First line of `-version`, shortened ("ffmpeg version 5.1.9-0+deb12u1"); undefined when it does not run. */
  version?: string;
  error?: string;
}

export interface DecoderReport {
  ffmpeg: BinaryReport;
  ffprobe: BinaryReport;
  formats: Array<{ label: string; demuxer: Demuxer; supported: boolean }>;
  /** True when both binaries run and every accepted format has its demuxer. */
  ok: boolean;
}

const TIMEOUT_MS = 15_000;

async function version(path: string, source: DecoderSource): Promise<BinaryReport> {
  const run = await runBounded(path, ['-hide_banner', '-version'], TIMEOUT_MS, 64 * 1024);
  if (run.failure !== undefined || run.code !== 0) return { path, source, error: run.failure ?? `exit ${String(run.code)}` };
  const first = run.stdout.split('\n')[0] ?? '';
  return { path, source, version: first.replace(/\s+Copyright.*$/, '').trim() };
}

/** Demuxer names from `ffmpeg -demuxers` ("D  mov,mp4,m4a,3gp,3g2,mj2 QuickTime / MOV" lists several). */
export function parseDemuxers(text: string): Set<string> {
  const names = new Set<string>();
  for (const line of text.split('\n')) {
    const m = /^\s*D[ E.d]*\s+(\S+)\s/.exec(line);
    if (m?.[1] !== undefined && m[1] !== '=') for (const n of m[1].split(',')) names.add(n);
  }
  return names;
}

export async function describeDecoder(d: Decoder = decoder()): Promise<DecoderReport> {
  const [ffmpeg, ffprobe, demuxers] = await Promise.all([
    version(d.ffmpeg, d.ffmpegSource),
    version(d.ffprobe, d.ffprobeSource),
    runBounded(d.ffmpeg, ['-hide_banner', '-demuxers'], TIMEOUT_MS, 256 * 1024),
  ]);
  const have = demuxers.code === 0 ? parseDemuxers(demuxers.stdout) : new Set<string>();
  const formats = ACCEPTED_FORMATS.map((f) => ({ ...f, supported: have.has(f.demuxer) }));
  return { ffmpeg, ffprobe, formats, ok: ffmpeg.version !== undefined && ffprobe.version !== undefined && formats.every((f) => f.supported) };
}

const SOURCE_WORDS: Record<DecoderSource, string> = {
  env: 'set by SOPWATCH_FFMPEG/SOPWATCH_FFPROBE',
  system: 'the system one, on the PATH',
  npm: 'shipped in an npm package',
  none: 'not found',
};

/** Lines a person reads: `sopwatch doctor` prints them, `serve` logs them at start. */
export function decoderLines(r: DecoderReport): string[] {
  const binary = (name: string, b: BinaryReport): string =>
    `${name}: ${b.version ?? `does not run (${b.error ?? 'unknown'})`} — ${b.path} (${SOURCE_WORDS[b.source]})`;
  const missing = r.formats.filter((f) => !f.supported);
  const formats = missing.length === 0
    ? `formats: all ${r.formats.length} accepted (${r.formats.map((f) => f.label).join(', ')})`
    : `formats: ${r.formats.filter((f) => f.supported).map((f) => f.label).join(', ') || 'none'}; NOT readable with this ffmpeg: ${missing.map((f) => `${f.label} (demuxer ${f.demuxer})`).join(', ')}`;
  return [binary('ffmpeg', r.ffmpeg), binary('ffprobe', r.ffprobe), formats];
}
