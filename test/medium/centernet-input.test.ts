// CenterNet at the picture's aspect (a 16:9 frame as 512x320: 512x288 and a grey band) finds the same persons and objects as the square letterbox.
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import sharp from 'sharp';
import type { Box, Frame } from '../../services/core/contracts.ts';
import { composeFrame, sampleMaterial, sampleSop } from '../../services/demo/index.ts';
import { cropFrame, regionFor, uncrop } from '../../services/frames/index.ts';
import { loadSopText } from '../../services/rules/sop-loader.ts';
import { iou } from '../../services/detector/geometry.ts';
import { sizeConstants } from '../../services/detector/models/centernet-input.ts';
import { CenterNet, type LabelledBox } from '../../services/detector/models/centernet.ts';
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

async function both(image: tf.Tensor4D, label: string, minScore: number): Promise<Record<'square' | 'aspect', LabelledBox[]>> {
  const pick = (all: LabelledBox[]): LabelledBox[] => all.filter((d) => d.label === label && d.score >= minScore).sort((a, b) => a.box[0] - b.box[0]);
  return { square: pick(await net.detect(image, minScore, 'square')), aspect: pick(await net.detect(image, minScore, 'aspect')) };
}

/**
 * Same count, and each square box has an aspect box of the same label over it, scored about the same. A person cut by
 * the bottom edge scores up to ~0.24 lower at the aspect input (0.73 -> 0.52 at 74 s of the person clip): the square
 * input has grey below the frame where the aspect input has its edge. Elsewhere scores move by a few hundredths.
 */
function expectSame(r: Record<'square' | 'aspect', LabelledBox[]>, where: string): void {
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

/** The region the frame stage crops for an SOP text on a camera (services/frames/region.ts). */
function regionOf(text: string, camera: string): Box {
  const loaded = loadSopText(text, 'sop.yaml');
  if (!loaded.ok) throw new Error(loaded.errors.map((e) => e.message).join('; '));
  return regionFor([{ sop: loaded.sop, zones: loaded.sop.zones[camera] ?? {} }]).box;
}

/**
 * Persons found on the region crop within its whole frame's budget (as the frame stage asks, Frame.cropOf), against
 * those found on the whole frame: every person of the whole frame that stands inside the crop is found on it, in the
 * same place. Returns how many were compared.
 */
async function cropFindsWhole(frame: Frame, region: Box, where: string): Promise<number> {
  const crop = cropFrame(frame, region);
  expect(crop.frame.cropOf).toEqual({ width: frame.width, height: frame.height });
  const run = async (f: Frame): Promise<LabelledBox[]> => {
    const image = tf.tidy(() => tf.tensor4d(Float32Array.from(f.rgb), [1, f.height, f.width, 3]));
    try {
      return (await net.detect(image, PERSON_MIN, 'aspect', f.cropOf)).filter((d) => d.label === 'person' && d.score >= PERSON_MIN);
    } finally {
      image.dispose();
    }
  };
  const whole = await run(frame);
  const onCrop = uncrop({ cameraId: '', frameIndex: 0, tMs: 0, width: crop.frame.width, height: crop.frame.height, items: (await run(crop.frame)).map((d) => ({ kind: 'person' as const, label: 'person', score: d.score, box: d.box })), inferenceMs: 0 }, crop.box, frame).items;
  const [cx, cy, cw, ch] = crop.box;
  // Persons wholly inside the crop: one the crop's edge cuts scores lower on it at any input size (a region's margin
  // keeps the zones' persons away from its edges).
  const inside = whole.filter((p) => p.box[0] >= cx && p.box[1] >= cy && p.box[0] + p.box[2] <= cx + cw && p.box[1] + p.box[3] <= cy + ch);
  for (const p of inside) {
    const best = Math.max(0, ...onCrop.map((c) => iou(c.box, p.box)));
    expect(best, `${where}: ${JSON.stringify(p)} on the whole frame; on the crop ${JSON.stringify(onCrop)}`).toBeGreaterThan(0.7);
  }
  return inside.length;
}

describe('a region crop within its whole frame\'s budget', () => {
  it('finds every person the whole frame shows inside the demo kitchen\'s region (352x360 of 640x360, at 384x384)', async () => {
    const [width, height] = [640, 360];
    const { background, photo } = await sampleMaterial(width, height);
    const region = regionOf(sampleSop(), 'demo-1');
    let compared = 0;
    for (let tMs = 0; tMs < 40_000; tMs += 2_000) {
      const frame: Frame = { cameraId: 'demo', index: 0, tMs, width, height, rgb: composeFrame(background, photo, tMs, width, height) };
      compared += await cropFindsWhole(frame, region, `kitchen t=${tMs} ms`);
    }
    expect(compared).toBeGreaterThan(5);
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

  it('on a region crop within the whole frame\'s budget finds every person the whole frame shows inside it (person clip, 640x360 stream)', async () => {
    const region = regionOf(await readFile(resolve(import.meta.dirname, '../fixtures/sop/station-visit.yaml'), 'utf8'), 'station-1');
    let compared = 0;
    for (let s = 3; s < 139; s += 8) {
      const full = await clipFrame(PERSON_CLIP, s);
      const { data, info } = await sharp(full.rgb, { raw: { width: full.width, height: full.height, channels: 3 } }).resize({ width: 640 }).raw().toBuffer({ resolveWithObject: true });
      compared += await cropFindsWhole({ ...full, width: info.width, height: info.height, rgb: data }, region, `person clip ${s} s`);
    }
    expect(compared).toBeGreaterThan(4);
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
