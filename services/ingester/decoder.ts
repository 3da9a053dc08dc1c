// Which ffmpeg and ffprobe run: explicit paths, else the system's on the PATH, else the binaries shipped in npm packages.
import { accessSync, chmodSync, constants, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, join } from 'node:path';
import { decoderEnv, type DecoderEnv } from '../core/env.ts';

/** Where a binary was found: `env` (SOPWATCH_FFMPEG/SOPWATCH_FFPROBE), `system` (PATH), `npm` (a package's binary), `none`. */
export type DecoderSource = 'env' | 'system' | 'npm' | 'none';

export interface DecoderBinary {
  /** What to spawn: an absolute path, or the bare name when nothing was found (the spawn then fails with ENOENT). */
  command: string;
  source: DecoderSource;
}

export interface Decoder {
  ffmpeg: string;
  ffprobe: string;
  ffmpegSource: DecoderSource;
  ffprobeSource: DecoderSource;
}

const NPM_PACKAGES = { ffmpeg: '@ffmpeg-installer/ffmpeg', ffprobe: '@ffprobe-installer/ffprobe' } as const;

function executable(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(name: string, searchPath: string): string | undefined {
  const names = process.platform === 'win32' ? [`${name}.exe`, name] : [name];
  for (const dir of searchPath.split(delimiter)) {
    if (dir === '') continue;
    for (const n of names) {
      const candidate = join(dir, n);
      if (executable(candidate)) return candidate;
    }
  }
  return undefined;
}

function fromNpm(name: 'ffmpeg' | 'ffprobe'): string | undefined {
  try {
    // The package's index picks the per-platform package (an optional dependency) that carries the binary.
    const found = createRequire(import.meta.url)(NPM_PACKAGES[name]) as { path?: unknown };
    if (typeof found.path !== 'string') return undefined;
    // The package's own postinstall only does `chmod u+x`; when install scripts did not run, do it here.
    if (!executable(found.path)) chmodSync(found.path, statSync(found.path).mode | 0o111);
    return executable(found.path) ? found.path : undefined;
  } catch {
    return undefined;
  }
}

/** Resolves one binary; an explicit path is taken as given, so a wrong one fails loudly rather than being skipped. */
export function resolveBinary(name: 'ffmpeg' | 'ffprobe', env: DecoderEnv): DecoderBinary {
  const explicit = name === 'ffmpeg' ? env.ffmpegPath : env.ffprobePath;
  if (explicit !== undefined) return { command: explicit, source: 'env' };
  const system = onPath(name, env.searchPath);
  if (system !== undefined) return { command: system, source: 'system' };
  const shipped = fromNpm(name);
  if (shipped !== undefined) return { command: shipped, source: 'npm' };
  return { command: name, source: 'none' };
}

export function resolveDecoder(env: DecoderEnv = decoderEnv()): Decoder {
  const ffmpeg = resolveBinary('ffmpeg', env);
  const ffprobe = resolveBinary('ffprobe', env);
  return { ffmpeg: ffmpeg.command, ffprobe: ffprobe.command, ffmpegSource: ffmpeg.source, ffprobeSource: ffprobe.source };
}

let cached: Decoder | undefined;
/** The decoder of this process, resolved on first use. Every ffmpeg/ffprobe spawn goes through this. */
export function decoder(): Decoder {
  cached ??= resolveDecoder();
  return cached;
}

/** Says how to get a decoder when none was found; appended to "cannot run ffmpeg" errors. */
export function missingDecoderHint(d: Decoder = decoder()): string {
  if (d.ffmpegSource !== 'none' && d.ffprobeSource !== 'none') return '';
  return ' (no ffmpeg/ffprobe found: install ffmpeg, set SOPWATCH_FFMPEG and SOPWATCH_FFPROBE, or run `npm ci` on a platform @ffmpeg-installer ships for)';
}
