// Where the detector needs to look for one camera: the bounding box of the SOP zones its rules use, with a margin
// (and, for rules about persons or hands, up to the top of the picture: a person's body stands above its feet).
// Also: crops a frame to that region and maps the detections back, and the "zone state" of a frame's detections.
import type { Box, Detection, Detections, Frame, Polygon } from '../core/contracts.ts';
import type { CompiledSop } from '../rules/compiled.ts';
import { leafConditions, ruleConditions } from '../rules/rule-conditions.ts';
import { boxCentre, footPoint, pointInPolygon } from '../rules/observe.ts';

export const WHOLE: Box = [0, 0, 1, 1];

export interface Region {
  /** Normalised box the detector looks at; WHOLE when the rules need the whole picture. */
  box: Box;
  /** Every zone polygon the rules use (for the zone state). */
  zones: Polygon[];
  /**
   * What the rules can see, as zone-state keys (`person:person`, `hand:hand`, `object:<label>`): a bowl of fruit
   * passing on a belt watched for knives changes nothing a rule reads. Absent: everything counts.
   */
  keys?: string[];
  /**
   * Whether a rule counts things anywhere in the picture (zone `*`, or no zones at all). When not, what moves outside
   * every zone is no change to the rules, and the zone state leaves the whole-picture counts out. Absent: counted.
   */
  anywhere?: boolean;
  /**
   * The shortest exit smoothing of the rules, ms: an absence briefer than this ends no episode, so while something
   * stands in a zone a detector call this often misses nothing a rule would act on. Absent: unknown.
   */
  exitMs?: number;
}

/** The zone-state keys one leaf condition reads. */
function keysOf(leaf: ReturnType<typeof leafConditions>[number]): string[] {
  const label = (l: string): string[] => (l === 'person' ? ['person:person', 'object:person'] : [`object:${l}`]);
  switch (leaf.type) {
    case 'person_in':
      return ['person:person'];
    case 'hands_in':
      return ['hand:hand'];
    case 'object':
      return label(leaf.label);
    case 'count':
      return label(leaf.of);
  }
}

const clamp = (v: number): number => Math.min(1, Math.max(0, v));

/**
 * The region of a camera for these SOP files (already filtered to the camera) and their zones per file.
 * `margin` is added on every side, as a fraction of the picture.
 */
export function regionFor(sops: ReadonlyArray<{ sop: CompiledSop; zones: Record<string, Polygon> }>, margin = 0.15): Region {
  const zones: Polygon[] = [];
  const keys = new Set<string>();
  let whole = false;
  let upward = false;
  let exitMs = Infinity;
  for (const { sop, zones: byName } of sops) {
    const enabled = sop.rules.filter((r) => r.enabled);
    for (const r of enabled) exitMs = Math.min(exitMs, r.smoothing.exitMs);
    for (const leaf of enabled.flatMap(ruleConditions).flatMap(leafConditions)) {
      for (const k of keysOf(leaf)) keys.add(k);
      const poly = leaf.zone === '*' ? undefined : byName[leaf.zone];
      if (poly === undefined) {
        whole = true;
        continue;
      }
      zones.push(poly);
      if (leaf.type === 'person_in' || leaf.type === 'hands_in' || (leaf.type === 'count' && leaf.of === 'person')) upward = true;
    }
  }
  const seen = [...keys].sort();
  const exit = Number.isFinite(exitMs) ? { exitMs } : {};
  if (whole || zones.length === 0) return { box: WHOLE, zones, keys: seen, anywhere: true, ...exit };
  const xs = zones.flatMap((p) => p.map((q) => q[0]));
  const ys = zones.flatMap((p) => p.map((q) => q[1]));
  const x0 = clamp(Math.min(...xs) - margin);
  const x1 = clamp(Math.max(...xs) + margin);
  const y0 = upward ? 0 : clamp(Math.min(...ys) - margin);
  const y1 = clamp(Math.max(...ys) + margin);
  return { box: [x0, y0, x1 - x0, y1 - y0], zones, keys: seen, anywhere: false, ...exit };
}

export function intersects(a: Box, b: Box): boolean {
  return a[0] < b[0] + b[2] && b[0] < a[0] + a[2] && a[1] < b[1] + b[3] && b[1] < a[1] + a[3];
}

/** Pixel bounds of a normalised box in a frame (at least 2 x 2). */
function pixels(box: Box, frame: Pick<Frame, 'width' | 'height'>): { x: number; y: number; w: number; h: number } {
  const x = Math.max(0, Math.min(frame.width - 2, Math.floor(box[0] * frame.width)));
  const y = Math.max(0, Math.min(frame.height - 2, Math.floor(box[1] * frame.height)));
  const w = Math.max(2, Math.min(frame.width - x, Math.ceil((box[0] + box[2]) * frame.width) - x));
  const h = Math.max(2, Math.min(frame.height - y, Math.ceil((box[1] + box[3]) * frame.height) - y));
  return { x, y, w, h };
}

/**
 * The part of `frame` inside `box`, and the box it really covers (pixel-aligned). The crop says the whole frame's size
 * (`cropOf`), so that the detector spends no more on it than on the whole frame.
 */
export function cropFrame(frame: Frame, box: Box): { frame: Frame; box: Box } {
  const p = pixels(box, frame);
  const rgb = Buffer.allocUnsafe(p.w * p.h * 3);
  for (let row = 0; row < p.h; row++) {
    const from = ((p.y + row) * frame.width + p.x) * 3;
    frame.rgb.copy(rgb, row * p.w * 3, from, from + p.w * 3);
  }
  return {
    frame: { cameraId: frame.cameraId, index: frame.index, tMs: frame.tMs, width: p.w, height: p.h, rgb, cropOf: { width: frame.width, height: frame.height } },
    box: [p.x / frame.width, p.y / frame.height, p.w / frame.width, p.h / frame.height],
  };
}

/** A box of the whole frame in the coordinates of a crop covering `crop` (the inverse of `uncrop`'s mapping). */
export function intoCrop(box: Box, crop: Box): Box {
  return [(box[0] - crop[0]) / crop[2], (box[1] - crop[1]) / crop[3], box[2] / crop[2], box[3] / crop[3]];
}

/** Detections made on a crop covering `box`, in the whole frame's coordinates. */
export function uncrop(d: Detections, box: Box, full: Pick<Frame, 'width' | 'height'>): Detections {
  const [bx, by, bw, bh] = box;
  const point = (p: readonly [number, number]): [number, number] => [bx + p[0] * bw, by + p[1] * bh];
  const items: Detection[] = d.items.map((i) => ({
    ...i,
    box: [bx + i.box[0] * bw, by + i.box[1] * bh, i.box[2] * bw, i.box[3] * bh],
    ...(i.keypoints === undefined ? {} : { keypoints: i.keypoints.map((k) => ({ ...k, point: point(k.point) })) }),
  }));
  return { ...d, width: full.width, height: full.height, items };
}

/**
 * What the rules can tell apart in one frame's detections: how many of each kind and label stand in each zone
 * (feet for persons, centres otherwise) and in the whole picture. Two frames with the same state give the same
 * observations, whatever the exact boxes.
 */
/** Whether the rules behind these keys can see this detection (faces never: no rule reads them). */
export function readsDetection(item: Detection, keys: readonly string[] | undefined): boolean {
  return item.kind !== 'face' && (keys === undefined || keys.includes(`${item.kind}:${item.label}`));
}

export function zoneState(d: Detections, zones: readonly Polygon[], keys?: readonly string[], anywhere = true): string {
  const counts = new Map<string, number>();
  const add = (key: string): void => {
    counts.set(key, (counts.get(key) ?? 0) + 1);
  };
  for (const item of d.items) {
    if (!readsDetection(item, keys)) continue;
    const key = `${item.kind}:${item.label}`;
    if (anywhere) add(`${key}@*`);
    const p = item.kind === 'person' ? footPoint(item.box) : boxCentre(item.box);
    for (const [i, zone] of zones.entries()) if (pointInPolygon(p, zone)) add(`${key}@${i}`);
  }
  return [...counts].sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, n]) => `${k}=${n}`).join(',');
}

/** The motion masks these SOP files give a camera (its id, else one of its tags, else "*"). */
export function masksFor(sops: readonly CompiledSop[], cameraId: string, tags: readonly string[] = []): Polygon[] {
  return sops.flatMap((s) => {
    const key = [cameraId, ...tags, '*'].find((k) => s.motionMasks !== undefined && Object.hasOwn(s.motionMasks, k));
    return key === undefined ? [] : (s.motionMasks?.[key] ?? []);
  });
}
