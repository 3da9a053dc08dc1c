// Where the person is at every moment of the demo clip, and the zone visits that follow from it.
// The script is computed from the same positions the frames are drawn from, so it cannot drift.
import type { Box, Point, Polygon } from '../core/contracts.ts';
import { SAMPLE_ZONES } from './kitchen-layout.ts';

export const SAMPLE_DURATION_MS = 40_000;
/** Person height as a share of the frame: big enough for a person detector, small enough to walk. */
export const PERSON_HEIGHT_SHARE = 0.46;
/** Feet line, normalised; inside both zones. */
const FEET_Y = 0.94;
const OFF_LEFT = -0.15;
const AT_SINK = 0.2;
const AT_PREP = 0.77;

/** Foot x (normalised) at a time; linear between waypoints. */
const WAYPOINTS: ReadonlyArray<readonly [tMs: number, x: number]> = [
  [0, OFF_LEFT],
  [1_000, OFF_LEFT],
  [2_500, AT_SINK],
  [9_000, AT_SINK],
  [11_000, AT_PREP],
  [14_000, AT_PREP],
  [16_000, AT_SINK],
  [36_500, AT_SINK],
  [38_000, OFF_LEFT],
  [SAMPLE_DURATION_MS, OFF_LEFT],
];

export interface ScriptEntry {
  what: string;
  startMs: number;
  /** Exclusive: the time of the first frame no longer in the zone. */
  endMs: number;
  zone: string;
}

function footXAt(tMs: number): { x: number; walking: boolean } {
  for (let i = 1; i < WAYPOINTS.length; i++) {
    const [t1, x1] = WAYPOINTS[i] ?? [0, 0];
    const [t0, x0] = WAYPOINTS[i - 1] ?? [0, 0];
    if (tMs <= t1) {
      const f = t1 === t0 ? 1 : (tMs - t0) / (t1 - t0);
      return { x: x0 + (x1 - x0) * Math.max(0, f), walking: x1 !== x0 };
    }
  }
  return { x: OFF_LEFT, walking: false };
}

/**
 * The person's photo rectangle (normalised box) at a time: a slow sway while standing, a small
 * bob while walking. The foot point is the bottom centre of this box.
 */
export function personBoxAt(tMs: number, aspect: number, width: number, height: number): Box {
  const { x, walking } = footXAt(tMs);
  const h = PERSON_HEIGHT_SHARE;
  const w = (h * aspect * height) / width;
  const sway = walking ? 0 : 0.004 * Math.sin((2 * Math.PI * tMs) / 1700);
  const bob = walking ? (3 / height) * Math.abs(Math.sin((2 * Math.PI * tMs) / 500)) : 0;
  // Snap to whole pixels: the drawn rectangle and the reported box must be the same pixels.
  const left = Math.round((x + sway - w / 2) * width) / width;
  const top = Math.round((FEET_Y - h - bob) * height) / height;
  return [left, top, Math.round(w * width) / width, Math.round(h * height) / height];
}

export function pointInPolygon([px, py]: Point, polygon: Polygon): boolean {
  let inside = false;
  for (let i = 0, j = polygon.length - 1; i < polygon.length; j = i++) {
    const [xi, yi] = polygon[i] ?? [0, 0];
    const [xj, yj] = polygon[j] ?? [0, 0];
    if (yi > py !== yj > py && px < ((xj - xi) * (py - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

/** The zone visits of the clip, frame by frame at `fps`, from the same boxes that are drawn. */
export function sampleScript(fps: number, aspect: number, width: number, height: number): ScriptEntry[] {
  const entries: ScriptEntry[] = [];
  const frames = Math.round((SAMPLE_DURATION_MS * fps) / 1000);
  let open: { zone: string; startMs: number } | undefined;
  const close = (endMs: number): void => {
    if (open === undefined) return;
    const seconds = ((endMs - open.startMs) / 1000).toFixed(1);
    const place = open.zone === 'sink' ? 'the sink' : 'the prep table';
    entries.push({ what: `person at ${place} for ${seconds} s`, startMs: open.startMs, endMs, zone: open.zone });
    open = undefined;
  };
  for (let i = 0; i < frames; i++) {
    const tMs = Math.round((i * 1000) / fps);
    const [x, y, w, h] = personBoxAt(tMs, aspect, width, height);
    const foot: Point = [x + w / 2, y + h];
    const zone = Object.entries(SAMPLE_ZONES).find(([, poly]) => pointInPolygon(foot, poly))?.[0];
    if (zone !== open?.zone) {
      close(tMs);
      if (zone !== undefined) open = { zone, startMs: tMs };
    }
  }
  close(SAMPLE_DURATION_MS);
  return entries;
}
