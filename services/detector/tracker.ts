// Stable track ids across frames for persons, objects and hands (greedy IoU, centre fallback for small boxes), and hand owners.
import type { Box, Detection, Detections, Point } from '../core/contracts.ts';
import { iou } from './geometry.ts';

export interface TrackerOptions {
  /** A track that has not been matched for longer than this is dropped. Default 2000. */
  maxMissedMs?: number;
  /**
   * Consecutive matched frames before a track gets an id and is reported. Default 2: a one-frame
   * false detection never becomes a subject, at the cost of one frame of delay. Ids are given at
   * confirmation, so tentative tracks that die do not use up ids.
   */
  minHits?: number;
  /** Least IoU between a track's predicted box and a detection to match them. Default 0.3. */
  minIou?: number;
  /** Boxes whose longer side is under this (fraction of the image's longer side) may match by centre distance. Default 0.15. */
  smallSide?: number;
  /** Centre-distance fallback: the farthest match, in diagonals of the track's box. Default 1. */
  maxCentreDiagonals?: number;
  /** A track last seen longer ago than this may match by centre distance whatever its size (sparse detection). Default 400. */
  sparseMs?: number;
  /** Least keypoint score for a wrist to count. Default 0.3. */
  minKeypointScore?: number;
}

export interface Tracker {
  /**
   * Returns the frame's detections with `trackId` set on confirmed persons (`p1`), objects (`o1`) and
   * hands (`h1`), and `ownerTrackId` on hands that belong to a tracked person. Detections of tracks not
   * yet confirmed come back without `trackId`; faces pass through untouched. The input is not changed.
   * Frames must come in time order; ids are never reused within one tracker.
   */
  update(d: Detections): Detections;
}

interface Track {
  key: string;
  id?: string;
  box: Box;
  /** Velocity of the box's top-left corner, normalised units per ms. */
  vx: number;
  vy: number;
  lastMs: number;
  hits: number;
}

function classKey(d: Detection): string | undefined {
  switch (d.kind) {
    case 'person':
      return 'person';
    case 'hand':
      return 'hand';
    case 'object':
      return `object:${d.label}`;
    case 'face':
      return undefined;
  }
}

function centre(b: Box): Point {
  return [b[0] + b[2] / 2, b[1] + b[3] / 2];
}

export function createTracker(options: TrackerOptions = {}): Tracker {
  const maxMissedMs = options.maxMissedMs ?? 2000;
  const minHits = Math.max(1, options.minHits ?? 2);
  const minIou = options.minIou ?? 0.3;
  const smallSide = options.smallSide ?? 0.15;
  const maxCentreDiagonals = options.maxCentreDiagonals ?? 1;
  const minKeypointScore = options.minKeypointScore ?? 0.3;
  const sparseMs = options.sparseMs ?? 400;
  const counters = { p: 0, o: 0, h: 0 };
  let tracks: Track[] = [];

  return {
    update(frame: Detections): Detections {
      const now = frame.tMs;
      // Distances are measured in pixels, scaled by the longer side, so they mean the same across and down.
      const sx = frame.width > 0 ? frame.width / Math.max(frame.width, frame.height) : 1;
      const sy = frame.height > 0 ? frame.height / Math.max(frame.width, frame.height) : 1;
      const dist = (a: Point, b: Point): number => Math.hypot((a[0] - b[0]) * sx, (a[1] - b[1]) * sy);
      const longSide = (b: Box): number => Math.max(b[2] * sx, b[3] * sy);
      const diagonal = (b: Box): number => Math.hypot(b[2] * sx, b[3] * sy);

      tracks = tracks.filter((t) => now - t.lastMs <= maxMissedMs);
      const items: Detection[] = frame.items.map((d) => ({ ...d }));
      const trackOf = new Map<number, Track>();
      const matched = new Set<Track>();

      for (const key of new Set(items.map(classKey))) {
        if (key === undefined) continue;
        const dets = items.flatMap((d, i) => (classKey(d) === key ? [i] : []));
        const cands = tracks.filter((t) => t.key === key);
        const pairs: Array<{ t: Track; i: number; tier: number; cost: number }> = [];
        for (const t of cands) {
          // Constant velocity, capped at one second of travel, so a lost track is looked for where it was heading.
          const dt = Math.min(now - t.lastMs, 1000);
          const predicted: Box = [t.box[0] + t.vx * dt, t.box[1] + t.vy * dt, t.box[2], t.box[3]];
          for (const i of dets) {
            const box = (items[i] as Detection).box;
            // The last box too: a track that stopped moving (or was seen sparsely, between detector calls) is where it was.
            const overlap = Math.max(iou(predicted, box), iou(t.box, box));
            if (overlap >= minIou) {
              pairs.push({ t, i, tier: 0, cost: -overlap });
            } else if (longSide(predicted) < smallSide || longSide(box) < smallSide || now - t.lastMs > sparseMs) {
              // Small boxes, and tracks not seen for a while (the detector ran sparsely): nearest centre.
              const d = dist(centre(predicted), centre(box));
              if (d <= maxCentreDiagonals * Math.max(diagonal(predicted), diagonal(box))) pairs.push({ t, i, tier: 1, cost: d });
            }
          }
        }
        // Greedy: best IoU first, then the nearest centres; ties go to the older track (lower creation order).
        pairs.sort((a, b) => a.tier - b.tier || a.cost - b.cost);
        for (const p of pairs) {
          if (matched.has(p.t) || trackOf.has(p.i)) continue;
          matched.add(p.t);
          trackOf.set(p.i, p.t);
        }
        for (const i of dets) {
          if (!trackOf.has(i)) {
            const t: Track = { key, box: (items[i] as Detection).box, vx: 0, vy: 0, lastMs: now, hits: 0 };
            tracks.push(t);
            trackOf.set(i, t);
          }
        }
      }

      for (const [i, t] of trackOf) {
        const d = items[i] as Detection;
        const dt = now - t.lastMs;
        if (t.hits > 0 && dt > 0) {
          // Smoothed (after the first step) so that one jittery box does not fling the prediction.
          const keep = t.hits === 1 ? 0 : 0.5;
          t.vx = keep * t.vx + ((1 - keep) * (d.box[0] - t.box[0])) / dt;
          t.vy = keep * t.vy + ((1 - keep) * (d.box[1] - t.box[1])) / dt;
        }
        t.box = d.box;
        t.lastMs = now;
        t.hits += 1;
        if (t.id === undefined && t.hits >= minHits) {
          const prefix = d.kind === 'person' ? 'p' : d.kind === 'hand' ? 'h' : 'o';
          counters[prefix] += 1;
          t.id = `${prefix}${counters[prefix]}`;
        }
        if (t.id === undefined) delete d.trackId;
        else d.trackId = t.id;
      }
      // Tentative tracks need consecutive matches: one miss and they are gone.
      tracks = tracks.filter((t) => t.id !== undefined || t.lastMs === now);

      const persons = items.filter((d) => d.kind === 'person' && d.trackId !== undefined);
      for (const hand of items) {
        if (hand.kind !== 'hand') continue;
        delete hand.ownerTrackId;
        const owner = ownerOf(hand.box, persons, dist, diagonal, minKeypointScore);
        if (owner !== undefined) hand.ownerTrackId = owner;
      }
      return { ...frame, items };
    },
  };
}

function wrists(person: Detection, minScore: number): Point[] {
  return (person.keypoints ?? []).filter((k) => /wrist/i.test(k.part) && k.score >= minScore).map((k) => k.point);
}

function inside(p: Point, b: Box): boolean {
  return p[0] >= b[0] && p[0] <= b[0] + b[2] && p[1] >= b[1] && p[1] <= b[1] + b[3];
}

/**
 * The person a hand belongs to. A wrist keypoint close to the hand (within the hand's size, at least
 * 5% of the image) is the strongest sign and wins; otherwise a person whose box contains the hand's
 * centre (the nearest box centre when several do); otherwise nobody.
 */
function ownerOf(
  hand: Box,
  persons: Detection[],
  dist: (a: Point, b: Point) => number,
  diagonal: (b: Box) => number,
  minScore: number,
): string | undefined {
  const c = centre(hand);
  let best: { id: string; d: number } | undefined;
  for (const p of persons) {
    for (const w of wrists(p, minScore)) {
      const d = dist(w, c);
      if (d <= Math.max(diagonal(hand), 0.05) && (best === undefined || d < best.d)) best = { id: p.trackId as string, d };
    }
  }
  if (best !== undefined) return best.id;
  for (const p of persons) {
    if (!inside(c, p.box)) continue;
    const d = dist(centre(p.box), c);
    if (best === undefined || d < best.d) best = { id: p.trackId as string, d };
  }
  return best?.id;
}
