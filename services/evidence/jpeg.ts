// JPEG encoding and cropping for images that leave the process (evidence files, model requests).
// Encoding takes the face boxes as a required argument so that no caller can forget the blur.
import sharp from 'sharp';
import type { Box } from '../core/contracts.ts';
import { blurFaces } from './blur.ts';
import { EvidenceError } from './errors.ts';
import { checkRgb, type RgbImage } from './image.ts';

export const DEFAULT_JPEG_QUALITY = 85;

export interface JpegOptions {
  /** Faces to blur (normalised to this image, padded by blurFaces). Pass `[]` only for already blurred pixels. */
  faceBoxes: readonly Box[];
  quality?: number;
  /** Longest side of the output in pixels; the image is only ever shrunk. */
  maxSide?: number;
}

/** Blur the given faces, shrink to maxSide, and encode as JPEG. FaceBlurError means no bytes at all. */
export async function encodeJpeg(image: RgbImage, opts: JpegOptions): Promise<Buffer> {
  checkRgb(image, 'encode jpeg');
  const blurred = await blurFaces(image.rgb, image.width, image.height, opts.faceBoxes);
  try {
    let pipeline = sharp(blurred, { raw: { width: image.width, height: image.height, channels: 3 } });
    if (opts.maxSide !== undefined) {
      pipeline = pipeline.resize(opts.maxSide, opts.maxSide, { fit: 'inside', withoutEnlargement: true });
    }
    return await pipeline.jpeg({ quality: opts.quality ?? DEFAULT_JPEG_QUALITY }).toBuffer();
  } catch (err) {
    throw new EvidenceError(`encode jpeg ${image.width}x${image.height}`, { cause: err });
  }
}

export interface CropOptions {
  /** Scale small crops up to maxSide too (a model sees a tiny hand better when enlarged). Default false. */
  enlarge?: boolean;
}

/**
 * The pixels of a normalised box (clipped to the image), scaled so that the longest side is at most
 * maxSide. No blurring happens here: blur the whole frame first, or pass face boxes to encodeJpeg.
 */
export async function cropAndScale(image: RgbImage, box: Box, maxSide: number, opts: CropOptions = {}): Promise<RgbImage> {
  checkRgb(image, 'crop');
  const [x, y, w, h] = box;
  // The epsilon keeps float noise (0.1 * 240 = 24.000000000000004) from adding a row.
  const left = Math.max(0, Math.floor(x * image.width + 1e-6));
  const top = Math.max(0, Math.floor(y * image.height + 1e-6));
  const right = Math.min(image.width, Math.ceil((x + w) * image.width - 1e-6));
  const bottom = Math.min(image.height, Math.ceil((y + h) * image.height - 1e-6));
  if (![x, y, w, h].every(Number.isFinite) || right <= left || bottom <= top || !(maxSide >= 1)) {
    throw new EvidenceError(`crop: box [${box.join(', ')}] or max side ${maxSide} leaves no pixels in ${image.width}x${image.height}`);
  }
  try {
    const { data, info } = await sharp(image.rgb, { raw: { width: image.width, height: image.height, channels: 3 } })
      .extract({ left, top, width: right - left, height: bottom - top })
      .resize(Math.round(maxSide), Math.round(maxSide), { fit: 'inside', withoutEnlargement: opts.enlarge !== true })
      .raw()
      .toBuffer({ resolveWithObject: true });
    return { rgb: data, width: info.width, height: info.height };
  } catch (err) {
    throw new EvidenceError(`crop [${box.join(', ')}] from ${image.width}x${image.height}`, { cause: err });
  }
}
