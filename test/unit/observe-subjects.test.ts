// The subject a detection is known by (observations, episode subjects and evidence boxes share it), and the
// observer's use of it: track ids read exactly, hands owned by their person even before the tracker confirms them.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Detection, Detections, Point, Polygon } from '../../services/core/contracts.ts';
import { observe, pointInPolygon, subjectOfDetection } from '../../services/rules/observe.ts';

const det = (kind: Detection['kind'], extra: Partial<Detection> = {}): Detection => ({ kind, label: kind, score: 0.9, box: [0.4, 0.4, 0.1, 0.1], ...extra });

describe('subjectOfDetection', () => {
  it.each([
    ['a tracked person', det('person', { trackId: 'p3' }), 'p:3'],
    ['a tracked object', det('object', { label: 'cup', trackId: 'o12' }), 'o:12'],
    ['a tracked hand of nobody', det('hand', { trackId: 'h5' }), 'h:5'],
    ['a hand owned by a person: the person, not the hand\'s own track', det('hand', { trackId: 'h5', ownerTrackId: 'p7' }), 'p:7'],
    ['an untracked hand owned by a person', det('hand', { ownerTrackId: 'p7' }), 'p:7'],
    ['an untracked person', det('person'), undefined],
    ['an untracked object', det('object', { label: 'cup' }), undefined],
    ['an untracked hand of nobody', det('hand'), undefined],
    ['a tracked face', det('face', { trackId: 'f1' }), undefined],
    ['an owner on something not a hand is ignored', det('person', { trackId: 'p2', ownerTrackId: 'p9' }), 'p:2'],
  ])('%s', (_n, d, subject) => {
    expect(subjectOfDetection(d)).toBe(subject);
  });

  it.each([
    // Letters then digits: the digits; several letters, several digits, any case.
    ['p3', 'p:3'], ['trk12', 'p:12'], ['P40', 'p:40'], ['person007', 'p:007'],
    // Anything else is kept whole: digits alone, letters alone, a suffix or prefix, separators.
    ['42', 'p:42'], ['abc', 'p:abc'], ['p3x', 'p:p3x'], ['-p3', 'p:-p3'], ['cam2-7', 'p:cam2-7'], ['p 3', 'p:p 3'], ['', 'p:'],
  ])('track id %j reads as %s', (trackId, subject) => {
    expect(subjectOfDetection(det('person', { trackId }))).toBe(subject);
  });
});

describe('observe: subjects', () => {
  const zones: Record<string, Polygon> = { sink: [[0.3, 0.3], [0.6, 0.3], [0.6, 0.6], [0.3, 0.6]] };
  const frame = (items: Detection[]): Detections => ({ cameraId: 'bar-1', frameIndex: 2, tMs: 400, width: 640, height: 360, items, inferenceMs: 1 });

  it('an untracked hand owned by a tracked person is that person\'s hand; an untracked hand of nobody is not seen', () => {
    const owner = det('person', { trackId: 'p7', box: [0.8, 0.1, 0.1, 0.3] });
    const f = observe(frame([owner, det('hand', { ownerTrackId: 'p7', score: 0.6 }), det('hand', { score: 0.95 })]), zones);
    expect(f.observations).toEqual([
      { kind: 'person', label: 'person', zone: '*', subject: 'p:7', score: 0.9 },
      { kind: 'hand', label: 'hand', zone: 'sink', subject: 'p:7', score: 0.6 },
      { kind: 'hand', label: 'hand', zone: '*', subject: 'p:7', score: 0.6 },
    ]);
  });

  it('a person whose hand box is owned but untracked does not also count its wrists', () => {
    const owner = det('person', { trackId: 'p7', box: [0.8, 0.1, 0.1, 0.3], keypoints: [{ part: 'leftWrist', point: [0.1, 0.1], score: 0.9 }] });
    const f = observe(frame([owner, det('hand', { ownerTrackId: 'p7', box: [0.9, 0.9, 0.05, 0.05] })]), { ...zones, corner: [[0, 0], [0.2, 0], [0.2, 0.2]] });
    expect(f.observations.filter((o) => o.kind === 'hand')).toEqual([{ kind: 'hand', label: 'hand', zone: '*', subject: 'p:7', score: 0.9 }]);
  });

  it('a person\'s wrists (from the pose) stand in for hands, at the wrist\'s own score', () => {
    const owner = det('person', { trackId: 'p7', box: [0.8, 0.1, 0.1, 0.3], keypoints: [{ part: 'rightWrist', point: [0.45, 0.45], score: 0.3 }] });
    expect(observe(frame([owner]), zones).observations.filter((o) => o.kind === 'hand')).toEqual([
      { kind: 'hand', label: 'hand', zone: 'sink', subject: 'p:7', score: 0.3 },
      { kind: 'hand', label: 'hand', zone: '*', subject: 'p:7', score: 0.3 },
    ]);
    // Below the least keypoint score, or with a lower bar set by the caller.
    const weak = det('person', { trackId: 'p7', box: [0.8, 0.1, 0.1, 0.3], keypoints: [{ part: 'rightWrist', point: [0.45, 0.45], score: 0.29 }] });
    expect(observe(frame([weak]), zones).observations.filter((o) => o.kind === 'hand')).toEqual([]);
    expect(observe(frame([weak]), zones, { minKeypointScore: 0.2 }).observations.filter((o) => o.kind === 'hand')).toHaveLength(2);
  });
});

describe('pointInPolygon on slanted edges', () => {
  // The triangle x >= 0, y >= 0, x + y <= 1: its hypotenuse is the only edge that is neither horizontal nor vertical.
  const triangle: Polygon = [[0, 0], [1, 0], [0, 1]];

  it('a point on the slanted edge is inside; a point in that edge\'s bounding box but off it is not', () => {
    expect(pointInPolygon([0.5, 0.5], triangle)).toBe(true);
    expect(pointInPolygon([0.25, 0.75], triangle)).toBe(true);
    expect(pointInPolygon([0.9, 0.9], triangle)).toBe(false);
    expect(pointInPolygon([0.6, 0.5], triangle)).toBe(false);
  });

  it('agrees with x + y <= 1 on a grid, in either winding', () => {
    fc.assert(
      fc.property(fc.integer({ min: -2, max: 22 }), fc.integer({ min: -2, max: 22 }), fc.boolean(), (i, j, reverse) => {
        const p: Point = [i / 20, j / 20];
        const inside = i >= 0 && j >= 0 && i + j <= 20;
        expect(pointInPolygon(p, reverse ? [...triangle].reverse() : triangle)).toBe(inside);
      }),
      { numRuns: 400 },
    );
  });

  it('agrees with x + 2y <= 1 for a flatter triangle, whose slanted edge is not at 45 degrees', () => {
    const flat: Polygon = [[0, 0], [1, 0], [0, 0.5]];
    fc.assert(
      fc.property(fc.integer({ min: -2, max: 22 }), fc.integer({ min: -2, max: 12 }), (i, j) => {
        expect(pointInPolygon([i / 20, j / 20], flat)).toBe(i >= 0 && j >= 0 && i + 2 * j <= 20);
      }),
      { numRuns: 400 },
    );
  });
});

describe('observe: where things are', () => {
  const lower: Record<string, Polygon> = { lower: [[0, 0.5], [1, 0.5], [1, 1], [0, 1]] };
  const frame = (items: Detection[]): Detections => ({ cameraId: 'bar-1', frameIndex: 0, tMs: 0, width: 640, height: 360, items, inferenceMs: 1 });

  it('an object is where its box centre is, not its top or bottom edge', () => {
    // Top at 0.35 (outside), centre at 0.55 (inside), bottom at 0.75.
    const cup = det('object', { label: 'cup', trackId: 'o4', box: [0.4, 0.35, 0.1, 0.4] });
    expect(observe(frame([cup]), lower).observations.map((o) => o.zone)).toEqual(['lower', '*']);
    // Centre at 0.45: outside, though its bottom reaches into the zone.
    const high = det('object', { label: 'cup', trackId: 'o5', box: [0.4, 0.3, 0.1, 0.3] });
    expect(observe(frame([high]), lower).observations.map((o) => o.zone)).toEqual(['*']);
  });

  it('only a hand box takes the place of a person\'s wrists: an owner named on anything else changes nothing', () => {
    const p7 = det('person', { trackId: 'p7', box: [0.1, 0.1, 0.1, 0.1], keypoints: [{ part: 'leftWrist', point: [0.5, 0.8], score: 0.9 }] });
    const cup = det('object', { label: 'cup', trackId: 'o4', box: [0.1, 0.1, 0.05, 0.05], ownerTrackId: 'p7' });
    expect(observe(frame([p7, cup]), lower).observations.filter((o) => o.kind === 'hand').map((o) => [o.subject, o.zone])).toEqual([['p:7', 'lower'], ['p:7', '*']]);
  });
});
