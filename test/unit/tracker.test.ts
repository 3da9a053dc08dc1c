// Tracker: stable ids through motion, crossing and short losses; new ids after long losses; labels kept apart; hand owners.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Box, Detection, Detections, Keypoint } from '../../services/core/contracts.ts';
import { createTracker } from '../../services/detector/tracker.ts';

const STEP_MS = 200;

function det(kind: Detection['kind'], box: Box, label: string = kind, keypoints?: Keypoint[]): Detection {
  return { kind, label, score: 0.9, box, ...(keypoints === undefined ? {} : { keypoints }) };
}

function frame(k: number, items: Detection[]): Detections {
  return { cameraId: 'cam', frameIndex: k, tMs: k * STEP_MS, width: 640, height: 360, items, inferenceMs: 1 };
}

const person = (x: number, y = 0.3): Detection => det('person', [x, y, 0.2, 0.5]);

describe('createTracker', () => {
  it('reports a track from its second consecutive frame, then keeps its id while it moves', () => {
    const t = createTracker();
    const ids = Array.from({ length: 10 }, (_, k) => t.update(frame(k, [person(0.1 + 0.03 * k)])).items[0]?.trackId);
    expect(ids).toEqual([undefined, ...Array<string>(9).fill('p1')]);
  });

  it('reports at once with minHits 1', () => {
    const t = createTracker({ minHits: 1 });
    expect(t.update(frame(0, [person(0.1)])).items[0]?.trackId).toBe('p1');
  });

  it('a one-frame false detection never gets an id and does not use one up', () => {
    const t = createTracker();
    t.update(frame(0, [person(0.7)]));
    t.update(frame(1, [person(0.1)]));
    expect(t.update(frame(2, [person(0.1)])).items[0]?.trackId).toBe('p1');
    expect(t.update(frame(3, [person(0.1), person(0.7)])).items.map((d) => d.trackId)).toEqual(['p1', undefined]);
  });

  it('two people crossing keep their own ids (the motion model stops the swap that plain IoU makes)', () => {
    const t = createTracker();
    const a: Array<string | undefined> = [];
    const b: Array<string | undefined> = [];
    for (let k = 0; k < 11; k++) {
      const out = t.update(frame(k, [person(0.1 + 0.07 * k), person(0.75 - 0.07 * k)]));
      a.push(out.items[0]?.trackId);
      b.push(out.items[1]?.trackId);
    }
    expect(a.slice(1)).toEqual(Array<string>(10).fill('p1'));
    expect(b.slice(1)).toEqual(Array<string>(10).fill('p2'));
  });

  it('a person lost for 1 s and found again keeps the id', () => {
    const t = createTracker();
    t.update(frame(0, [person(0.4)]));
    expect(t.update(frame(1, [person(0.4)])).items[0]?.trackId).toBe('p1');
    for (let k = 2; k < 7; k++) t.update(frame(k, []));
    expect(t.update(frame(7, [person(0.41)])).items[0]?.trackId).toBe('p1');
  });

  it('a person lost for 5 s gets a new id, and the old one never comes back', () => {
    const t = createTracker();
    t.update(frame(0, [person(0.4)]));
    t.update(frame(1, [person(0.4)]));
    for (let k = 2; k < 27; k++) t.update(frame(k, []));
    expect(t.update(frame(27, [person(0.4)])).items[0]?.trackId).toBeUndefined();
    const ids = [28, 29, 30].map((k) => t.update(frame(k, [person(0.4)])).items[0]?.trackId);
    expect(ids).toEqual(['p2', 'p2', 'p2']);
  });

  it('objects of different labels never share a track, even in the same place', () => {
    const t = createTracker();
    const box: Box = [0.5, 0.5, 0.1, 0.2];
    t.update(frame(0, [det('object', box, 'cup')]));
    expect(t.update(frame(1, [det('object', box, 'cup')])).items[0]?.trackId).toBe('o1');
    t.update(frame(2, [det('object', box, 'bottle')]));
    const both = t.update(frame(3, [det('object', box, 'bottle'), det('object', box, 'cup')]));
    expect(both.items.map((d) => d.trackId)).toEqual(['o2', 'o1']);
  });

  it('small boxes that move further than their size between frames keep their id by centre distance', () => {
    const t = createTracker();
    const ids = Array.from({ length: 6 }, (_, k) => t.update(frame(k, [det('object', [0.1 + 0.04 * k, 0.5, 0.05, 0.05], 'cup')])).items[0]?.trackId);
    expect(ids.slice(1)).toEqual(Array<string>(5).fill('o1'));
    // A large box that jumps by more than it overlaps is a different thing.
    const big = createTracker();
    big.update(frame(0, [person(0.1)]));
    big.update(frame(1, [person(0.1)]));
    big.update(frame(2, [person(0.6)]));
    expect(big.update(frame(3, [person(0.6)])).items[0]?.trackId).toBe('p2');
  });

  it('gives ids to hands and sets their owner: wrist nearby first, then the box that contains the hand', () => {
    const t = createTracker({ minHits: 1 });
    const wrist = (x: number, y: number, score = 0.8): Keypoint => ({ part: 'rightWrist', point: [x, y], score });
    const left = det('person', [0.1, 0.2, 0.3, 0.7], 'person', [wrist(0.38, 0.5), { part: 'leftWrist', point: [0.08, 0.5], score: 0.7 }]);
    const right = det('person', [0.3, 0.2, 0.3, 0.7], 'person', [wrist(0.2, 0.6, 0.1)]);
    const out = t.update(
      frame(0, [
        left,
        right,
        det('hand', [0.36, 0.48, 0.04, 0.04]), // in both boxes, at the left person's wrist
        det('hand', [0.18, 0.58, 0.04, 0.04]), // in the left box only, at a wrist of the right person too weak to count
        det('hand', [0.52, 0.58, 0.04, 0.04]), // in the right box only
        det('hand', [0.055, 0.485, 0.03, 0.03]), // outside both boxes, at the left person's other wrist
        det('hand', [0.8, 0.15, 0.03, 0.03]), // outside both, far from any wrist
      ]),
    );
    expect(out.items.map((d) => [d.trackId, d.ownerTrackId])).toEqual([
      ['p1', undefined],
      ['p2', undefined],
      ['h1', 'p1'],
      ['h2', 'p1'],
      ['h3', 'p2'],
      ['h4', 'p1'],
      ['h5', undefined],
    ]);
    const noWrist = createTracker({ minHits: 1 }).update(frame(0, [det('person', [0.1, 0.2, 0.3, 0.7]), det('person', [0.3, 0.2, 0.3, 0.7]), det('hand', [0.31, 0.5, 0.02, 0.02])]));
    // Both boxes contain the hand: the nearer box centre wins.
    expect(noWrist.items[2]?.ownerTrackId).toBe('p1');
  });

  it('leaves faces and the input untouched', () => {
    const t = createTracker({ minHits: 1 });
    const input = frame(0, [det('face', [0.2, 0.2, 0.05, 0.05]), person(0.2)]);
    const copy = structuredClone(input);
    const out = t.update(input);
    expect(input).toEqual(copy);
    expect(out.items[0]).toEqual(copy.items[0]);
    expect(out.items[1]?.trackId).toBe('p1');
  });

  it('never reuses an id and never gives one id to two things in a frame (random streams)', () => {
    const box = fc.tuple(fc.integer({ min: 0, max: 8 }), fc.integer({ min: 0, max: 4 }));
    const frames = fc.array(fc.array(fc.tuple(fc.constantFrom('person', 'cup', 'bottle', 'hand'), box), { maxLength: 5 }), { minLength: 1, maxLength: 60 });
    const gaps = fc.array(fc.constantFrom(200, 200, 400, 3000), { minLength: 60, maxLength: 60 });
    fc.assert(
      fc.property(frames, gaps, (stream, steps) => {
        const t = createTracker();
        const lastSeen = new Map<string, number>();
        let now = 0;
        stream.forEach((things, k) => {
          now += steps[k] ?? 200;
          const items = things.map(([label, [gx, gy]]) =>
            det(label === 'person' ? 'person' : label === 'hand' ? 'hand' : 'object', [gx * 0.1, gy * 0.2, 0.12, 0.15], label),
          );
          const out = t.update({ ...frame(k, items), tMs: now });
          const ids = out.items.flatMap((d) => (d.trackId === undefined ? [] : [d.trackId]));
          expect(new Set(ids).size).toBe(ids.length);
          for (const id of ids) {
            const seen = lastSeen.get(id);
            if (seen !== undefined) expect(now - seen).toBeLessThanOrEqual(2000);
            lastSeen.set(id, now);
          }
        });
      }),
      { numRuns: 300 },
    );
  });
});
