// The picture loop of the fake cameras: the demo kitchen clip (services/demo) rendered to JPEG frames once, cached in a folder.
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { composeFrame, sampleMaterial, SAMPLE_DURATION_MS } from '../demo/index.ts';

export interface LoopFrames {
  dir: string;
  fps: number;
  width: number;
  height: number;
  /** The JPEGs in loop order. */
  frames: Buffer[];
  durationMs: number;
}

/**
 * The demo clip's frames (the same drawing `generateSampleClip` encodes: a person walking between the
 * sink and the prep table, 40 s) as JPEG files in `dir/<w>x<h>@<fps>/`, made on first use.
 */
export async function loopFrames(dir: string, o: { fps?: number; width?: number; height?: number } = {}): Promise<LoopFrames> {
  const fps = o.fps ?? 5;
  const width = o.width ?? 320;
  const height = o.height ?? 180;
  const target = join(dir, `${width}x${height}@${fps}`);
  const count = Math.round((SAMPLE_DURATION_MS * fps) / 1000);
  const name = (i: number): string => `f${String(i).padStart(5, '0')}.jpg`;
  const complete = existsSync(join(target, name(count - 1)));
  if (!complete) {
    const partial = `${target}.${process.pid}.partial`;
    await mkdir(partial, { recursive: true });
    const { background, photo } = await sampleMaterial(width, height);
    for (let i = 0; i < count; i++) {
      const rgb = composeFrame(background, photo, Math.round((i * 1000) / fps), width, height);
      const jpeg = await sharp(rgb, { raw: { width, height, channels: 3 } }).jpeg({ quality: 80 }).toBuffer();
      await writeFile(join(partial, name(i)), jpeg);
    }
    await mkdir(dir, { recursive: true });
    try {
      await rename(partial, target);
    } catch (err) {
      // Another process made the same folder first: theirs is as good as ours.
      await rm(partial, { recursive: true, force: true });
      if (!existsSync(join(target, name(count - 1)))) throw err;
    }
  }
  const files = (await readdir(target)).filter((f) => f.endsWith('.jpg')).sort();
  const frames = await Promise.all(files.map((f) => readFile(join(target, f))));
  return { dir: target, fps, width, height, frames, durationMs: SAMPLE_DURATION_MS };
}

/** The frame a camera shows now: the loop is anchored at `originMs` and shifted by `offsetMs`. */
export function frameAt(loop: LoopFrames, nowMs: number, originMs: number, offsetMs = 0): Buffer {
  const i = Math.floor(((nowMs - originMs + offsetMs) * loop.fps) / 1000);
  const n = loop.frames.length;
  return loop.frames[((i % n) + n) % n] as Buffer;
}
