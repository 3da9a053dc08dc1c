// Encodes frames whose faces are already blurred into a short browser-playable MP4 (H.264 baseline-compatible
// yuv420p, moov atom first for seeking), written atomically: readers see the whole file or nothing.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Frame } from '../core/contracts.ts';
import { TEMP_SUFFIX } from './atomic-write.ts';
import { EvidenceError } from './errors.ts';

export interface Mp4Options {
  /** The ffmpeg binary to run (the ingester's `decoder().ffmpeg`). */
  ffmpeg: string;
  fps: number;
  outPath: string;
  /** The encoder is killed past this; default 120 s. */
  timeoutMs?: number;
}

/** What the browser needs to play it: H.264 in yuv420p at even sizes, Main profile, the index at the front. */
export function mp4Args(width: number, height: number, fps: number, out: string): string[] {
  return [
    '-hide_banner', '-nostdin', '-loglevel', 'error',
    '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-s', `${width}x${height}`, '-r', String(fps), '-i', 'pipe:0',
    '-vf', 'pad=ceil(iw/2)*2:ceil(ih/2)*2', '-c:v', 'libx264', '-preset', 'veryfast', '-crf', '28',
    '-profile:v', 'main', '-pix_fmt', 'yuv420p', '-g', String(Math.max(1, Math.round(fps))), '-an',
    '-movflags', '+faststart', '-f', 'mp4', '-y', out,
  ];
}

/**
 * Writes `frames` (all the same size, faces blurred by the caller) to `outPath`; returns the size in bytes.
 * Throws EvidenceError when there is no frame, sizes differ or ffmpeg fails; nothing is left behind then.
 */
export async function writeMp4(frames: AsyncIterable<Frame> | Iterable<Frame>, o: Mp4Options): Promise<number> {
  const dir = dirname(o.outPath);
  await mkdir(dir, { recursive: true });
  const temp = join(dir, `.${basename(o.outPath)}.${process.pid}.${randomBytes(4).toString('hex')}${TEMP_SUFFIX}`);
  let child: ReturnType<typeof spawn> | undefined;
  let size: { width: number; height: number } | undefined;
  let stderr = '';
  let exited: Promise<number | null> | undefined;
  const timer = setTimeout(() => child?.kill('SIGKILL'), o.timeoutMs ?? 120_000);
  try {
    for await (const f of frames) {
      if (size === undefined) {
        size = { width: f.width, height: f.height };
        const c = spawn(o.ffmpeg, mp4Args(f.width, f.height, o.fps, temp), { stdio: ['pipe', 'ignore', 'pipe'], windowsHide: true });
        child = c;
        c.stderr?.setEncoding('utf8');
        c.stderr?.on('data', (t: string) => { stderr = (stderr + t).slice(-2000); });
        // A broken pipe is reported by the exit code below.
        c.stdin?.on('error', () => undefined);
        exited = new Promise((done) => {
          c.once('error', (err) => { stderr += err.message; done(null); });
          c.once('close', (code) => done(code));
        });
      } else if (f.width !== size.width || f.height !== size.height) {
        throw new EvidenceError(`video ${o.outPath}: frame ${f.width}x${f.height} after ${size.width}x${size.height}`);
      }
      const stdin = child?.stdin;
      if (stdin && !stdin.write(f.rgb)) await new Promise<void>((go) => { stdin.once('drain', go); child?.once('close', () => go()); });
    }
    if (child === undefined || exited === undefined) throw new EvidenceError(`video ${o.outPath}: no frame to encode`);
    child.stdin?.end();
    const code = await exited;
    if (code !== 0) throw new EvidenceError(`video ${o.outPath}: ffmpeg exited with ${code}: ${stderr.trim().split('\n').slice(-2).join('; ')}`);
    await rename(temp, o.outPath);
    return (await stat(o.outPath)).size;
  } catch (err) {
    child?.kill('SIGKILL');
    await exited;
    await rm(temp, { force: true });
    if (err instanceof EvidenceError) throw err;
    throw new EvidenceError(`video ${o.outPath}: ${(err as Error).message}`, { cause: err });
  } finally {
    clearTimeout(timer);
  }
}
