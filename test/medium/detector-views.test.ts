// Views of one detector pool: the rules and the face finder share two threads, each running only its own models, and
// get exactly what a pool of their own would give them.
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Detections, Frame } from '../../services/core/contracts.ts';
import { UsageError } from '../../services/core/errors.ts';
import { createDetector, unionNeeds, type PooledDetector } from '../../services/detector/index.ts';
import { createFaceFinder, FACE_FINDER_NEEDS } from '../../services/analysis/face-finder.ts';
import { cropFrame } from '../../services/frames/index.ts';
import { SAMPLES_JPG, imageFrame } from './detector-helpers.ts';

const NONE = { persons: false, pose: false, hands: false, objects: false, faces: false };
const PERSONS = { ...NONE, persons: true };
const FACES = { ...NONE, faces: true };
const HANDS = { ...NONE, hands: true };

const kinds = (d: Detections): string[] => [...new Set(d.items.map((i) => i.kind))].sort();

describe('detector views', () => {
  let union: PooledDetector;
  let persons: PooledDetector;
  let samples: Frame;
  beforeAll(async () => {
    samples = await imageFrame(SAMPLES_JPG);
    [union, persons] = await Promise.all([
      createDetector({ needs: unionNeeds(PERSONS, FACE_FINDER_NEEDS), threads: 2 }),
      createDetector({ needs: PERSONS, threads: 1 }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([union?.close(), persons?.close()]);
  });

  it('runs only the models a view asks for, and answers as a pool of its own would', async () => {
    expect(union.models).toEqual(['centernet', 'movenet-lightning', 'blazeface']);
    const [all, personsView, facesView, own] = await Promise.all([
      union.detect(samples),
      union.view(PERSONS).detect(samples),
      union.view(FACES).detect(samples),
      persons.detect(samples),
    ]);
    expect(kinds(all)).toEqual(['face', 'person']);
    expect(all.items.filter((i) => i.kind === 'person').every((p) => (p.keypoints?.length ?? 0) > 0)).toBe(true);
    // The persons view: boxes and scores exactly as the persons-only pool, no keypoints, no faces.
    expect(kinds(personsView)).toEqual(['person']);
    expect(personsView.items).toEqual(own.items);
    expect(personsView.items.length).toBeGreaterThan(3);
    // The faces view: the full set's faces, nothing else.
    expect(kinds(facesView)).toEqual(['face']);
    expect(facesView.items).toEqual(all.items.filter((i) => i.kind === 'face'));
  });

  it('a region crop tells the worker its whole frame\'s size, and is detected within that budget', async () => {
    // The picture as a 640 px stream gives it: a crop of it is smaller than the model's 512 px input.
    const { data, info } = await sharp(samples.rgb, { raw: { width: samples.width, height: samples.height, channels: 3 } }).resize({ width: 640 }).raw().toBuffer({ resolveWithObject: true });
    const small: Frame = { ...samples, width: info.width, height: info.height, rgb: data };
    const crop = cropFrame(small, [0.25, 0.25, 0.5, 0.5]).frame;
    expect(crop.cropOf).toEqual({ width: small.width, height: small.height });
    const { cropOf: _whole, ...bare } = crop;
    const [within, scaledUp, asWhole] = await Promise.all([
      persons.detect(crop),
      persons.detect(bare),
      // A crop whose "whole frame" is itself has the whole budget: the same input as no budget at all.
      persons.detect({ ...bare, cropOf: { width: crop.width, height: crop.height } }),
    ]);
    expect(asWhole.items).toEqual(scaledUp.items);
    // A quarter of the picture costs at most the whole picture's input: a smaller input than 512, other numbers.
    expect(within.items.length).toBeGreaterThan(0);
    expect(within.items).not.toEqual(scaledUp.items);
    // A picture marked not to be scaled up (a thumbnail) runs at its own size: other numbers again.
    const own = await persons.detect({ ...bare, noUpscale: true });
    expect(own.items.length).toBeGreaterThan(0);
    expect(own.items).not.toEqual(scaledUp.items);
    expect(own.items).not.toEqual(within.items);
  });

  it('serves a need its loaded models cover (hands from the pose model) and refuses one they do not', async () => {
    const hands = await union.view(HANDS).detect(samples);
    expect(kinds(hands)).toEqual(['hand']);
    expect(() => persons.view(FACES)).toThrow(UsageError);
    expect(() => persons.view(FACES)).toThrow(/blazeface/);
    expect(() => persons.view(NONE)).toThrow(UsageError);
    // Closing a view leaves the pool to its owner.
    await union.view(FACES).close();
    expect(union.liveThreads()).toBe(2);
  });

  it('a face finder on the shared pool blurs exactly as one with threads of its own', async () => {
    const own = createFaceFinder();
    const shared = createFaceFinder({ shared: union });
    try {
      const [a, b] = await Promise.all([own.scrub(samples), shared.scrub(samples)]);
      expect(Buffer.compare(Buffer.from(a.rgb), Buffer.from(b.rgb))).toBe(0);
      // Something was blurred: the sheet of photos has faces.
      expect(Buffer.compare(Buffer.from(a.rgb), Buffer.from(samples.rgb))).not.toBe(0);
    } finally {
      await Promise.all([own.close(), shared.close()]);
    }
    // The shared pool is still running for its owner.
    expect((await union.view(FACES).detect(samples)).items.length).toBeGreaterThan(0);
  });
});

describe('a view whose frames go first', () => {
  it('its frames are sent before those already waiting from other views (the running one finishes first)', async () => {
    const pool = await createDetector({ needs: unionNeeds(PERSONS, FACES), threads: 1 });
    try {
      const samples = await imageFrame(SAMPLES_JPG);
      const order: string[] = [];
      const track = (name: string, p: Promise<Detections>): Promise<void> => p.then(() => void order.push(name));
      const rules = pool.view(PERSONS);
      const faces = pool.view(FACES, { first: true });
      const plain = pool.view(FACES);
      // One thread: the first rules frame runs at once, the others wait; the first-going face frame overtakes them,
      // a face frame of a plain view does not.
      await Promise.all([
        track('rules 1', rules.detect(samples)),
        track('rules 2', rules.detect(samples)),
        track('plain faces', plain.detect(samples)),
        track('rules 3', rules.detect(samples)),
        track('faces first', faces.detect(samples)),
      ]);
      expect(order).toEqual(['rules 1', 'faces first', 'rules 2', 'plain faces', 'rules 3']);
    } finally {
      await pool.close();
    }
  });
});
