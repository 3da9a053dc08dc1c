// A real photo of a standing person, cut from the sample sheet that ships with @vladmandic/human (MIT).
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import sharp from 'sharp';
import { InputError } from '../core/errors.ts';

/**
 * From the fifth tile of the top strip of `assets/samples.jpg` (1280 px wide): a woman standing against
 * a white wall, seen from head to below the knees, cropped tightly around her. The full-length fourth tile
 * was tried first; the centernet person model scored it 0.2-0.5 from frame to frame, this one 0.5-0.6.
 */
export const PERSON_TILE = { left: 695, top: 2, width: 90, height: 155 } as const;

export function samplesPath(): string {
  const main = createRequire(import.meta.url).resolve('@vladmandic/human');
  return join(dirname(main), '..', 'assets', 'samples.jpg');
}

export interface PersonPhoto {
  rgb: Buffer;
  width: number;
  height: number;
}

/** Width over height of the photo. */
export const PERSON_ASPECT = PERSON_TILE.width / PERSON_TILE.height;

/** The person photo scaled to exactly `width` x `height` pixels, as raw RGB. */
export async function loadPersonPhoto(width: number, height: number): Promise<PersonPhoto> {
  const path = samplesPath();
  if (!existsSync(path)) throw new InputError(`demo clip: ${path} is missing (run npm ci)`);
  const rgb = await sharp(path).extract(PERSON_TILE).resize(width, height, { fit: 'fill', kernel: 'lanczos3' }).removeAlpha().raw().toBuffer();
  return { rgb, width, height };
}
