// The frame stage's cheap check: are the persons of the last detection still where they were? The pose model on their
// boxes (tens of ms) instead of the person detector on the region (a hundred or more), taken only where its "yes"
// cannot hide anything a rule reads:
// - the rules read persons only, and the last detection holds persons only (at most MAX_PERSONS);
// - every motion box of the frame lies inside a person's box grown by its margin (nobody came, nobody went: a person
//   walking in or out moves outside every box);
// - moving every person by that margin changes no zone's count (a step inside the margin cannot cross a zone's edge);
// - the pose model finds a body in every box, centred there.
// Anything else, and the frame is detected as usual.
import type { Box, Detection, Detections, Keypoint, Polygon } from '../core/contracts.ts';
import { boxCentre } from '../rules/observe.ts';
import { readsDetection, zoneState } from './region.ts';

/** More persons than this are detected, not checked one by one (each check is one pose model call). */
export const MAX_PERSONS = 3;
/** A keypoint this sure counts as seen. */
const KEYPOINT_MIN_SCORE = 0.3;
/** Keypoints seen (of 17) for a body to be there: a torso and a limb or a head. */
const MIN_KEYPOINTS = 6;
/** The seen keypoints' centre lies within this fraction of the box's width (height) of the box's centre. */
const CENTRE_TOLERANCE: readonly [number, number] = [0.3, 0.35];

/** How close to the picture's right and bottom edges a moved box may come (a point on the edge is in no zone). */
const EDGE = 1e-3;

/** How far a person may move unseen by the check: a share of their box, plus the motion picture's blur and dilation. */
export function marginOf(box: Box): [number, number] {
  return [0.25 * box[2] + 0.03, 0.05 * box[3] + 0.03];
}

function grown(box: Box): Box {
  const [mx, my] = marginOf(box);
  return [box[0] - mx, box[1] - my, box[2] + 2 * mx, box[3] + 2 * my];
}

function inside(inner: Box, outer: Box): boolean {
  return inner[0] >= outer[0] && inner[1] >= outer[1] && inner[0] + inner[2] <= outer[0] + outer[2] && inner[1] + inner[3] <= outer[1] + outer[3];
}

export interface CheckScene {
  zones: readonly Polygon[];
  keys: readonly string[] | undefined;
  anywhere: boolean | undefined;
}

/** Whether rules that read these zone-state keys read persons only (a check says nothing about objects or hands). */
export function readsPersonsOnly(keys: readonly string[] | undefined): boolean {
  return keys !== undefined && keys.length > 0 && keys.every((k) => k === 'person:person' || k === 'object:person');
}

/**
 * The boxes to check in `last` (a detection of the whole frame), or undefined when a check could hide a change: see the
 * module's comment. `motion`: the frame's motion boxes inside the region.
 */
export function boxesToCheck(last: Detections, motion: readonly Box[], scene: CheckScene): Box[] | undefined {
  const persons = last.items;
  if (persons.length === 0 || persons.length > MAX_PERSONS) return undefined;
  if (persons.some((p) => p.kind !== 'person' || !readsDetection(p, scene.keys))) return undefined;
  if (!motion.every((m) => persons.some((p) => inside(m, grown(p.box))))) return undefined;
  const state = zoneState(last, scene.zones, scene.keys, scene.anywhere);
  for (const [sx, sy] of [[-1, 0], [1, 0], [0, -1], [0, 1]] as const) {
    // Within the picture: a box at its edge cannot move past it.
    const moved: Detection[] = persons.map((p) => {
      const [mx, my] = marginOf(p.box);
      const x = Math.min(Math.max(p.box[0] + sx * mx, 0), Math.max(p.box[0], 1 - p.box[2] - EDGE));
      const y = Math.min(Math.max(p.box[1] + sy * my, 0), Math.max(p.box[1], 1 - p.box[3] - EDGE));
      return { ...p, box: [x, y, p.box[2], p.box[3]] };
    });
    if (zoneState({ ...last, items: moved }, scene.zones, scene.keys, scene.anywhere) !== state) return undefined;
  }
  return persons.map((p) => p.box);
}

/** Whether the pose model's keypoints on `box` show a body there: enough of them seen, centred in the box. */
export function bodyAt(keypoints: readonly Keypoint[] | undefined, box: Box): boolean {
  const seen = (keypoints ?? []).filter((k) => k.score >= KEYPOINT_MIN_SCORE);
  if (seen.length < MIN_KEYPOINTS) return false;
  const cx = seen.reduce((s, k) => s + k.point[0], 0) / seen.length;
  const cy = seen.reduce((s, k) => s + k.point[1], 0) / seen.length;
  const [bx, by] = boxCentre(box);
  return Math.abs(cx - bx) <= CENTRE_TOLERANCE[0] * box[2] && Math.abs(cy - by) <= CENTRE_TOLERANCE[1] * box[3];
}
