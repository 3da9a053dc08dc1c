// A tiny grayscale picture of an image (area-averaged), for cheap "has the scene changed?" comparisons.
import sharp from 'sharp';
import type { RgbImage } from './image.ts';

/** `side` x `side` gray levels (0..255), row by row; the image is squeezed to a square, whatever its shape. */
export async function grayThumbnail(image: RgbImage, side = 16): Promise<Uint8Array> {
  const data = await sharp(image.rgb, { raw: { width: image.width, height: image.height, channels: 3 } })
    .greyscale()
    .resize(side, side, { fit: 'fill', kernel: 'cubic' })
    .raw()
    .toBuffer();
  return new Uint8Array(data.buffer, data.byteOffset, data.length);
}
