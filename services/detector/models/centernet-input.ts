// CenterNet at any input size that is a multiple of 32: frees the graph's fixed 512x512 input and feeds the shapes it baked in.
import * as tf from '@tensorflow/tfjs-core';
import type { io } from '@tensorflow/tfjs-core';
import { InputError } from '../../core/errors.ts';

export const IMAGE_INPUT = 'tower_0/images';

/** The backbone halves the picture five times and the head upsamples back by 2 three times: sides must divide by 32. */
export const SIDE_STEP = 32;
/** Least grey margin beyond the short side of the picture, input pixels (a 16:9 frame becomes 512x320, 11 % more than 512x288). */
export const EDGE_PAD = 16;

/**
 * How the picture is fitted into the model input. `aspect`: the longest side becomes the model's side, the other is
 * with at least 16 rows or columns of grey added, rounded up to a multiple of 32, so 16-47 rows or columns are padding. `square`: padded to a square, as the
 * graph was exported (a 16:9 frame is then 44 % padding); kept as the reference the aspect input is checked against.
 * `own`: as `aspect`, but a picture smaller than the model's side keeps its own size (its long side rounded up to a
 * multiple of 32), for pictures nobody sees larger (Frame.noUpscale).
 */
export type InputFit = 'aspect' | 'square' | 'own';

export interface InputSize {
  /** The picture resized, its aspect kept, in input pixels. */
  resized: { width: number; height: number };
  /** The model input: the resized picture plus grey on the right or bottom. */
  input: { width: number; height: number };
}

/** The long side for fit `own`: the picture's own, rounded up to a multiple of 32, at most the model's side. */
export function ownSide(width: number, height: number, side: number): number {
  return Math.min(side, Math.max(SIDE_STEP, Math.ceil(Math.max(width, height) / SIDE_STEP) * SIDE_STEP));
}

export function inputSize(width: number, height: number, side: number, fit: InputFit): InputSize {
  const scale = side / Math.max(width, height);
  const resized = { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
  if (fit === 'square') return { resized, input: { width: side, height: side } };
  // At least EDGE_PAD grey rows (columns) below (right of) the picture on its short side: a person cut by the frame's
  // bottom edge scored up to 0.24 lower when the frame ended right there (the square letterbox had 224 grey rows).
  const up = (n: number): number => Math.min(side, Math.max(SIDE_STEP, Math.ceil((n + EDGE_PAD) / SIDE_STEP) * SIDE_STEP));
  return { resized, input: { width: up(resized.width), height: up(resized.height) } };
}

/**
 * The long side (a multiple of 32, at most `side`) at which a crop of a `whole`-sized frame costs no more than the
 * whole frame: the largest whose input has no more pixels than the whole frame's input. A 352x360 crop of a 640x360
 * frame was scaled up to a 512x512 input (1.6x the whole frame's 512x320); within the budget it runs at 384x384, still
 * 1.3x the scale the whole frame gets. A crop as large as the frame gets the full side.
 */
export function sideWithin(width: number, height: number, whole: { width: number; height: number }, side: number): number {
  const area = (s: InputSize): number => s.input.width * s.input.height;
  const budget = area(inputSize(whole.width, whole.height, side, 'aspect'));
  for (let s = side; s > SIDE_STEP; s -= SIDE_STEP) if (area(inputSize(width, height, s, 'aspect')) <= budget) return s;
  return SIDE_STEP;
}

/**
 * The graph's Const nodes that hold a size of the 512x512 export, with their value for an input of `width` x `height`.
 * The three ResizeBilinear targets of the head (strides 16, 8, 4), the heatmap width that turns TopK's flat index into
 * x and y (`floordiv(i, 80) mod W`), and the [H*W, 4] reshape of the box sizes that the peaks are gathered from.
 * Everything else in the decoder ([1, -1] reshape, 100 peaks, the stride 4 of the boxes) does not depend on the size.
 */
export function sizeConstants(width: number, height: number): Record<string, { value: number[]; scalar: boolean }> {
  const [w4, h4] = [width / 4, height / 4];
  return {
    'tower_0/CenternetHead/c5_upsample/up_sampling2d/mul': { value: [height / 16, width / 16], scalar: false },
    'tower_0/CenternetHead/c4_upsample/up_sampling2d_1/mul': { value: [height / 8, width / 8], scalar: false },
    'tower_0/CenternetHead/c3_upsample/up_sampling2d_2/mul': { value: [h4, w4], scalar: false },
    'tower_0/strided_slice_6': { value: [w4], scalar: true },
    'tower_0/BatchGather/concat': { value: [h4 * w4, 4], scalar: false },
  };
}

/** The graph's inputs for one call: the image and the size constants, as int32 tensors the caller disposes. */
export function graphInputs(image: tf.Tensor4D): Record<string, tf.Tensor> {
  const [, height, width] = image.shape;
  if (height % SIDE_STEP !== 0 || width % SIDE_STEP !== 0) {
    throw new InputError(`centernet: input ${width}x${height} is not a multiple of ${SIDE_STEP} on both sides`);
  }
  const inputs: Record<string, tf.Tensor> = { [IMAGE_INPUT]: image };
  for (const [name, c] of Object.entries(sizeConstants(width, height))) {
    inputs[name] = c.scalar ? tf.scalar(c.value[0] ?? 0, 'int32') : tf.tensor1d(c.value, 'int32');
  }
  return inputs;
}

interface TopologyNode {
  name: string;
  op: string;
  attr?: { shape?: { shape?: { dim?: Array<{ size: string }> } } };
}

/**
 * Lets the image placeholder take any height and width (TF.js refuses a tensor that does not match its declared shape).
 * The manifest's sha256 already pins the graph; this check names what is missing should that pin ever be changed.
 */
export function freeImageSize(artifacts: io.ModelArtifacts, side: number): void {
  const topology = artifacts.modelTopology as { node?: TopologyNode[] } | undefined;
  const nodes = new Map((topology?.node ?? []).map((n) => [n.name, n]));
  const dims = nodes.get(IMAGE_INPUT)?.attr?.shape?.shape?.dim;
  const missing = Object.keys(sizeConstants(side, side)).filter((n) => nodes.get(n)?.op !== 'Const');
  if (dims?.length !== 4 || dims.some((d, i) => d.size !== String([1, side, side, 3][i])) || missing.length > 0) {
    throw new InputError(`centernet: not the graph this code was written for (image input [1,${side},${side},3] and its size constants ${missing.join(', ')})`);
  }
  dims[1] = { size: '-1' };
  dims[2] = { size: '-1' };
}
