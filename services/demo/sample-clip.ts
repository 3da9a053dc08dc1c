// The demo clip: a real person photo moving between a sink and a prep table in a drawn kitchen,
// encoded to H.264 by the system ffmpeg. Same inputs, same bytes (single-threaded, bit-exact flags).
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { SopwatchError } from '../core/errors.ts';
import { decoder } from '../ingester/decoder.ts';
import { personBoxAt, sampleScript, SAMPLE_DURATION_MS, type ScriptEntry } from './choreography.ts';
import { drawKitchen } from './kitchen.ts';
import { loadPersonPhoto, PERSON_ASPECT, type PersonPhoto } from './person-photo.ts';

/** The clip could not be made (ffmpeg missing or failing). Nothing was written. */
export class DemoClipError extends SopwatchError {}

/**
 * Frames per second of the clip: the rate clips are analysed at (SOPWATCH_ANALYSIS_FPS' default), so that no frame is
 * encoded and decoded only to be dropped; recorders often keep 5 fps or less.
 */
export const SAMPLE_FPS = 5;

export interface SampleClipOptions {
  width?: number;
  height?: number;
  fps?: number;
  ffmpegPath?: string;
}

export interface SampleClip {
  path: string;
  durationMs: number;
  fps: number;
  width: number;
  height: number;
  script: ScriptEntry[];
}

/** Draws one frame of the clip into a copy of the background: `into` when given (as large as the background), else a new buffer. */
export function composeFrame(background: Buffer, photo: PersonPhoto, tMs: number, width: number, height: number, into?: Buffer): Buffer {
  const frame = into ?? Buffer.allocUnsafe(background.length);
  background.copy(frame);
  const [x, y] = personBoxAt(tMs, PERSON_ASPECT, width, height);
  const left = Math.round(x * width);
  const top = Math.round(y * height);
  const from = Math.max(0, -left);
  const to = Math.min(photo.width, width - left);
  if (to <= from) return frame;
  for (let row = 0; row < photo.height; row++) {
    const fy = top + row;
    if (fy < 0 || fy >= height) continue;
    photo.rgb.copy(frame, (fy * width + left + from) * 3, (row * photo.width + from) * 3, (row * photo.width + to) * 3);
  }
  return frame;
}

/** Background and person photo at the size the clip is drawn at. */
export async function sampleMaterial(width: number, height: number): Promise<{ background: Buffer; photo: PersonPhoto }> {
  const [, , w, h] = personBoxAt(0, PERSON_ASPECT, width, height);
  const [background, photo] = await Promise.all([
    drawKitchen(width, height),
    loadPersonPhoto(Math.round(w * width), Math.round(h * height)),
  ]);
  return { background, photo };
}

function ffmpegArgs(width: number, height: number, fps: number, out: string): string[] {
  return [
    '-hide_banner', '-loglevel', 'error', '-nostdin',
    '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-s', `${width}x${height}`, '-r', String(fps), '-i', '-',
    // ultrafast: about a third of veryfast's CPU to encode and less to decode; the drawn scene compresses well either way.
    '-c:v', 'libx264', '-preset', 'ultrafast', '-crf', '20', '-pix_fmt', 'yuv420p', '-g', String(fps * 2),
    '-threads', '1', '-map_metadata', '-1', '-fflags', '+bitexact', '-flags:v', '+bitexact',
    '-movflags', '+faststart', '-f', 'mp4', '-y', out,
  ];
}

/** Generate the demo clip at `outPath` (written atomically) and say what happens in it. */
export async function generateSampleClip(outPath: string, opts: SampleClipOptions = {}): Promise<SampleClip> {
  const width = opts.width ?? 640;
  const height = opts.height ?? 360;
  const fps = opts.fps ?? SAMPLE_FPS;
  const { background, photo } = await sampleMaterial(width, height);
  await mkdir(dirname(outPath), { recursive: true });
  const temp = join(dirname(outPath), `.${basename(outPath)}.${process.pid}.${randomBytes(4).toString('hex')}.partial.mp4`);
  const child = spawn(opts.ffmpegPath ?? decoder().ffmpeg, ffmpegArgs(width, height, fps, temp), { stdio: ['pipe', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-2000);
  });
  // The exit is read from 'close'; a broken pipe while ffmpeg dies says nothing more.
  child.stdin.on('error', () => undefined);
  const exited = new Promise<{ code: number | null; error?: Error }>((resolve) => {
    child.once('error', (error) => resolve({ code: null, error }));
    child.once('close', (code) => resolve({ code }));
  });
  try {
    const frames = Math.round((SAMPLE_DURATION_MS * fps) / 1000);
    // A frame's buffer is drawn into again once ffmpeg has it (its write is done): a new 0.7 MB buffer for each of 200
    // frames cost the main thread more in fresh memory and collections than the drawing itself.
    const spare: Buffer[] = [];
    for (let i = 0; i < frames && child.exitCode === null && child.stdin.writable; i++) {
      const frame = composeFrame(background, photo, Math.round((i * 1000) / fps), width, height, spare.pop());
      if (!child.stdin.write(frame, () => spare.push(frame))) await Promise.race([once(child.stdin, 'drain').catch(() => undefined), exited]);
    }
    child.stdin.end();
    const { code, error } = await exited;
    if (code !== 0) throw new DemoClipError(`demo clip: ffmpeg ${error ? `failed to start (${error.message})` : `exited ${code}: ${stderr.trim()}`}`, { cause: error });
    await rename(temp, outPath);
  } catch (err) {
    child.kill('SIGKILL');
    await rm(temp, { force: true });
    if (err instanceof DemoClipError) throw err;
    throw new DemoClipError(`demo clip ${outPath}: ${(err as Error).message}`, { cause: err });
  }
  return { path: outPath, durationMs: SAMPLE_DURATION_MS, fps, width, height, script: sampleScript(fps, PERSON_ASPECT, width, height) };
}
