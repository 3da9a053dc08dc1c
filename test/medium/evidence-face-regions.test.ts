// Where the evidence stage looks for faces: head regions from person boxes and pose keypoints.
import { describe, expect, it } from 'vitest';
import type { Box, Detection, Keypoint } from '../../services/core/contracts.ts';
import { faceRegions, headBox, HEAD_SHARE_OF_PERSON, HEAD_SHARE_OF_SHORT_PERSON } from '../../services/evidence/index.ts';

const W = 640;
const H = 360;
const person = (box: Box, keypoints?: Keypoint[]): Detection => ({ kind: 'person', label: 'person', score: 0.9, box, ...(keypoints ? { keypoints } : {}) });
const contains = ([x, y, w, h]: Box, [px, py]: readonly [number, number]): boolean => px >= x && px <= x + w && py >= y && py <= y + h;

describe('headBox', () => {
  it('takes the top of a standing person box, and more of a box seen from the waist up', () => {
    const standing: Box = [0.1, 0.1, 0.1, 0.8]; // 64 x 288 px
    expect(headBox(person(standing), W, H)).toEqual([0.1, 0.1, 0.1, 0.8 * HEAD_SHARE_OF_PERSON]);
    const waistUp: Box = [0.1, 0.1, 0.3, 0.6]; // 192 x 216 px
    expect(headBox(person(waistUp), W, H)).toEqual([0.1, 0.1, 0.3, 0.6 * HEAD_SHARE_OF_SHORT_PERSON]);
    // Without the frame size the shape is unknown: the larger share.
    expect(headBox(person(standing))).toEqual([0.1, 0.1, 0.1, 0.8 * HEAD_SHARE_OF_SHORT_PERSON]);
  });

  it('follows trusted head keypoints inside the box, square on screen and holding every keypoint', () => {
    const kps: Keypoint[] = [
      { part: 'nose', point: [0.5, 0.52], score: 0.8 },
      { part: 'leftEye', point: [0.51, 0.5], score: 0.8 },
      { part: 'rightEye', point: [0.49, 0.5], score: 0.8 },
      { part: 'leftWrist', point: [0.9, 0.9], score: 0.9 },
    ];
    const box = headBox(person([0.4, 0.2, 0.25, 0.75], kps), W, H);
    expect(box[2] * W).toBeCloseTo(box[3] * H, 6);
    for (const k of kps.slice(0, 3)) expect(contains(box, k.point)).toBe(true);
    expect(contains(box, [0.9, 0.9])).toBe(false);
    expect(box[1]).toBeGreaterThan(0.3); // the head is where the keypoints are, not at the top of the box
  });

  it('falls back to the top of the box when head keypoints are weak or belong to someone else', () => {
    const box: Box = [0.1, 0.1, 0.1, 0.8];
    const top: Box = [0.1, 0.1, 0.1, 0.8 * HEAD_SHARE_OF_PERSON];
    const weak: Keypoint[] = [
      { part: 'nose', point: [0.15, 0.2], score: 0.1 },
      { part: 'leftEye', point: [0.16, 0.19], score: 0.2 },
    ];
    expect(headBox(person(box, weak), W, H)).toEqual(top);
    const elsewhere: Keypoint[] = [
      { part: 'nose', point: [0.8, 0.3], score: 0.9 },
      { part: 'leftEye', point: [0.81, 0.29], score: 0.9 },
    ];
    expect(headBox(person(box, elsewhere), W, H)).toEqual(top);
  });
});

describe('faceRegions', () => {
  it('gathers given face boxes, face detections and person heads, not hands or objects', () => {
    const items: Detection[] = [
      person([0.1, 0.1, 0.1, 0.8]),
      { kind: 'face', label: 'face', score: 0.7, box: [0.5, 0.1, 0.05, 0.08] },
      { kind: 'hand', label: 'hand', score: 0.7, box: [0.3, 0.6, 0.05, 0.08] },
      { kind: 'object', label: 'cup', score: 0.7, box: [0.7, 0.6, 0.05, 0.08] },
    ];
    const given: Box = [0.8, 0.1, 0.05, 0.08];
    expect(faceRegions(items, [given], W, H)).toEqual([given, [0.1, 0.1, 0.1, 0.8 * HEAD_SHARE_OF_PERSON], [0.5, 0.1, 0.05, 0.08]]);
    expect(faceRegions(undefined, [], W, H)).toEqual([]);
  });
});
