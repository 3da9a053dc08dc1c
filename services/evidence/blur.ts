// Fail-closed face blurring on raw RGB: each region is reduced to a few cells and smoothed back up,
// which leaves a colour blob and no facial detail. Any doubt about a region is an error, never a skip.
import sharp from 'sharp';
import type { Box } from '../core/contracts.ts';
import { FaceBlurError } from './errors.ts';
import { checkRgb } from './image.ts';

/** Share of a box's width and height added on every side before blurring. */
export const FACE_PADDING = 0.3;
/** Cells kept along the longer side of a region: two, so that not even a face-like blob of light and dark cells survives (face detectors fire on 5-cell mosaics). */
const CELLS_ALONG_LONG_SIDE = 2;

export interface PixelRect {
  left: number;
  top: number;
  width: number;
  height: number;
}

/** The padded pixel rectangle of a normalised box, clipped to the image; undefined when fully outside. */
export function paddedRect(box: Box, width: number, height: number, padding = FACE_PADDING): PixelRect | undefined {
  const [x, y, w, h] = box;
  if (![x, y, w, h].every(Number.isFinite) || w <= 0 || h <= 0) {
    throw new FaceBlurError(`blur faces: invalid face box [${box.join(', ')}]`);
  }
  const left = Math.max(0, Math.floor((x - w * padding) * width));
  const top = Math.max(0, Math.floor((y - h * padding) * height));
  const right = Math.min(width, Math.ceil((x + w * (1 + padding)) * width));
  const bottom = Math.min(height, Math.ceil((y + h * (1 + padding)) * height));
  if (right <= left || bottom <= top) return undefined;
  return { left, top, width: right - left, height: bottom - top };
}

async function blurredRegion(rgb: Buffer, width: number, height: number, r: PixelRect, cells: number): Promise<Buffer> {
  const scale = cells / Math.max(r.width, r.height);
  const cellsW = Math.max(1, Math.min(r.width, Math.round(r.width * scale)));
  const cellsH = Math.max(1, Math.min(r.height, Math.round(r.height * scale)));
  const small = await sharp(rgb, { raw: { width, height, channels: 3 } })
    .extract(r)
    .resize(cellsW, cellsH, { fit: 'fill', kernel: 'cubic' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  const up = await sharp(small.data, { raw: { width: small.info.width, height: small.info.height, channels: 3 } })
    .resize(r.width, r.height, { fit: 'fill', kernel: 'linear' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  if (up.info.width !== r.width || up.info.height !== r.height || up.info.channels !== 3) {
    throw new FaceBlurError(`blur faces: region came back ${up.info.width}x${up.info.height}x${up.info.channels}`);
  }
  return up.data;
}

/**
 * Blur every box (normalised, padded by FACE_PADDING) in a raw RGB image and return a new buffer;
 * the input is left untouched. Throws FaceBlurError, with the cause, on anything unexpected.
 * `cells`: cells kept along a region's longer side (default two; one fills it with its mean colour, which no face
 * detector reads as a face, for a region the two-cell blob of a blur was found as one again).
 */
export async function blurFaces(rgb: Buffer, width: number, height: number, boxes: readonly Box[], cells = CELLS_ALONG_LONG_SIDE): Promise<Buffer> {
  checkRgb({ rgb, width, height }, 'blur faces', FaceBlurError);
  const rects = boxes.map((b) => paddedRect(b, width, height)).filter((r): r is PixelRect => r !== undefined);
  const out = Buffer.from(rgb);
  try {
    for (const r of rects) {
      const region = await blurredRegion(rgb, width, height, r, cells);
      const rowBytes = r.width * 3;
      for (let row = 0; row < r.height; row++) {
        region.copy(out, ((r.top + row) * width + r.left) * 3, row * rowBytes, (row + 1) * rowBytes);
      }
    }
  } catch (err) {
    if (err instanceof FaceBlurError) throw err;
    throw new FaceBlurError(`blur faces: ${rects.length} region(s) in a ${width}x${height} image failed`, { cause: err });
  }
  return out;
}
