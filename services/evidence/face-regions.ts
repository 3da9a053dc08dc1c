// Where faces may be in a frame: explicit face boxes plus the head of every detected person.
// Over-covering is the safe error here: a blurred shoulder costs nothing, a visible face breaks a promise.
import type { Box, Detection } from '../core/contracts.ts';

const HEAD_PARTS = new Set(['nose', 'leftEye', 'rightEye', 'leftEar', 'rightEar']);
/** Keypoints below this score are too unreliable to place a head on. */
const MIN_HEAD_KEYPOINT_SCORE = 0.3;
/** Without usable keypoints, the head is assumed to sit in this top share of a standing person's box... */
export const HEAD_SHARE_OF_PERSON = 0.22;
/**
 * ...and in this share of a box less than 1.6 times as tall as wide: someone seen from the waist up
 * behind a counter, seated, or with arms spread, whose head fills more of the box.
 */
export const HEAD_SHARE_OF_SHORT_PERSON = 0.35;
/** A head is at least this share of the person box height, whatever the keypoints spread. */
const MIN_HEAD_SHARE = 0.14;
/** ...and at least this share of the frame height, for tiny or truncated person boxes. */
const MIN_HEAD_SHARE_OF_FRAME = 0.03;

/**
 * Head region of one person: from pose keypoints when two or more are trusted, else the top of the box.
 * Without the frame size the box shape cannot be judged, so the larger share is used, and a keypoint
 * head is square in normalised units (wider than the head on a landscape frame): more blur, never less.
 */
export function headBox(person: Detection, frameWidth?: number, frameHeight?: number): Box {
  const known = frameWidth !== undefined && frameHeight !== undefined;
  const width = frameWidth ?? 1;
  const height = frameHeight ?? 1;
  const [bx, by, bw, bh] = person.box;
  const share = !known || bh * height < 1.6 * bw * width ? HEAD_SHARE_OF_SHORT_PERSON : HEAD_SHARE_OF_PERSON;
  const top: Box = [bx, by, bw, bh * share];
  const head = (person.keypoints ?? []).filter((k) => HEAD_PARTS.has(k.part) && k.score >= MIN_HEAD_KEYPOINT_SCORE);
  if (head.length < 2) return top;
  // Work in pixels so that the head is square on screen whatever the frame's aspect.
  const xs = head.map((k) => k.point[0] * width);
  const ys = head.map((k) => k.point[1] * height);
  const cx = xs.reduce((a, b) => a + b, 0) / xs.length;
  const cy = ys.reduce((a, b) => a + b, 0) / ys.length;
  // Keypoints from a single-person pose model may belong to someone else: trust them only inside this box.
  const inside = cx >= bx * width && cx <= (bx + bw) * width && cy >= by * height && cy <= (by + bh) * height;
  if (!inside) return top;
  const spread = Math.max(Math.max(...xs) - Math.min(...xs), Math.max(...ys) - Math.min(...ys));
  const side = Math.max(2.2 * spread, MIN_HEAD_SHARE * bh * height, MIN_HEAD_SHARE_OF_FRAME * height);
  // Eyes and nose sit below the middle of the head: the forehead and hair need room above.
  return [(cx - side / 2) / width, (cy - 0.6 * side) / height, side / width, side / height];
}

/** Head regions of the person detections among `items` (other kinds are ignored). */
export function headBoxes(items: readonly Detection[], width?: number, height?: number): Box[] {
  return items.filter((d) => d.kind === 'person').map((d) => headBox(d, width, height));
}

/**
 * Every region to blur before a frame is drawn on or leaves the process: the given face boxes,
 * detections of kind `face`, and the head of every person detection. Boxes are returned unpadded;
 * `blurFaces` pads them.
 */
export function faceRegions(
  items: readonly Detection[] | undefined,
  faceBoxes: readonly Box[],
  width: number,
  height: number,
): Box[] {
  const regions: Box[] = [...faceBoxes];
  for (const d of items ?? []) {
    if (d.kind === 'face') regions.push(d.box);
    else if (d.kind === 'person') regions.push(headBox(d, width, height));
  }
  return regions;
}
