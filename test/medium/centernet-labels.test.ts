// CenterNet asked for some labels runs its class layer for those alone: the same boxes as the whole graph gives for them.
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Frame } from '../../services/core/contracts.ts';
import { InputError } from '../../services/core/errors.ts';
import { composeFrame, sampleMaterial } from '../../services/demo/index.ts';
import { createDetector } from '../../services/detector/index.ts';
import { readManifest } from '../../services/detector/model-files.ts';
import { CenterNet, type LabelledBox } from '../../services/detector/models/centernet.ts';
import { startBackend } from '../../services/detector/tfjs-backend.ts';
import { describeFootage } from '../fixtures/media.ts';
import { BOTTLE_CLIP, PERSON_CLIP, clipFrame } from './detector-helpers.ts';

/** Low enough that every frame has dozens of boxes of many labels to compare. */
const MIN_SCORE = 0.05;

let net: CenterNet;
let labels: string[];
beforeAll(async () => {
  await startBackend('wasm');
  net = await CenterNet.load();
  labels = (await readManifest('centernet')).labels;
});
afterAll(() => {
  net.dispose();
});

async function detect(frame: Frame, only?: readonly string[], cropOf?: { width: number; height: number }): Promise<LabelledBox[]> {
  const image = tf.tidy(() => tf.tensor4d(Float32Array.from(frame.rgb), [1, frame.height, frame.width, 3]));
  try {
    return await net.detect(image, MIN_SCORE, 'aspect', cropOf, only);
  } finally {
    image.dispose();
  }
}

/** The same boxes, labels and scores, in the same order: the class layer here is the graph's, bit for bit. */
function expectSameBoxes(got: LabelledBox[], want: LabelledBox[], where: string): void {
  expect(got, where).toEqual(want);
}

/** Every label through the class layer run here equals the graph's own output; persons alone equal its persons. */
async function expectLayerMatchesGraph(frame: Frame, where: string, cropOf?: { width: number; height: number }): Promise<LabelledBox[]> {
  const graph = await detect(frame, undefined, cropOf);
  expectSameBoxes(await detect(frame, labels, cropOf), graph, `${where}, every label`);
  expectSameBoxes(await detect(frame, ['person'], cropOf), graph.filter((b) => b.label === 'person'), `${where}, persons`);
  expectSameBoxes(await detect(frame, ['bottle', 'person', 'cup'], cropOf), graph.filter((b) => ['bottle', 'person', 'cup'].includes(b.label)), `${where}, three labels`);
  return graph;
}

describe('CenterNet for some labels', () => {
  it('gives the graph\'s own boxes for them in the generated kitchen, whole frame and region crop', async () => {
    const [width, height] = [640, 360];
    const { background, photo } = await sampleMaterial(width, height);
    let persons = 0;
    let others = 0;
    for (const tMs of [0, 3_000, 9_000, 24_000]) {
      const frame: Frame = { cameraId: 'demo', index: 0, tMs, width, height, rgb: composeFrame(background, photo, tMs, width, height) };
      const graph = await expectLayerMatchesGraph(frame, `kitchen t=${tMs} ms`);
      persons += graph.filter((b) => b.label === 'person').length;
      others += graph.filter((b) => b.label !== 'person').length;
      const crop = { ...frame, width: 352, height: 360, rgb: Buffer.alloc(352 * 360 * 3) };
      for (let y = 0; y < 360; y++) frame.rgb.copy(crop.rgb, y * 352 * 3, (y * 640 + 100) * 3, (y * 640 + 452) * 3);
      await expectLayerMatchesGraph(crop, `kitchen crop t=${tMs} ms`, { width, height });
    }
    // Something to compare: the person in three of the frames, and many boxes of other labels.
    expect(persons).toBeGreaterThanOrEqual(3);
    expect(others).toBeGreaterThan(20);
  });

  it('frees every tensor but its class layers, finds nothing for no label, and names a label it does not know', async () => {
    const frame: Frame = { cameraId: 'x', index: 0, tMs: 0, width: 320, height: 180, rgb: Buffer.alloc(320 * 180 * 3, 90) };
    await detect(frame, ['person']);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) {
      await detect(frame, ['person']);
      await detect(frame);
    }
    expect(tf.memory().numTensors).toBe(before);
    expect(await detect(frame, [])).toEqual([]);
    await expect(detect(frame, ['person', 'unicorn'])).rejects.toThrow(InputError);
    await expect(detect(frame, ['unicorn'])).rejects.toThrow(/no label "unicorn"/);
  });
});

describeFootage('CenterNet for some labels, on the real footage', [PERSON_CLIP, BOTTLE_CLIP], () => {
  it('gives the graph\'s own persons and bottles', async () => {
    let persons = 0;
    let bottles = 0;
    for (const [clip, seconds] of [[PERSON_CLIP, 15], [PERSON_CLIP, 45], [PERSON_CLIP, 75], [PERSON_CLIP, 105], [BOTTLE_CLIP, 5], [BOTTLE_CLIP, 21]] as const) {
      const graph = await expectLayerMatchesGraph(await clipFrame(clip, seconds), `${clip} ${seconds} s`);
      persons += graph.filter((b) => b.label === 'person' && b.score >= 0.35).length;
      bottles += graph.filter((b) => b.label === 'bottle' && b.score >= 0.3).length;
    }
    expect(persons).toBeGreaterThanOrEqual(2);
    expect(bottles).toBeGreaterThanOrEqual(2);
  });
});

describeFootage('a detector asked for some object labels, on the real footage', [BOTTLE_CLIP], () => {
  it('reports persons and those labels only, as the detector for every label reports them', async () => {
    const every = await createDetector({ needs: { persons: true, pose: false, hands: false, objects: true, faces: false }, threads: 1 });
    try {
      const bottles = every.view({ persons: true, pose: false, hands: false, objects: true, labels: ['bottle'], faces: false });
      const knives = every.view({ persons: false, pose: false, hands: false, objects: true, labels: ['knife'], faces: false });
      let found = 0;
      for (const seconds of [3, 17, 33]) {
        const frame = await clipFrame(BOTTLE_CLIP, seconds);
        const all = (await every.detect(frame)).items.filter((d) => d.kind === 'person' || d.label === 'bottle');
        const some = (await bottles.detect(frame)).items;
        expect(some, `${seconds} s`).toEqual(all);
        found += some.filter((d) => d.label === 'bottle').length;
        // Knives alone: not the bottles, nor the persons nobody asked for.
        expect((await knives.detect(frame)).items.map((d) => d.label), `${seconds} s`).toEqual((await every.detect(frame)).items.filter((d) => d.label === 'knife').map((d) => d.label));
      }
      expect(found).toBeGreaterThanOrEqual(3);
    } finally {
      await every.close();
    }
  });
});
