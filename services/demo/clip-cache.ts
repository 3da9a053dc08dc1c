// The demo clip kept between runs: made once per set of generator inputs (its code, the person photo, size and rate,
// the ffmpeg that encodes it) and reused while they stay the same; made again when missing or stale.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decoder } from '../ingester/decoder.ts';
import { sampleScript, SAMPLE_DURATION_MS } from './choreography.ts';
import { PERSON_ASPECT, samplesPath } from './person-photo.ts';
import { generateSampleClip, SAMPLE_FPS, type SampleClip, type SampleClipOptions } from './sample-clip.ts';

/** Bump when what the clip looks like changes in a way the hashed sources below do not show. */
const CACHE_VERSION = 1;
const PREFIX = 'sample-kitchen-';
const DEMO_DIR = fileURLToPath(new URL('./', import.meta.url));
/** The modules that decide the clip's pixels (every module of this folder that sample-clip.ts imports, and it). */
export const CLIP_SOURCES = ['sample-clip.ts', 'choreography.ts', 'kitchen.ts', 'kitchen-layout.ts', 'person-photo.ts'];

export interface CachedSampleClip extends SampleClip {
  /** True when the clip was made by this call, false when an earlier one was reused. */
  generated: boolean;
}

/** What the clip is made from, hashed: the same key means the same clip. */
export async function sampleClipKey(opts: SampleClipOptions = {}): Promise<string> {
  const h = createHash('sha256');
  const settings = { v: CACHE_VERSION, width: opts.width ?? 640, height: opts.height ?? 360, fps: opts.fps ?? SAMPLE_FPS, ffmpeg: opts.ffmpegPath ?? decoder().ffmpeg };
  h.update(JSON.stringify(settings));
  for (const name of CLIP_SOURCES) h.update(name).update(await readFile(join(DEMO_DIR, name)));
  h.update(await readFile(samplesPath()));
  return h.digest('hex').slice(0, 16);
}

/**
 * The demo clip from `cacheDir`, made there first when no clip of the same inputs is kept (other kept clips, stale,
 * are removed). The clip is written atomically by generateSampleClip, so a kept file is whole.
 */
export async function cachedSampleClip(cacheDir: string, opts: SampleClipOptions = {}): Promise<CachedSampleClip> {
  const key = await sampleClipKey(opts);
  const path = join(cacheDir, `${PREFIX}${key}.mp4`);
  if (existsSync(path)) {
    const width = opts.width ?? 640;
    const height = opts.height ?? 360;
    const fps = opts.fps ?? SAMPLE_FPS;
    return { path, durationMs: SAMPLE_DURATION_MS, fps, width, height, script: sampleScript(fps, PERSON_ASPECT, width, height), generated: false };
  }
  const clip = await generateSampleClip(path, opts);
  const stale = (await readdir(cacheDir)).filter((n) => n.startsWith(PREFIX) && n.endsWith('.mp4') && n !== `${PREFIX}${key}.mp4`);
  await Promise.all(stale.map((n) => rm(join(cacheDir, n), { force: true })));
  return { ...clip, generated: true };
}
