// CenterNet at the picture's aspect (a 16:9 frame as 512x320: 512x288 and a grey band) finds the same persons and objects as the square letterbox.
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Frame } from '../../services/core/contracts.ts';
import { composeFrame, sampleMaterial } from '../../services/demo/index.ts';
import { iou } from '../../services/detector/geometry.ts';
import { sizeConstants } from '../../services/detector/models/centernet-input.ts';
import { CenterNet, type InputFit, type LabelledBox } from '../../services/detector/models/centernet.ts';
import { loadGraph } from '../../services/detector/models/graph.ts';
import { startBackend } from '../../services/detector/tfjs-backend.ts';
import { describeFootage } from '../fixtures/media.ts';
import { BOTTLE_CLIP, PERSON_CLIP, blankFrame, clipFrame } from './detector-helpers.ts';

const PERSON_MIN = 0.35;
const OBJECT_MIN = 0.3;

let net: CenterNet;
beforeAll(async () => {
  await startBackend('wasm');
  net = await CenterNet.load();
});
afterAll(() => {
  net.dispose();
});

/** `frame`, or the part of it inside `crop` (normalised [x, y, w, h]), as the detector's input tensor. */
function tensorOf(frame: Frame, crop: readonly [number, number, number, number] = [0, 0, 1, 1]): tf.Tensor4D {
  return tf.tidy(() => {
    const whole = tf.tensor4d(Float32Array.from(frame.rgb), [1, frame.height, frame.width, 3]);
    const [x, y] = [Math.round(crop[0] * frame.width), Math.round(crop[1] * frame.height)];
    const [w, h] = [Math.round(crop[2] * frame.width), Math.round(crop[3] * frame.height)];
    return tf.slice(whole, [0, y, x, 0], [1, h, w, 3]);
  });
}

async function both(image: tf.Tensor4D, label: string, minScore: number): Promise<Record<InputFit, LabelledBox[]>> {
  const pick = (all: LabelledBox[]): LabelledBox[] => all.filter((d) => d.label === label && d.score >= minScore).sort((a, b) => a.box[0] - b.box[0]);
  return { square: pick(await net.detect(image, minScore, 'square')), aspect: pick(await net.detect(image, minScore, 'aspect')) };
}

/**
 * Same count, and each square box has an aspect box of the same label over it, scored about the same. A person cut by
 * the bottom edge scores up to ~0.24 lower at the aspect input (0.73 -> 0.52 at 74 s of the person clip): the square
 * input has grey below the frame where the aspect input has its edge. Elsewhere scores move by a few hundredths.
 */
function expectSame(r: Record<InputFit, LabelledBox[]>, where: string): void {
  expect(r.aspect.length, `${where}: ${JSON.stringify(r)}`).toBe(r.square.length);
  for (const s of r.square) {
    const best = Math.max(0, ...r.aspect.map((a) => iou(a.box, s.box)));
    const match = r.aspect.find((a) => iou(a.box, s.box) === best);
    expect(best, `${where}: IoU of ${JSON.stringify(s)}`).toBeGreaterThan(0.8);
    expect(Math.abs((match?.score ?? 0) - s.score), `${where}: scores of ${JSON.stringify(s)}`).toBeLessThan(0.25);
  }
}

describe('CenterNet at the picture aspect, on material a fresh clone has', () => {
  it('feeds the sizes the graph baked in: at 512x512 they are exactly the exported constants', async () => {
    const raw = await loadGraph('centernet');
    try {
      for (const [name, c] of Object.entries(sizeConstants(512, 512))) {
        const baked = raw.graph.weights[name]?.[0];
        expect(baked?.dtype, name).toBe('int32');
        expect(c.scalar ? [baked?.arraySync()] : baked?.arraySync(), name).toEqual(c.value);
      }
    } finally {
      raw.graph.dispose();
    }
  });

  it('finds the same person in the generated kitchen (768x432 as 512x320), at the sink, walking, at the prep table', async () => {
    const [width, height] = [768, 432];
    const { background, photo } = await sampleMaterial(width, height);
    for (const tMs of [2_000, 5_000, 10_000, 12_000, 30_000]) {
      const frame: Frame = { cameraId: 'demo', index: 0, tMs, width, height, rgb: composeFrame(background, photo, tMs, width, height) };
      const image = tensorOf(frame);
      try {
        const r = await both(image, 'person', PERSON_MIN);
        expect(r.square.length, `t=${tMs} ms`).toBe(1);
        expectSame(r, `kitchen t=${tMs} ms`);
        // Region crops of other aspects, as the frame stage hands them over: portrait, 4:3, a wide strip.
        for (const crop of [[0, 0.2, 0.45, 0.8], [0.35, 0.2, 0.65, 0.8], [0, 0.3, 1, 0.7]] as const) {
          const part = tensorOf(frame, crop);
          try {
            expectSame(await both(part, 'person', PERSON_MIN), `kitchen t=${tMs} ms crop ${crop.join(',')}`);
          } finally {
            part.dispose();
          }
        }
      } finally {
        image.dispose();
      }
    }
  });

  it('finds nothing in a blank frame, and frees every tensor whatever the input size', async () => {
    const sizes: Array<[number, number]> = [[640, 360], [360, 640], [300, 200], [1000, 10], [512, 512]];
    const first = tf.tidy(() => tf.fill<tf.Rank.R4>([1, 360, 640, 3], 128));
    await net.detect(first, OBJECT_MIN);
    first.dispose();
    const before = tf.memory().numTensors;
    for (const [w, h] of sizes) {
      const image = tensorOf(blankFrame(w, h));
      try {
        expect(await net.detect(image, OBJECT_MIN), `${w}x${h}`).toEqual([]);
      } finally {
        image.dispose();
      }
    }
    expect(tf.memory().numTensors).toBe(before);
  });
});

describeFootage('CenterNet at the picture aspect, on the real footage', [PERSON_CLIP, BOTTLE_CLIP], () => {
  it('finds the same persons as the square letterbox every 10 s of the person clip, empty room included', async () => {
    let withPerson = 0;
    for (let s = 5; s < 139; s += 10) {
      const image = tensorOf(await clipFrame(PERSON_CLIP, s));
      try {
        const r = await both(image, 'person', PERSON_MIN);
        if (r.square.length > 0) withPerson++;
        expectSame(r, `person clip ${s} s`);
      } finally {
        image.dispose();
      }
    }
    expect(withPerson).toBeGreaterThan(3);
    expect(withPerson).toBeLessThan(14);
  });

  it('finds the same bottles as the square letterbox every 4 s of the bottle clip', async () => {
    for (let s = 1; s < 40; s += 4) {
      const image = tensorOf(await clipFrame(BOTTLE_CLIP, s));
      try {
        const r = await both(image, 'bottle', OBJECT_MIN);
        expect(r.square.length).toBeGreaterThan(0);
        expectSame(r, `bottle clip ${s} s`);
      } finally {
        image.dispose();
      }
    }
  });
});
