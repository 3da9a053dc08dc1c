// Observer: point-in-polygon (concave, edges) and the per-kind rules that turn detections into zone observations.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Box, Detection, Detections, Keypoint, Point, Polygon } from '../../services/core/contracts.ts';
import { observe, pointInPolygon } from '../../services/rules/observe.ts';

const square: Polygon = [
  [0.2, 0.2],
  [0.6, 0.2],
  [0.6, 0.6],
  [0.2, 0.6],
];
// A U open at the top: two arms (x 0.1-0.3 and 0.7-0.9) joined by a base (y 0.7-0.9).
const cup: Polygon = [
  [0.1, 0.1],
  [0.3, 0.1],
  [0.3, 0.7],
  [0.7, 0.7],
  [0.7, 0.1],
  [0.9, 0.1],
  [0.9, 0.9],
  [0.1, 0.9],
];

describe('pointInPolygon', () => {
  it('tells inside from outside for a square', () => {
    expect(pointInPolygon([0.4, 0.4], square)).toBe(true);
    expect(pointInPolygon([0.1, 0.4], square)).toBe(false);
    expect(pointInPolygon([0.4, 0.7], square)).toBe(false);
  });

  it('handles a concave outline: the notch is outside, the arms and base inside', () => {
    expect(pointInPolygon([0.5, 0.4], cup)).toBe(false);
    expect(pointInPolygon([0.2, 0.4], cup)).toBe(true);
    expect(pointInPolygon([0.8, 0.4], cup)).toBe(true);
    expect(pointInPolygon([0.5, 0.8], cup)).toBe(true);
    // A ray from here crosses vertices at y = 0.7: they must not be counted twice.
    expect(pointInPolygon([0.05, 0.7], cup)).toBe(false);
    expect(pointInPolygon([0.5, 0.1], cup)).toBe(false);
  });

  it('counts points on edges and vertices as inside, but not points on an edge line beyond the edge', () => {
    const onBoundary: Array<[Point, Polygon]> = [
      [[0.2, 0.4], square],
      [[0.6, 0.3], square],
      [[0.4, 0.2], square],
      [[0.4, 0.6], square],
      [[0.2, 0.2], square],
      [[0.6, 0.6], square],
      [[0.5, 0.7], cup],
      [[0.3, 0.5], cup],
      [[0.7, 0.1], cup],
    ];
    for (const [p, poly] of onBoundary) expect(pointInPolygon(p, poly)).toBe(true);
    expect(pointInPolygon([0.7, 0.2], square)).toBe(false);
    expect(pointInPolygon([0.2, 0.65], square)).toBe(false);
  });

  it('refuses degenerate polygons', () => {
    expect(pointInPolygon([0.5, 0.5], [])).toBe(false);
    expect(pointInPolygon([0.5, 0.5], [[0, 0], [1, 1]])).toBe(false);
  });

  it('agrees with the box test on rectangles, in either winding and from any starting vertex', () => {
    const coord = fc.integer({ min: 0, max: 20 }).map((n) => n / 20);
    fc.assert(
      fc.property(coord, coord, coord, coord, coord, coord, fc.integer({ min: 0, max: 3 }), fc.boolean(), (x1, x2, y1, y2, px, py, rot, reverse) => {
        fc.pre(x1 < x2 && y1 < y2);
        let poly: Point[] = [[x1, y1], [x2, y1], [x2, y2], [x1, y2]];
        poly = [...poly.slice(rot), ...poly.slice(0, rot)];
        if (reverse) poly.reverse();
        const expected = px >= x1 && px <= x2 && py >= y1 && py <= y2;
        expect(pointInPolygon([px, py], poly)).toBe(expected);
      }),
      { numRuns: 2000 },
    );
  });
});

function det(kind: Detection['kind'], box: Box, extra: Partial<Detection> = {}): Detection {
  return { kind, label: kind, score: 0.9, box, ...extra };
}

function frame(items: Detection[]): Detections {
  return { cameraId: 'bar-1', frameIndex: 7, tMs: 1400, width: 640, height: 360, items, inferenceMs: 3 };
}

const wrist = (x: number, y: number, score = 0.8): Keypoint => ({ part: 'leftWrist', point: [x, y], score });
const zones = { counter: square, station: cup };
const brief = (f: ReturnType<typeof observe>): string[] => f.observations.map((o) => `${o.kind}/${o.label}/${o.subject}@${o.zone}`);

describe('observe', () => {
  it('carries the frame identity through', () => {
    expect(observe(frame([]), zones)).toEqual({ cameraId: 'bar-1', frameIndex: 7, tMs: 1400, observations: [] });
  });

  it('places a person by the foot point, not by the box', () => {
    // Box mostly inside the counter, feet below it.
    const standingBelow = det('person', [0.3, 0.1, 0.2, 0.6], { trackId: 'p3' });
    // Box mostly outside, feet inside.
    const feetIn = det('person', [0.3, -0.5, 0.2, 1.0], { trackId: 'p4' });
    expect(brief(observe(frame([standingBelow, feetIn]), zones))).toEqual(['person/person/p:3@station', 'person/person/p:3@*', 'person/person/p:4@counter', 'person/person/p:4@*']);
  });

  it('a person at the bottom edge of the image is in a zone drawn to the edge', () => {
    const floor: Polygon = [[0, 0.5], [1, 0.5], [1, 1], [0, 1]];
    const f = observe(frame([det('person', [0.4, 0.3, 0.2, 0.7], { trackId: 'p1' })]), { floor });
    expect(brief(f)).toEqual(['person/person/p:1@floor', 'person/person/p:1@*']);
  });

  it('places objects by their box centre and keeps their label and score', () => {
    const phone = det('object', [0.35, 0.35, 0.1, 0.1], { label: 'cell phone', trackId: 'o12', score: 0.66 });
    const inNotch = det('object', [0.45, 0.35, 0.1, 0.1], { label: 'cup', trackId: 'o13' });
    const f = observe(frame([phone, inNotch]), zones);
    expect(brief(f)).toEqual(['object/cell phone/o:12@counter', 'object/cell phone/o:12@*', 'object/cup/o:13@counter', 'object/cup/o:13@*']);
    expect(f.observations[0]?.score).toBe(0.66);
  });

  it('names hands by their owner, else by their own track, and leaves out unknown ones', () => {
    const owner = det('person', [0.75, 0.2, 0.1, 0.5], { trackId: 'p3' });
    const items = [
      owner,
      det('hand', [0.38, 0.38, 0.04, 0.04], { trackId: 'h1', ownerTrackId: 'p3' }),
      det('hand', [0.78, 0.38, 0.04, 0.04], { trackId: 'h2' }),
      det('hand', [0.18, 0.38, 0.04, 0.04]),
    ];
    expect(brief(observe(frame(items), zones))).toEqual(['person/person/p:3@station', 'person/person/p:3@*', 'hand/hand/p:3@counter', 'hand/hand/p:3@*', 'hand/hand/h:2@station', 'hand/hand/h:2@*']);
  });

  it('uses a hand box wrist keypoint as well as its centre', () => {
    const hand = det('hand', [0.62, 0.3, 0.04, 0.04], { trackId: 'h5', keypoints: [{ part: 'wrist', point: [0.58, 0.3], score: 0.9 }] });
    expect(brief(observe(frame([hand]), zones))).toEqual(['hand/hand/h:5@counter', 'hand/hand/h:5@*']);
  });

  it('counts a person\u2019s wrists as hands only when that person has no hand box, and only confident wrists', () => {
    const withWrists = det('person', [0.75, 0.2, 0.1, 0.5], { trackId: 'p1', keypoints: [wrist(0.4, 0.4), { part: 'rightWrist', point: [0.2, 0.3], score: 0.2 }] });
    const withHandBox = det('person', [0.75, 0.2, 0.1, 0.5], { trackId: 'p2', keypoints: [wrist(0.4, 0.4)] });
    const handOfP2 = det('hand', [0.78, 0.8, 0.04, 0.04], { trackId: 'h1', ownerTrackId: 'p2' });
    const f = observe(frame([withWrists, withHandBox, handOfP2]), zones);
    expect(brief(f).filter((s) => s.startsWith('hand'))).toEqual(['hand/hand/p:1@counter', 'hand/hand/p:1@*', 'hand/hand/p:2@station', 'hand/hand/p:2@*']);
    expect(f.observations.find((o) => o.subject === 'p:1' && o.kind === 'hand')?.score).toBe(0.8);
  });

  it('merges two hands of one person in one zone, keeping the best score', () => {
    const p = det('person', [0.75, 0.2, 0.1, 0.5], { trackId: 'p9' });
    const h1 = det('hand', [0.3, 0.3, 0.04, 0.04], { trackId: 'h1', ownerTrackId: 'p9', score: 0.5 });
    const h2 = det('hand', [0.4, 0.3, 0.04, 0.04], { trackId: 'h2', ownerTrackId: 'p9', score: 0.7 });
    const hands = observe(frame([p, h1, h2]), zones).observations.filter((o) => o.kind === 'hand');
    expect(hands).toEqual([
      { kind: 'hand', label: 'hand', zone: 'counter', subject: 'p:9', score: 0.7 },
      { kind: 'hand', label: 'hand', zone: '*', subject: 'p:9', score: 0.7 },
    ]);
  });

  it('ignores untracked persons and objects, and faces', () => {
    const f = observe(frame([det('person', [0.3, 0.1, 0.2, 0.4]), det('object', [0.35, 0.35, 0.1, 0.1], { label: 'cup' }), det('face', [0.3, 0.3, 0.1, 0.1], { trackId: 'f1' })]), zones);
    expect(f.observations).toEqual([]);
  });

  it('keeps track ids that are not a letter and digits whole', () => {
    expect(brief(observe(frame([det('person', [0.3, 0.1, 0.2, 0.4], { trackId: 'cam2-7' })]), {}))).toEqual(['person/person/p:cam2-7@*']);
  });
});
