// CenterNet (MobileNet-v3, 80 COCO labels): persons and objects with boxes, from one pass at the picture's aspect (512 px long side).
import * as tf from '@tensorflow/tfjs-core';
import type { Box } from '../../core/contracts.ts';
import { clipBox, suppress } from '../geometry.ts';
import { freeImageSize, graphInputs, inputSize, ownSide, sideWithin, type InputFit } from './centernet-input.ts';
import { InputError } from '../../core/errors.ts';
import { loadGraph, type LoadedGraph } from './graph.ts';

export type { InputFit } from './centernet-input.ts';

export interface LabelledBox {
  label: string;
  score: number;
  box: Box;
}

const OUTPUT = 'tower_0/detections';
/**
 * Where the head's class layer starts: the features its 1x1 convolution turns into 80 class heatmaps, and the box sizes.
 * Asked for some labels only (persons), the graph runs up to these and the class layer runs here for those labels: the
 * 80-channel convolution, peak suppression and top-k at stride 4 are a seventh to a fifth of a call (BENCHMARKS.md).
 */
const CLASS_FEATURES = 'tower_0/CenternetHead/centernet_cls_output/separable_conv2d/depthwise';
const BOX_SIZES = 'tower_0/wh';
const CLASS_WEIGHTS = 'CenternetHead/centernet_cls_output/pointwise_weights';
const CLASS_BIASES = 'CenternetHead/centernet_cls_output/biases';

/** The graph's own decoder constants, read from it so that the class layer run here decodes exactly as it does. */
interface Decoder {
  /** Peaks kept (TopKV2's k). */
  peaks: number;
  /** Heatmap cell size in input pixels (the box centre is the cell index times this). */
  stride: number;
  weights: tf.Tensor4D;
  biases: tf.Tensor1D;
}

function decoderOf(graph: LoadedGraph['graph'], labels: number): Decoder {
  const value = (name: string): number[] => Array.from(graph.weights[name]?.[0]?.dataSync() ?? []);
  const [peaks] = value('tower_0/TopKV2/k');
  const [stride] = value('tower_0/mul_3/y');
  const strides = [3, 4, 5, 6].map((i) => value(`tower_0/mul_${i}/y`)[0]);
  // x1 = x*s - wh[0], y1 = y*s - wh[1], x2 = x*s + wh[2], y2 = y*s + wh[3]: the slices take channels 0..3 in order.
  const slices = [9, 10, 11, 12].map((i, c) => [value(`tower_0/strided_slice_${i}/stack`), value(`tower_0/strided_slice_${i}/stack_1`)].join('|') === [[0, 0, c], [0, 0, c + 1]].join('|'));
  const weights = graph.weights[CLASS_WEIGHTS]?.[0];
  const biases = graph.weights[CLASS_BIASES]?.[0];
  if (peaks === undefined || stride === undefined || strides.some((s) => s !== stride) || slices.includes(false) ||
    weights?.shape.length !== 4 || weights.shape[3] !== labels || biases?.shape[0] !== labels || value('tower_0/strided_slice_7')[0] !== labels) {
    throw new InputError('centernet: not the graph this code was written for (its class layer and box decoder)');
  }
  return { peaks, stride, weights: weights as tf.Tensor4D, biases: biases as tf.Tensor1D };
}

/** Grey padding: a black border lowers the scores of people near it. */
const PAD_VALUE = 128;
/** The graph already keeps one box per peak; this removes the near-duplicates it still returns per label. */
const SAME_OBJECT_IOU = 0.5;

export class CenterNet {
  /** The class layer's weights for one set of labels (graph label indices), kept while the model is loaded. */
  private readonly layers = new Map<string, { classes: number[]; weights: tf.Tensor4D; biases: tf.Tensor1D }>();

  private constructor(
    private readonly loaded: LoadedGraph,
    private readonly decoder: Decoder,
  ) {}

  static async load(): Promise<CenterNet> {
    const loaded = await loadGraph('centernet', (artifacts, manifest) => freeImageSize(artifacts, manifest.input.width));
    try {
      return new CenterNet(loaded, decoderOf(loaded.graph, loaded.manifest.labels.length));
    } catch (e) {
      loaded.graph.dispose();
      throw e;
    }
  }

  /** The labels of these that the model knows (a name it does not know is never found). */
  known(labels: readonly string[]): string[] {
    return labels.filter((l) => this.loaded.manifest.labels.includes(l));
  }

  defaultMinScore(kind: 'person' | 'object'): number {
    return this.loaded.manifest.defaultMinScore[kind] ?? 0.3;
  }

  /**
   * Every box scoring at least `minScore`. The picture keeps its aspect ratio: squeezing a 16:9 frame into the square
   * input halves the person scores. The graph is fully convolutional, so it runs at the picture's own aspect (a 16:9
   * frame as 512x288) instead of padded to a square: ~40 % less CPU per call, the same persons and objects (BENCHMARKS.md).
   * `cropOf`: the image is a region crop of a frame this size; its input has at most the whole frame's input pixels.
   * Fit `own`: the picture at its own size, never scaled up (Frame.noUpscale). `labels`: boxes of these labels only
   * (default every label; none: nothing to find); the class layer then runs for them alone: the same boxes as the
   * whole graph gives for them, for a seventh to a fifth less CPU.
   */
  async detect(image: tf.Tensor4D, minScore: number, fit: InputFit = 'aspect', cropOf?: { width: number; height: number }, labels?: readonly string[]): Promise<LabelledBox[]> {
    if (labels?.length === 0) return [];
    const [, height, width] = image.shape;
    const full = this.loaded.manifest.input.width;
    // A region crop costs at most what its whole frame would: scaled up only as far as that budget allows.
    const side = fit === 'own' ? ownSide(width, height, full) : cropOf === undefined || fit !== 'aspect' ? full : sideWithin(width, height, cropOf, full);
    const { resized, input } = inputSize(width, height, side, fit);
    const [w, h] = [resized.width, resized.height];
    const layer = labels === undefined ? undefined : this.classLayer(labels);
    const padded = tf.tidy(() => tf.pad(tf.image.resizeBilinear(image, [h, w]), [[0, 0], [0, input.height - h], [0, input.width - w], [0, 0]], PAD_VALUE));
    let rows: Float32Array;
    try {
      rows = layer === undefined ? await this.detections(padded) : await this.detectionsOf(padded, layer);
    } finally {
      padded.dispose();
    }
    const byLabel = new Map<string, LabelledBox[]>();
    const names = this.loaded.manifest.labels;
    for (let i = 0; i + 5 < rows.length; i += 6) {
      const score = rows[i + 4] ?? 0;
      const label = names[Math.round(rows[i + 5] ?? -1)];
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

  /** The graph's own output: rows of [x1, y1, x2, y2, score, label index] in input pixels, every label. */
  private async detections(input: tf.Tensor4D): Promise<Float32Array> {
    const out = tf.tidy(() => this.loaded.graph.execute(graphInputs(input), OUTPUT) as tf.Tensor);
    try {
      return (await out.data()) as Float32Array;
    } finally {
      out.dispose();
    }
  }

  /**
   * The same rows for some labels only: the graph up to its class layer, then that layer for those labels and the
   * graph's decoder (3x3 peak suppression, the top peaks, boxes from the sizes at each peak) on their heatmaps.
   */
  private async detectionsOf(input: tf.Tensor4D, layer: { classes: number[]; weights: tf.Tensor4D; biases: tf.Tensor1D }): Promise<Float32Array> {
    const { peaks, stride } = this.decoder;
    const k = layer.classes.length;
    const [scores, indices, sizes] = tf.tidy(() => {
      const [features, wh] = this.loaded.graph.execute(graphInputs(input), [CLASS_FEATURES, BOX_SIZES]) as [tf.Tensor4D, tf.Tensor4D];
      const heat = tf.sigmoid(tf.fused.conv2d({ x: features, filter: layer.weights, bias: layer.biases, strides: 1, pad: 'valid' }));
      const kept = tf.mul(heat, tf.cast(tf.equal(heat, tf.maxPool(heat, 3, 1, 'same')), 'float32'));
      const top = tf.topk(tf.reshape(kept, [1, -1]), Math.min(peaks, kept.size));
      const cell = tf.floorDiv(tf.reshape(top.indices, [-1]), tf.scalar(k, 'int32'));
      return [top.values, top.indices, tf.gather(tf.reshape(wh, [-1, 4]), cell)];
    });
    try {
      const [v, i, s] = await Promise.all([scores.data(), indices.data(), sizes.data()]);
      const width = input.shape[2] / stride;
      const rows = new Float32Array(v.length * 6);
      for (let n = 0; n < v.length; n++) {
        const index = i[n] ?? 0;
        const cell = Math.floor(index / k);
        const [x, y] = [(cell % width) * stride, Math.floor(cell / width) * stride];
        rows.set([x - (s[n * 4] ?? 0), y - (s[n * 4 + 1] ?? 0), x + (s[n * 4 + 2] ?? 0), y + (s[n * 4 + 3] ?? 0), v[n] ?? 0, layer.classes[index % k] ?? -1], n * 6);
      }
      return rows;
    } finally {
      tf.dispose([scores, indices, sizes]);
    }
  }

  /** The class layer for `labels` (each must be one of the model's), made once per set of labels. */
  private classLayer(labels: readonly string[]): { classes: number[]; weights: tf.Tensor4D; biases: tf.Tensor1D } {
    const classes = [...new Set(labels)].map((l) => {
      const i = this.loaded.manifest.labels.indexOf(l);
      if (i < 0) throw new InputError(`centernet: no label "${l}" (it knows ${this.loaded.manifest.labels.length}, e.g. person, bottle, cell phone)`);
      return i;
    }).sort((a, b) => a - b);
    const key = classes.join(',');
    let layer = this.layers.get(key);
    if (layer === undefined) {
      // Fresh tensors from the picked values: the wasm backend keeps a gather's output under its inner shape, which
      // its fused convolution reads (a bias must be rank 1 there).
      const [w, b] = tf.tidy(() => {
        const picked = tf.tensor1d(classes, 'int32');
        return [tf.gather(this.decoder.weights, picked, 3).dataSync(), tf.gather(this.decoder.biases, picked).dataSync()];
      });
      layer = { classes, weights: tf.tensor4d(w, [1, 1, this.decoder.weights.shape[2], classes.length]), biases: tf.tensor1d(b) };
      this.layers.set(key, layer);
    }
    return layer;
  }

  dispose(): void {
    for (const l of this.layers.values()) tf.dispose([l.weights, l.biases]);
    this.layers.clear();
    this.loaded.graph.dispose();
  }
}
