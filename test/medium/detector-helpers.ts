// Frames for the detector tests: decoded from real clips with ffmpeg, from images with sharp, or generated.
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import { promisify } from 'node:util';
import sharp from 'sharp';
import type { Frame } from '../../services/core/contracts.ts';
import { footage } from '../fixtures/media.ts';

const run = promisify(execFile);

export const PERSON_CLIP = footage('intel_one-by-one-person-detection.mp4');
export const BOTTLE_CLIP = footage('intel_bottle-detection.mp4');
export const GROUP_PHOTO = footage('aws_ppe-image-group.jpg');

/** A sheet of real photos of people that ships with @vladmandic/human, so a fresh clone has it. */
export const SAMPLES_JPG = join(dirname(dirname(createRequire(import.meta.url).resolve('@vladmandic/human'))), 'assets', 'samples.jpg');

async function probeSize(path: string): Promise<{ width: number; height: number }> {
  const { stdout } = await run('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=width,height', '-of', 'csv=p=0', path]);
  const [width, height] = stdout.trim().split(',').map(Number) as [number, number];
  return { width, height };
}

/** The frame of a clip at `seconds`, as raw RGB. */
export async function clipFrame(path: string, seconds: number, cameraId = 'test'): Promise<Frame> {
  const { width, height } = await probeSize(path);
  const { stdout } = await run(
    'ffmpeg',
    ['-v', 'error', '-ss', String(seconds), '-i', path, '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'],
    { encoding: 'buffer', maxBuffer: width * height * 3 + 1024 },
  );
  return { cameraId, index: Math.round(seconds * 1000), tMs: seconds * 1000, width, height, rgb: stdout };
}

export async function imageFrame(path: string, cameraId = 'test'): Promise<Frame> {
  const { data, info } = await sharp(path).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { cameraId, index: 0, tMs: 0, width: info.width, height: info.height, rgb: data };
}

/** A frame with nothing in it: a smooth grey-to-white gradient. */
export function blankFrame(width = 640, height = 360): Frame {
  const rgb = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) rgb.fill(150 + Math.round((100 * x) / width), (y * width + x) * 3, (y * width + x) * 3 + 3);
  }
  return { cameraId: 'blank', index: 0, tMs: 0, width, height, rgb };
}

export const centre = (b: readonly number[]): [number, number] => [(b[0] ?? 0) + (b[2] ?? 0) / 2, (b[1] ?? 0) + (b[3] ?? 0) / 2];

export const inside = (p: readonly [number, number], b: readonly number[]): boolean =>
  p[0] >= (b[0] ?? 0) && p[0] <= (b[0] ?? 0) + (b[2] ?? 0) && p[1] >= (b[1] ?? 0) && p[1] <= (b[1] ?? 0) + (b[3] ?? 0);
