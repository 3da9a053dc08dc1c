// Raw RGB images as the evidence stage takes them (a Frame is one), and their sanity check.
import { EvidenceError } from './errors.ts';

/** Raw RGB24 pixels, `width * height * 3` bytes. `Frame` satisfies this. */
export interface RgbImage {
  rgb: Buffer;
  width: number;
  height: number;
}

/** Throws (EvidenceError unless told otherwise) when the buffer does not hold width x height RGB pixels. */
export function checkRgb(
  image: RgbImage,
  operation: string,
  ErrorClass: new (message: string) => EvidenceError = EvidenceError,
): void {
  const { rgb, width, height } = image;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1 || rgb.length !== width * height * 3) {
    throw new ErrorClass(`${operation}: expected ${width}x${height} RGB (${width * height * 3} bytes), got ${rgb.length} bytes`);
  }
}
