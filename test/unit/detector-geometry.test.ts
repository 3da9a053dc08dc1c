// Box arithmetic of the detector: overlap, suppression, crops and hand boxes placed from wrists.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Box } from '../../services/core/contracts.ts';
import { clipBox, fromCrop, handBoxFromWrist, iou, squareCrop, suppress } from '../../services/detector/geometry.ts';
import { modelsFor } from '../../services/detector/needs.ts';

const box = fc.tuple(fc.double({ min: 0, max: 0.9, noNaN: true }), fc.double({ min: 0, max: 0.9, noNaN: true }), fc.double({ min: 0.01, max: 0.5, noNaN: true }), fc.double({ min: 0.01, max: 0.5, noNaN: true })) as fc.Arbitrary<Box>;

describe('iou', () => {
  it('is 1 for a box with itself, 0 for disjoint boxes, and symmetric', () => {
    expect(iou([0.1, 0.1, 0.2, 0.2], [0.1, 0.1, 0.2, 0.2])).toBeCloseTo(1);
    expect(iou([0, 0, 0.1, 0.1], [0.5, 0.5, 0.1, 0.1])).toBe(0);
    expect(iou([0, 0, 0.2, 0.2], [0.1, 0, 0.2, 0.2])).toBeCloseTo(0.02 / 0.06);
    fc.assert(fc.property(box, box, (a, b) => Math.abs(iou(a, b) - iou(b, a)) < 1e-12 && iou(a, b) >= 0 && iou(a, b) <= 1 + 1e-12));
  });
});

describe('suppress', () => {
  it('keeps the best of overlapping boxes and every box that overlaps nothing kept', () => {
    const items = [
      { box: [0.1, 0.1, 0.2, 0.2] as Box, score: 0.5 },
      { box: [0.11, 0.1, 0.2, 0.2] as Box, score: 0.9 },
      { box: [0.6, 0.6, 0.2, 0.2] as Box, score: 0.3 },
    ];
    expect(suppress(items, 0.5).map((i) => i.score)).toEqual([0.9, 0.3]);
  });

  it('never keeps two boxes overlapping more than the limit', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ box, score: fc.double({ min: 0, max: 1, noNaN: true }) }), { maxLength: 30 }), (items) => {
        const kept = suppress(items, 0.4);
        return kept.every((a, i) => kept.every((b, j) => i === j || iou(a.box, b.box) <= 0.4));
      }),
    );
  });
});

describe('clipBox', () => {
  it('cuts a box to the image and drops one wholly outside', () => {
    const clipped = clipBox([-0.1, 0.5, 0.3, 0.7]) ?? [];
    [0, 0.5, 0.2, 0.5].forEach((v, i) => expect(clipped[i]).toBeCloseTo(v));
    expect(clipBox([1.1, 0.5, 0.3, 0.2])).toBeNull();
  });
});

describe('squareCrop and fromCrop', () => {
  it('make a square in pixels around the box, and map crop fractions back to the image', () => {
    const crop = squareCrop([0.5, 0.1, 0.1, 0.8], 800, 400, 1.25);
    const [y1, x1, y2, x2] = crop;
    expect((x2 - x1) * 800).toBeCloseTo((y2 - y1) * 400);
    expect((y2 - y1) * 400).toBeCloseTo(0.8 * 400 * 1.25);
    expect(fromCrop(crop, 0.5, 0.5)[0]).toBeCloseTo(0.55);
    expect(fromCrop(crop, 0.5, 0.5)[1]).toBeCloseTo(0.5);
    expect(fromCrop(crop, 0, 0)).toEqual([x1, 0]);
  });
});

describe('handBoxFromWrist', () => {
  const person: Box = [0.4, 0.1, 0.2, 0.8];

  it('puts the hand past the wrist, away from the elbow, sized from the forearm', () => {
    const hand = handBoxFromWrist([0.5, 0.5], [0.5, 0.4], person, 1000, 1000) as Box;
    const [cx, cy] = [hand[0] + hand[2] / 2, hand[1] + hand[3] / 2];
    expect(cx).toBeCloseTo(0.5);
    expect(cy).toBeGreaterThan(0.5);
    expect(hand[2]).toBeCloseTo(0.08);
  });

  it('centres the hand on the wrist and sizes it from the person when the elbow is unknown', () => {
    const hand = handBoxFromWrist([0.5, 0.5], undefined, person, 1000, 1000) as Box;
    expect(hand[0] + hand[2] / 2).toBeCloseTo(0.5);
    expect(hand[2]).toBeCloseTo(0.12 * 0.8);
  });

  it('keeps the hand between 8% and 25% of the person, whatever the forearm looks like', () => {
    fc.assert(
      fc.property(fc.double({ min: 0.2, max: 0.8, noNaN: true }), fc.double({ min: 0.2, max: 0.8, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }), (wx, wy, ex, ey) => {
        const hand = handBoxFromWrist([wx, wy], [ex, ey], person, 1000, 1000);
        return hand === null || hand[2] <= 0.25 * 0.8 + 1e-9;
      }),
    );
  });
});

describe('modelsFor', () => {
  it('loads CenterNet for persons and objects, MoveNet for pose and hands, BlazeFace for faces only', () => {
    const none = { persons: false, pose: false, hands: false, objects: false, faces: false };
    expect(modelsFor({ ...none, objects: true })).toEqual(['centernet']);
    expect(modelsFor({ ...none, hands: true })).toEqual(['centernet', 'movenet-lightning']);
    expect(modelsFor({ ...none, faces: true })).toEqual(['blazeface']);
    expect(modelsFor(none)).toEqual([]);
  });
});
