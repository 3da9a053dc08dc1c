// MoveNet Lightning: 17 pose keypoints for one person, run on a square crop around each detected person.
import * as tf from '@tensorflow/tfjs-core';
import type { Box, Keypoint } from '../../core/contracts.ts';
import { fromCrop, squareCrop } from '../geometry.ts';
import { loadGraph, type LoadedGraph } from './graph.ts';

/** Margin around the person box: MoveNet was trained on people with some space around them. */
const CROP_SCALE = 1.2;

export class MoveNet {
  private constructor(private readonly loaded: LoadedGraph) {}

  static async load(): Promise<MoveNet> {
    return new MoveNet(await loadGraph('movenet-lightning'));
  }

  defaultMinScore(kind: 'hand'): number {
    return this.loaded.manifest.defaultMinScore[kind] ?? 0.3;
  }

  /** All 17 keypoints of the person in `person`, each with its score, in image coordinates. */
  async keypoints(image: tf.Tensor4D, person: Box): Promise<Keypoint[]> {
    const [, height, width] = image.shape;
    const { width: inW, height: inH } = this.loaded.manifest.input;
    const crop = squareCrop(person, width, height, CROP_SCALE);
    const out = tf.tidy(() => {
      const pixels = tf.image.cropAndResize(image, [crop], [0], [inH, inW]);
      return this.loaded.graph.execute(tf.cast(pixels, 'int32')) as tf.Tensor;
    });
    let values: Float32Array;
    try {
      values = (await out.data()) as Float32Array;
    } finally {
      out.dispose();
    }
    return this.loaded.manifest.labels.map((part, i) => ({
      part,
      point: fromCrop(crop, values[i * 3 + 1] ?? 0, values[i * 3] ?? 0),
      score: values[i * 3 + 2] ?? 0,
    }));
  }

  dispose(): void {
    this.loaded.graph.dispose();
  }
}
