// Detections + zones -> observations: which tracked person, hand or object is in which zone, per the SOP spec's conditions.
import type { Box, Detection, Detections, FrameObservations, Observation, ObservationKind, Point, Polygon } from '../core/contracts.ts';

export interface ObserveOptions {
  /** Least score for a wrist keypoint to stand in for a hand. Default 0.3. */
  minKeypointScore?: number;
}

const EPS = 1e-9;

function onSegment(p: Point, a: Point, b: Point): boolean {
  const cross = (b[0] - a[0]) * (p[1] - a[1]) - (b[1] - a[1]) * (p[0] - a[0]);
  if (Math.abs(cross) > EPS * Math.max(1, Math.hypot(b[0] - a[0], b[1] - a[1]))) return false;
  return (
    p[0] >= Math.min(a[0], b[0]) - EPS && p[0] <= Math.max(a[0], b[0]) + EPS && p[1] >= Math.min(a[1], b[1]) - EPS && p[1] <= Math.max(a[1], b[1]) + EPS
  );
}

/**
 * Even-odd rule, so concave and self-touching outlines work. A point on an edge or a vertex counts
 * as inside: a person standing at the bottom of the image has its foot point exactly on y = 1, and a
 * zone drawn to the image's edge must contain it. Two zones sharing an edge both contain points on it.
 */
export function pointInPolygon(p: Point, polygon: Polygon): boolean {
  const n = polygon.length;
  if (n < 3) return false;
  let inside = false;
  for (let i = 0, j = n - 1; i < n; j = i++) {
    const a = polygon[i] as Point;
    const b = polygon[j] as Point;
    if (onSegment(p, a, b)) return true;
    if (a[1] > p[1] !== b[1] > p[1]) {
      const x = a[0] + ((p[1] - a[1]) * (b[0] - a[0])) / (b[1] - a[1]);
      if (p[0] < x) inside = !inside;
    }
  }
  return inside;
}

/** Bottom-centre of a box: where a standing person touches the floor. */
export function footPoint(b: Box): Point {
  return [b[0] + b[2] / 2, b[1] + b[3]];
}

export function boxCentre(b: Box): Point {
  return [b[0] + b[2] / 2, b[1] + b[3] / 2];
}

/** `p3` -> `3`; an id that is not a letter prefix and digits is kept whole. */
function idPart(trackId: string): string {
  return /^[a-z]+(\d+)$/i.exec(trackId)?.[1] ?? trackId;
}

/** The subject a tracked person or object is in observations (`p:3`, `o:12`), for drawing an episode's subjects. */
export function subjectOfDetection(d: Detection): string | undefined {
  // A hand belongs to its person when the pose gave it one, tracked or not.
  if (d.kind === 'hand' && d.ownerTrackId !== undefined) return `p:${idPart(d.ownerTrackId)}`;
  if (d.trackId === undefined) return undefined;
  switch (d.kind) {
    case 'person':
      return `p:${idPart(d.trackId)}`;
    case 'object':
      return `o:${idPart(d.trackId)}`;
    case 'hand':
      return `h:${idPart(d.trackId)}`;
    case 'face':
      return undefined;
  }
}

function wristPoints(d: Detection, minScore: number): Array<{ point: Point; score: number }> {
  return (d.keypoints ?? []).filter((k) => /wrist/i.test(k.part) && k.score >= minScore);
}

/**
 * What the rule engine may know about one frame. For every tracked thing: one observation per
 * zone that contains it, plus one with zone `*`.
 * - person (needs a `trackId`): in a zone when its foot point is inside; subject `p:<n>`.
 * - object (needs a `trackId`): in a zone when its box centre is inside; subject `o:<n>`, label its COCO label.
 * - hand box: in a zone when its box centre (or its own wrist keypoint) is inside; subject `p:<owner>`
 *   when a tracked person owns it, else `h:<n>` when tracked; untracked, unowned hands are not seen.
 * - a tracked person with no hand box of its own: each wrist keypoint (score >= 0.3) is a hand of that person.
 * Hands of one person are merged per zone (the best score is kept), so `p:3` is in a zone once, not once per hand.
 * Detections without a track id are ones the tracker has not confirmed yet; faces are never observed.
 */
export function observe(d: Detections, zones: Record<string, Polygon>, options: ObserveOptions = {}): FrameObservations {
  const minScore = options.minKeypointScore ?? 0.3;
  const zoneList = Object.entries(zones);
  const observations: Observation[] = [];
  const handIndex = new Map<string, Observation>();

  const emit = (kind: ObservationKind, label: string, subject: string, points: Point[], score: number): void => {
    const zonesIn = zoneList.filter(([, poly]) => points.some((p) => pointInPolygon(p, poly))).map(([name]) => name);
    for (const zone of [...zonesIn, '*']) {
      if (kind === 'hand') {
        const key = `${subject}\u0000${zone}`;
        const seen = handIndex.get(key);
        if (seen !== undefined) {
          seen.score = Math.max(seen.score, score);
          continue;
        }
        const o: Observation = { kind, label, zone, subject, score };
        handIndex.set(key, o);
        observations.push(o);
      } else {
        observations.push({ kind, label, zone, subject, score });
      }
    }
  };

  const personsWithHandBoxes = new Set(d.items.flatMap((i) => (i.kind === 'hand' && i.ownerTrackId !== undefined ? [i.ownerTrackId] : [])));
  for (const item of d.items) {
    switch (item.kind) {
      case 'person': {
        const subject = subjectOfDetection(item);
        if (subject === undefined || item.trackId === undefined) break;
        emit('person', 'person', subject, [footPoint(item.box)], item.score);
        if (!personsWithHandBoxes.has(item.trackId)) {
          for (const w of wristPoints(item, minScore)) emit('hand', 'hand', subject, [w.point], w.score);
        }
        break;
      }
      case 'hand': {
        const subject = subjectOfDetection(item);
        if (subject === undefined) break;
        emit('hand', 'hand', subject, [boxCentre(item.box), ...wristPoints(item, minScore).map((w) => w.point)], item.score);
        break;
      }
      case 'object': {
        const subject = subjectOfDetection(item);
        if (subject !== undefined) emit('object', item.label, subject, [boxCentre(item.box)], item.score);
        break;
      }
      case 'face':
        break;
    }
  }
  return { cameraId: d.cameraId, frameIndex: d.frameIndex, tMs: d.tMs, observations };
}
