// BlazeFace (back-camera model): face boxes, for blurring only; its landmarks are dropped, nothing identifies anyone.
import * as tf from '@tensorflow/tfjs-core';
import { clipBox, suppress, type Scored } from '../geometry.ts';
import { loadGraph, type LoadedGraph } from './graph.ts';

/** Anchor layout of the back-camera model: strides 16 and 32 with 2 and 6 anchors per cell. */
const ANCHOR_LAYERS = [
  { stride: 16, perCell: 2 },
  { stride: 32, perCell: 6 },
] as const;
/** Each anchor row: box (dx, dy, w, h) then 6 landmarks (x, y). */
const ROW = 16;
const SAME_FACE_IOU = 0.3;

function anchorCentres(size: number): Float32Array {
  const centres: number[] = [];
  for (const { stride, perCell } of ANCHOR_LAYERS) {
    const cells = Math.ceil(size / stride);
    for (let y = 0; y < cells; y++) {
      for (let x = 0; x < cells; x++) {
        for (let k = 0; k < perCell; k++) centres.push((x + 0.5) * stride, (y + 0.5) * stride);
      }
    }
  }
  return Float32Array.from(centres);
}

export class BlazeFace {
  private readonly anchors: Float32Array;

  private constructor(private readonly loaded: LoadedGraph) {
    this.anchors = anchorCentres(loaded.manifest.input.width);
  }

  static async load(): Promise<BlazeFace> {
    return new BlazeFace(await loadGraph('blazeface'));
  }

  defaultMinScore(): number {
    return this.loaded.manifest.defaultMinScore.face ?? 0.3;
  }

  /** Face boxes scoring at least `minScore`; the frame is letterboxed so that faces keep their shape. */
  async detect(image: tf.Tensor4D, minScore: number): Promise<Scored[]> {
    const [, height, width] = image.shape;
    const side = this.loaded.manifest.input.width;
    const scale = side / Math.max(width, height);
    const w = Math.max(1, Math.round(width * scale));
    const h = Math.max(1, Math.round(height * scale));
    const outs = tf.tidy(() => {
      const resized = tf.image.resizeBilinear(image, [h, w]);
      // This scaling (not -1..1) is what the converted graph scores best with: 4 of 4 masked faces against 3.
      const scaled = tf.sub(tf.div(resized, 127.5), 0.5);
      const padded = tf.pad(scaled, [[0, 0], [0, side - h], [0, side - w], [0, 0]], -0.5);
      return this.loaded.graph.execute(padded) as tf.Tensor[];
    });
    let parts: Float32Array[];
    try {
      // Outputs come unnamed in no fixed order; their sizes tell them apart (384 < 512 < 384*16 < 512*16).
      const sorted = [...outs].sort((a, b) => a.size - b.size);
      parts = (await Promise.all(sorted.map((t) => t.data()))) as Float32Array[];
    } finally {
      tf.dispose(outs);
    }
    const [logits384, logits512, rows384, rows512] = parts as [Float32Array, Float32Array, Float32Array, Float32Array];
    const logits = [logits512, logits384];
    const rows = [rows512, rows384];
    const minLogit = Math.log(minScore / (1 - minScore));
    const faces: Scored[] = [];
    let anchor = 0;
    for (let layer = 0; layer < 2; layer++) {
      const l = logits[layer] as Float32Array;
      const r = rows[layer] as Float32Array;
      for (let i = 0; i < l.length; i++, anchor++) {
        const logit = l[i] ?? -Infinity;
        if (logit < minLogit) continue;
        const cx = (this.anchors[anchor * 2] ?? 0) + (r[i * ROW] ?? 0);
        const cy = (this.anchors[anchor * 2 + 1] ?? 0) + (r[i * ROW + 1] ?? 0);
        const bw = r[i * ROW + 2] ?? 0;
        const bh = r[i * ROW + 3] ?? 0;
        const box = clipBox([(cx - bw / 2) / w, (cy - bh / 2) / h, bw / w, bh / h]);
        if (box) faces.push({ box, score: 1 / (1 + Math.exp(-logit)) });
      }
    }
    return suppress(faces, SAME_FACE_IOU);
  }

  dispose(): void {
    this.loaded.graph.dispose();
  }
}
