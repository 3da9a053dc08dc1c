// A short test clip for the browser suite: the demo kitchen with a real person photo standing still at the sink.
import { execFile } from 'node:child_process';
import { rm, writeFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { composeFrame, sampleMaterial } from '../../services/demo/index.ts';

const run = promisify(execFile);
const WIDTH = 640;
const HEIGHT = 360;
/** A moment of the demo script when the person stands at the sink (foot x 0.2, on the floor). */
const AT_SINK_MS = 5_000;

/**
 * Writes `seconds` of H.264 at 5 fps to `path`: the same still frame, so every frame shows the person at the sink.
 * Every frame is a lossless keyframe: about 100 kB a second, enough for upload progress to show on a throttled link.
 */
export async function writeStandingClip(path: string, seconds: number): Promise<void> {
  const { background, photo } = await sampleMaterial(WIDTH, HEIGHT);
  const rgb = composeFrame(background, photo, AT_SINK_MS, WIDTH, HEIGHT);
  const still = `${path}.png`;
  await writeFile(still, await sharp(rgb, { raw: { width: WIDTH, height: HEIGHT, channels: 3 } }).png().toBuffer());
  try {
    await run('ffmpeg', ['-v', 'error', '-y', '-loop', '1', '-framerate', '5', '-i', still, '-t', String(seconds), '-c:v', 'libx264', '-g', '1', '-qp', '0', '-pix_fmt', 'yuv420p', '-r', '5', path]);
  } finally {
    await rm(still, { force: true });
  }
}
