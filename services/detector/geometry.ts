// Box arithmetic for the detector, in normalised [x, y, w, h]: overlap, suppression, crops, and hands from wrists.
import type { Box, Point } from '../core/contracts.ts';

export interface Scored {
  box: Box;
  score: number;
}

const clamp01 = (v: number): number => Math.min(1, Math.max(0, v));

/** The part of a box inside the image; null when nothing of it is inside. */
export function clipBox(box: Box): Box | null {
  const x1 = clamp01(box[0]);
  const y1 = clamp01(box[1]);
  const x2 = clamp01(box[0] + box[2]);
  const y2 = clamp01(box[1] + box[3]);
  if (x2 <= x1 || y2 <= y1) return null;
  return [x1, y1, x2 - x1, y2 - y1];
}

export function iou(a: Box, b: Box): number {
  const x1 = Math.max(a[0], b[0]);
  const y1 = Math.max(a[1], b[1]);
  const x2 = Math.min(a[0] + a[2], b[0] + b[2]);
  const y2 = Math.min(a[1] + a[3], b[1] + b[3]);
  const inter = Math.max(0, x2 - x1) * Math.max(0, y2 - y1);
  const union = a[2] * a[3] + b[2] * b[3] - inter;
  return union > 0 ? inter / union : 0;
}

/** Greedy non-maximum suppression: highest score first, drops what overlaps a kept box by more than `maxIou`. */
export function suppress<T extends Scored>(items: readonly T[], maxIou: number): T[] {
  const kept: T[] = [];
  for (const item of [...items].sort((a, b) => b.score - a.score)) {
    if (kept.every((k) => iou(k.box, item.box) <= maxIou)) kept.push(item);
  }
  return kept;
}

/** A crop for `tf.image.cropAndResize`: `[y1, x1, y2, x2]`, normalised, may reach outside the image. */
export type CropBox = [number, number, number, number];

/**
 * The square (in pixels) around a box, `scale` times its longer side, as a crop box.
 * Pose models want the person centred in a square input with some margin.
 */
export function squareCrop(box: Box, width: number, height: number, scale: number): CropBox {
  const cx = (box[0] + box[2] / 2) * width;
  const cy = (box[1] + box[3] / 2) * height;
  const half = (Math.max(box[2] * width, box[3] * height) * scale) / 2;
  return [(cy - half) / height, (cx - half) / width, (cy + half) / height, (cx + half) / width];
}

/** A point given as a fraction of a crop, as a point of the image (kept inside it). */
export function fromCrop(crop: CropBox, fx: number, fy: number): Point {
  return [clamp01(crop[1] + fx * (crop[3] - crop[1])), clamp01(crop[0] + fy * (crop[2] - crop[0]))];
}

/** Share of a person's longer side that a hand's box spans, when the forearm cannot tell. */
const HAND_SHARE_OF_PERSON = 0.12;
/** A hand reaches about this far past the wrist, as a share of the forearm (elbow to wrist). */
const HAND_REACH = 0.35;
/** Hand box side as a share of the forearm; bounded by the person's size against foreshortening. */
const HAND_SIZE = 0.8;

/**
 * A square box (in pixels) where the hand at this wrist is: pushed along the forearm when the
 * elbow is known, sized from the forearm but kept between 8% and 25% of the person's longer side.
 */
export function handBoxFromWrist(wrist: Point, elbow: Point | undefined, person: Box, width: number, height: number): Box | null {
  const personSide = Math.max(person[2] * width, person[3] * height);
  let cx = wrist[0] * width;
  let cy = wrist[1] * height;
  let side = HAND_SHARE_OF_PERSON * personSide;
  if (elbow) {
    const dx = cx - elbow[0] * width;
    const dy = cy - elbow[1] * height;
    const forearm = Math.hypot(dx, dy);
    cx += HAND_REACH * dx;
    cy += HAND_REACH * dy;
    side = Math.min(0.25 * personSide, Math.max(0.08 * personSide, HAND_SIZE * forearm));
  }
  return clipBox([(cx - side / 2) / width, (cy - side / 2) / height, side / width, side / height]);
}
