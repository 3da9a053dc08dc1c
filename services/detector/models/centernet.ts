// CenterNet (MobileNet-v3, 80 COCO labels): persons and objects with boxes, from one pass at the picture's aspect (512 px long side).
import * as tf from '@tensorflow/tfjs-core';
import type { Box } from '../../core/contracts.ts';
import { clipBox, suppress } from '../geometry.ts';
import { freeImageSize, graphInputs, inputSize, ownSide, sideWithin, type InputFit } from './centernet-input.ts';
import { loadGraph, type LoadedGraph } from './graph.ts';

export type { InputFit } from './centernet-input.ts';

export interface LabelledBox {
  label: string;
  score: number;
  box: Box;
}

const OUTPUT = 'tower_0/detections';
/** Grey padding: a black border lowers the scores of people near it. */
const PAD_VALUE = 128;
/** The graph already keeps one box per peak; this removes the near-duplicates it still returns per label. */
const SAME_OBJECT_IOU = 0.5;

export class CenterNet {
  private constructor(private readonly loaded: LoadedGraph) {}

  static async load(): Promise<CenterNet> {
    return new CenterNet(await loadGraph('centernet', (artifacts, manifest) => freeImageSize(artifacts, manifest.input.width)));
  }

  defaultMinScore(kind: 'person' | 'object'): number {
    return this.loaded.manifest.defaultMinScore[kind] ?? 0.3;
  }

  /**
   * Every box scoring at least `minScore`. The picture keeps its aspect ratio: squeezing a 16:9 frame into the square
   * input halves the person scores. The graph is fully convolutional, so it runs at the picture's own aspect (a 16:9
   * frame as 512x288) instead of padded to a square: ~40 % less CPU per call, the same persons and objects (BENCHMARKS.md).
   * `cropOf`: the image is a region crop of a frame this size; its input has at most the whole frame's input pixels.
   * Fit `own`: the picture at its own size, never scaled up (Frame.noUpscale).
   */
  async detect(image: tf.Tensor4D, minScore: number, fit: InputFit = 'aspect', cropOf?: { width: number; height: number }): Promise<LabelledBox[]> {
    const [, height, width] = image.shape;
    const full = this.loaded.manifest.input.width;
    // A region crop costs at most what its whole frame would: scaled up only as far as that budget allows.
    const side = fit === 'own' ? ownSide(width, height, full) : cropOf === undefined || fit !== 'aspect' ? full : sideWithin(width, height, cropOf, full);
    const { resized, input } = inputSize(width, height, side, fit);
    const [w, h] = [resized.width, resized.height];
    const out = tf.tidy(() => {
      const scaled = tf.image.resizeBilinear(image, [h, w]);
      const padded = tf.pad(scaled, [[0, 0], [0, input.height - h], [0, input.width - w], [0, 0]], PAD_VALUE);
      return this.loaded.graph.execute(graphInputs(padded), OUTPUT) as tf.Tensor;
    });
    let rows: Float32Array;
    try {
      rows = (await out.data()) as Float32Array;
    } finally {
      out.dispose();
    }
    const byLabel = new Map<string, LabelledBox[]>();
    const labels = this.loaded.manifest.labels;
    for (let i = 0; i + 5 < rows.length; i += 6) {
      const score = rows[i + 4] ?? 0;
      const label = labels[Math.round(rows[i + 5] ?? -1)];
      if (score < minScore || label === undefined) continue;
      const [x1, y1, x2, y2] = [rows[i] ?? 0, rows[i + 1] ?? 0, rows[i + 2] ?? 0, rows[i + 3] ?? 0];
      const box = clipBox([x1 / w, y1 / h, (x2 - x1) / w, (y2 - y1) / h]);
      if (!box) continue;
      const list = byLabel.get(label) ?? [];
      list.push({ label, score, box });
      byLabel.set(label, list);
    }
    return [...byLabel.values()].flatMap((list) => suppress(list, SAME_OBJECT_IOU));
  }

  dispose(): void {
    this.loaded.graph.dispose();
  }
}
