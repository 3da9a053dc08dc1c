// Motion from cheap pixels: the decoded frame shrunk to a tiny grayscale picture (about 100 px high), blurred,
// compared with a running-average background, thresholded and dilated into motion boxes. Masked areas never move;
// a change of most of the picture at once (lights, auto-exposure) is not motion: the background starts again.
import type { Box, Frame, Polygon } from '../core/contracts.ts';
import { graySize } from '../ingester/clip-frame-source.ts';
import { pointInPolygon } from '../rules/observe.ts';

/** Height of the tiny grayscale picture motion is computed on, by default: a decoder asked for it makes it (Frame.gray). */
export const MOTION_HEIGHT = 100;

export interface MotionOptions {
  /** Height of the grayscale picture motion is computed on. Default 100 (MOTION_HEIGHT). */
  height?: number;
  /** Least difference from the background (0..255) for a pixel to move. Default 25. */
  threshold?: number;
  /** Least connected moving pixels (in the tiny picture) for a motion box. Default 8. */
  minArea?: number;
  /** More than this fraction of the unmasked picture moving at once is a global change, not motion. Default 0.5. */
  globalFraction?: number;
  /** Time constant of the running-average background, ms: a still change is absorbed in a few of these. Default 3000. */
  backgroundMs?: number;
  /** Areas that always move (a clock, a screen, a window onto the street), normalised polygons. */
  masks?: readonly Polygon[];
}

export interface MotionResult {
  /** Normalised boxes around what moved (empty when nothing did, or on a global change). */
  boxes: Box[];
  /** Fraction of the unmasked picture that moved. */
  fraction: number;
  /** Most of the picture changed at once: ignored as motion, the background was reset to this frame. */
  reset: boolean;
}

/**
 * How a `width` x `height` frame is shrunk to `w` x `h` (`w` <= width, `h` <= height): where each block of a row ends,
 * and how many pixels each block holds. The same for every frame of that size, so made once.
 */
export interface ShrinkPlan {
  width: number;
  height: number;
  w: number;
  h: number;
  /** The column after each block (block bx covers columns ends[bx - 1]..ends[bx] - 1). */
  ends: Int32Array;
  /** Pixels in each block. */
  counts: Uint32Array;
}

export function shrinkPlan(width: number, height: number, w: number, h: number): ShrinkPlan {
  const ends = new Int32Array(w);
  for (let bx = 0; bx < w; bx++) ends[bx] = Math.min(width, Math.ceil(((bx + 1) * width) / w));
  const counts = new Uint32Array(w * h);
  for (let y = 0; y < height; y++) {
    const row = Math.min(h - 1, Math.floor((y * h) / height)) * w;
    for (let bx = 0; bx < w; bx++) counts[row + bx] = (counts[row + bx] as number) + (ends[bx] as number) - (bx === 0 ? 0 : (ends[bx - 1] as number));
  }
  return { width, height, w, h, ends, counts };
}

/**
 * Gray levels of `frame` averaged over the blocks of `plan` (made for the frame's size), into `out` (`w * h` long,
 * overwritten: a detector passes the same one for every frame).
 */
export function shrinkGray(frame: Pick<Frame, 'width' | 'height' | 'rgb'>, plan: ShrinkPlan, out: Float32Array = new Float32Array(plan.w * plan.h)): Float32Array {
  const { width, height, rgb } = frame;
  const { w, h, ends, counts } = plan;
  if (width !== plan.width || height !== plan.height) throw new Error(`shrinkGray: a ${width}x${height} frame with a plan for ${plan.width}x${plan.height}`);
  out.fill(0);
  for (let y = 0; y < height; y++) {
    const row = Math.min(h - 1, Math.floor((y * h) / height)) * w;
    let i = y * width * 3;
    let x = 0;
    // A row's pixels are summed block by block in locals, written once per block.
    for (let bx = 0; bx < w; bx++) {
      const end = ends[bx] as number;
      let r = 0;
      let g = 0;
      let b = 0;
      for (; x < end; x++, i += 3) {
        r += rgb[i] as number;
        g += rgb[i + 1] as number;
        b += rgb[i + 2] as number;
      }
      out[row + bx] = (out[row + bx] as number) + 0.299 * r + 0.587 * g + 0.114 * b;
    }
  }
  for (let k = 0; k < out.length; k++) out[k] = (out[k] as number) / Math.max(1, counts[k] as number);
  return out;
}

/**
 * 3x3 box blur, edges clamped (a border pixel averages the neighbours it has): a row pass then a column pass, a third
 * of the time of nine reads per pixel. The sums are of at most nine gray levels, exact in doubles in any order, so the
 * result is the plain 3x3 mean to the bit.
 */
export function blur(src: Float32Array, w: number, h: number, out: Float32Array = new Float32Array(w * h), rows: Float64Array = new Float64Array(w * h)): Float32Array {
  for (let y = 0; y < h; y++) {
    const o = y * w;
    for (let x = 0; x < w; x++) {
      let s = src[o + x] as number;
      if (x > 0) s += src[o + x - 1] as number;
      if (x + 1 < w) s += src[o + x + 1] as number;
      rows[o + x] = s;
    }
  }
  for (let y = 0; y < h; y++) {
    const o = y * w;
    const ny = 1 + (y > 0 ? 1 : 0) + (y + 1 < h ? 1 : 0);
    for (let x = 0; x < w; x++) {
      let s = rows[o + x] as number;
      if (y > 0) s += rows[o - w + x] as number;
      if (y + 1 < h) s += rows[o + w + x] as number;
      const nx = 1 + (x > 0 ? 1 : 0) + (x + 1 < w ? 1 : 0);
      out[o + x] = s / (nx * ny);
    }
  }
  return out;
}

/**
 * Sets `moving` to 1 where the gray level is more than `threshold` away from the background (0 elsewhere and where
 * masked) and returns how many moved. The per-pixel loops are functions of their own: they stay optimised, whatever
 * the rarer paths of `update` do to its code.
 */
function markMoving(gray: Float32Array, bg: Float32Array, masked: Uint8Array, threshold: number, moving: Uint8Array): number {
  let count = 0;
  for (let k = 0; k < moving.length; k++) {
    const m = masked[k] !== 1 && Math.abs((gray[k] as number) - (bg[k] as number)) > threshold ? 1 : 0;
    moving[k] = m;
    count += m;
  }
  return count;
}

/** The running-average background moved `alpha` of the way to this frame. */
function blend(bg: Float32Array, gray: Float32Array, alpha: number): void {
  for (let k = 0; k < bg.length; k++) bg[k] = (bg[k] as number) + alpha * ((gray[k] as number) - (bg[k] as number));
}

/** One picture size's buffers, reused from frame to frame (a frame used to leave a quarter of a megabyte behind). */
function buffersFor(n: number) {
  return {
    sums: new Float32Array(n), rows: new Float64Array(n), gray: new Float32Array(n), background: new Float32Array(n),
    moving: new Uint8Array(n), dilated: new Uint8Array(n), seen: new Uint8Array(n),
    /** Pixels waiting in the flood fill of `boxes`: each enters once. */
    stack: new Int32Array(n),
  };
}

type Buffers = ReturnType<typeof buffersFor>;

export class MotionDetector {
  private readonly heightOpt: number;
  private readonly threshold: number;
  private readonly minArea: number;
  private readonly globalFraction: number;
  private readonly backgroundMs: number;
  private readonly masks: readonly Polygon[];
  private w = 0;
  private h = 0;
  private masked: Uint8Array = new Uint8Array(0);
  private unmasked = 0;
  private buf: Buffers = buffersFor(0);
  private plan: ShrinkPlan | undefined;
  private hasBackground = false;
  private lastMs: number | undefined;
  /** Frames whose gray picture came from the decoder (Frame.gray), not shrunk here. */
  fromDecoder = 0;

  constructor(options: MotionOptions = {}) {
    this.heightOpt = options.height ?? MOTION_HEIGHT;
    this.threshold = options.threshold ?? 25;
    this.minArea = options.minArea ?? 8;
    this.globalFraction = options.globalFraction ?? 0.5;
    this.backgroundMs = options.backgroundMs ?? 3000;
    this.masks = options.masks ?? [];
  }

  /** Height of the grayscale picture motion works at: a decoder asked for Frame.gray of this height saves the shrinking. */
  get height(): number {
    return this.heightOpt;
  }

  /** Forget the background (a new segment, a camera that came back). */
  reset(): void {
    this.hasBackground = false;
    this.lastMs = undefined;
  }

  private shape(frame: Frame): void {
    const { width: w, height: h } = graySize(frame, this.heightOpt);
    if (w === this.w && h === this.h) return;
    this.w = w;
    this.h = h;
    this.hasBackground = false;
    this.buf = buffersFor(w * h);
    this.masked = new Uint8Array(w * h);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const p = [(x + 0.5) / w, (y + 0.5) / h] as const;
        if (this.masks.some((m) => pointInPolygon(p, m))) this.masked[y * w + x] = 1;
      }
    }
    // Widened by two pixels: the shrinking and the blur spread a masked area's changes into its neighbours.
    for (let pass = 0; pass < 2; pass++) {
      const grown = Uint8Array.from(this.masked);
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          if (this.masked[y * w + x] !== 1) continue;
          for (const [dx, dy] of [[1, 0], [-1, 0], [0, 1], [0, -1], [1, 1], [-1, -1], [1, -1], [-1, 1]] as const) {
            const xx = x + dx;
            const yy = y + dy;
            if (xx >= 0 && yy >= 0 && xx < w && yy < h) grown[yy * w + xx] = 1;
          }
        }
      }
      this.masked = grown;
    }
    this.unmasked = this.masked.reduce((n, m) => n + (m === 1 ? 0 : 1), 0);
  }

  /** Motion in `frame` against the frames before it (time order). The first frame only sets the background. */
  update(frame: Frame): MotionResult {
    this.shape(frame);
    const { w, h, buf } = this;
    const gray = blur(this.small(frame), w, h, buf.gray, buf.rows);
    const bg = buf.background;
    const dt = this.lastMs === undefined ? 0 : Math.max(0, frame.tMs - this.lastMs);
    this.lastMs = frame.tMs;
    if (!this.hasBackground) {
      bg.set(gray);
      this.hasBackground = true;
      return { boxes: [], fraction: 0, reset: false };
    }
    const count = markMoving(gray, bg, this.masked, this.threshold, buf.moving);
    const fraction = this.unmasked === 0 ? 0 : count / this.unmasked;
    if (fraction > this.globalFraction) {
      bg.set(gray);
      return { boxes: [], fraction, reset: true };
    }
    blend(bg, gray, Math.min(0.5, dt / this.backgroundMs));
    return { boxes: count === 0 ? [] : this.boxes(this.dilate(buf.moving)), fraction, reset: false };
  }

  /**
   * The frame as the tiny grayscale picture: the decoder's (Frame.gray) when it made one of this size, else shrunk here.
   * The two differ by about 2.5 gray levels on average (ffmpeg's area scaling weighs the pixels at a block's edge by
   * how much of them it covers), far below the threshold. A clip's frames all have it or all lack it (but for a last
   * frame ffmpeg did not finish): the background is made of the same kind as the frames compared with it.
   */
  private small(frame: Frame): Float32Array {
    const { w, h, buf } = this;
    const given = frame.gray;
    if (given !== undefined && given.width === w && given.height === h && given.data.length === w * h) {
      this.fromDecoder += 1;
      const out = buf.sums;
      for (let i = 0; i < out.length; i++) out[i] = given.data[i] as number;
      return out;
    }
    // Frames of another size may shrink to the same picture (the background is kept): the plan follows the frame.
    let plan = this.plan;
    if (plan?.width !== frame.width || plan.height !== frame.height || plan.w !== w || plan.h !== h) plan = this.plan = shrinkPlan(frame.width, frame.height, w, h);
    return shrinkGray(frame, plan, buf.sums);
  }

  private dilate(src: Uint8Array): Uint8Array {
    const { w, h } = this;
    const out = this.buf.dilated;
    out.fill(0);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        if (src[y * w + x] !== 1) continue;
        for (let dy = -1; dy <= 1; dy++) {
          const yy = y + dy;
          if (yy < 0 || yy >= h) continue;
          for (let dx = -1; dx <= 1; dx++) {
            const xx = x + dx;
            if (xx >= 0 && xx < w && this.masked[yy * w + xx] !== 1) out[yy * w + xx] = 1;
          }
        }
      }
    }
    return out;
  }

  /** Bounding boxes of the 8-connected moving areas of at least `minArea` pixels. */
  private boxes(grid: Uint8Array): Box[] {
    const { w, h } = this;
    const { seen, stack } = this.buf;
    seen.fill(0);
    const boxes: Box[] = [];
    let top = 0;
    for (let start = 0; start < grid.length; start++) {
      if (grid[start] !== 1 || seen[start] === 1) continue;
      let x0 = w;
      let y0 = h;
      let x1 = -1;
      let y1 = -1;
      let area = 0;
      stack[top++] = start;
      seen[start] = 1;
      while (top > 0) {
        const k = stack[--top] as number;
        const x = k % w;
        const y = (k - x) / w;
        area++;
        x0 = Math.min(x0, x);
        y0 = Math.min(y0, y);
        x1 = Math.max(x1, x);
        y1 = Math.max(y1, y);
        for (let dy = -1; dy <= 1; dy++) {
          for (let dx = -1; dx <= 1; dx++) {
            const xx = x + dx;
            const yy = y + dy;
            if (xx < 0 || yy < 0 || xx >= w || yy >= h) continue;
            const n = yy * w + xx;
            if (grid[n] === 1 && seen[n] !== 1) {
              seen[n] = 1;
              stack[top++] = n;
            }
          }
        }
      }
      if (area >= this.minArea) boxes.push([x0 / w, y0 / h, (x1 + 1 - x0) / w, (y1 + 1 - y0) / h]);
    }
    return boxes;
  }
}
