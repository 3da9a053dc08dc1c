// Motion from cheap pixels: the tiny gray picture is the block means of the frame's luma, its blur the plain 3x3 mean,
// and the detector of what moved finds a moving block where it is, ignores a change of the whole picture and masks.
import { describe, expect, it } from 'vitest';
import type { Frame } from '../../services/core/contracts.ts';
import { blur, MotionDetector, shrinkGray, shrinkPlan } from '../../services/frames/motion.ts';

/** A frame of `width` x `height` whose pixel (x, y) has the colour `at(x, y)`. */
function frameOf(width: number, height: number, at: (x: number, y: number) => [number, number, number], tMs = 0): Frame {
  const rgb = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) rgb.set(at(x, y), (y * width + x) * 3);
  }
  return { cameraId: 'cam', index: Math.round(tMs / 200), tMs, width, height, rgb };
}

/** Deterministic noise in 0..255. */
function noise(x: number, y: number, c: number): number {
  return Math.abs(Math.imul(x * 73856093 ^ y * 19349663 ^ c * 83492791, 2654435761)) % 256;
}

/** Block means the slow way: each pixel finds its block (the same partition as shrinkGray's) and adds its luma there. */
function referenceShrink(f: Frame, w: number, h: number): Float64Array {
  const sums = new Float64Array(w * h);
  const counts = new Float64Array(w * h);
  for (let y = 0; y < f.height; y++) {
    const by = Math.min(h - 1, Math.floor((y * h) / f.height));
    for (let x = 0; x < f.width; x++) {
      let bx = 0;
      while (Math.min(f.width, Math.ceil(((bx + 1) * f.width) / w)) <= x) bx++;
      const i = (y * f.width + x) * 3;
      const k = by * w + bx;
      sums[k] = (sums[k] ?? 0) + 0.299 * (f.rgb[i] ?? 0) + 0.587 * (f.rgb[i + 1] ?? 0) + 0.114 * (f.rgb[i + 2] ?? 0);
      counts[k] = (counts[k] ?? 0) + 1;
    }
  }
  return sums.map((s, k) => s / (counts[k] ?? 1));
}

describe('the gray picture motion is computed on', () => {
  it('holds the mean luma of each block, for sizes that divide the frame and sizes that do not', () => {
    for (const [width, height, w, h] of [[64, 36, 16, 9], [97, 53, 31, 17], [40, 30, 40, 30], [50, 20, 7, 3]] as const) {
      const f = frameOf(width, height, (x, y) => [noise(x, y, 0), noise(x, y, 1), noise(x, y, 2)]);
      const got = shrinkGray(f, shrinkPlan(width, height, w, h));
      const want = referenceShrink(f, w, h);
      expect(got.length).toBe(w * h);
      for (let k = 0; k < want.length; k++) expect(got[k]).toBeCloseTo(want[k] ?? NaN, 3);
    }
  });

  it('gives a flat colour its own luma in every block', () => {
    const got = shrinkGray(frameOf(33, 21, () => [200, 100, 50]), shrinkPlan(33, 21, 10, 7));
    for (const v of got) expect(v).toBeCloseTo(0.299 * 200 + 0.587 * 100 + 0.114 * 50, 4);
  });

  it('refuses a plan made for frames of another size', () => {
    expect(() => shrinkGray(frameOf(40, 30, () => [0, 0, 0]), shrinkPlan(40, 20, 10, 5))).toThrow(/40x30 frame with a plan for 40x20/);
  });

  it('blurs with the mean of each pixel and the neighbours it has', () => {
    const [w, h] = [13, 7];
    const src = Float32Array.from({ length: w * h }, (_, k) => noise(k % w, Math.floor(k / w), 3) + 0.37);
    const want = new Float32Array(w * h);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        let sum = 0;
        let n = 0;
        for (let yy = Math.max(0, y - 1); yy <= Math.min(h - 1, y + 1); yy++) {
          for (let xx = Math.max(0, x - 1); xx <= Math.min(w - 1, x + 1); xx++) {
            sum += src[yy * w + xx] ?? NaN;
            n++;
          }
        }
        want[y * w + x] = sum / n;
      }
    }
    expect(blur(src, w, h)).toEqual(want);
  });
});

describe('the motion detector', () => {
  const [W, H] = [320, 180];
  const scene = (t: number, square?: { x: number; y: number }, light = 0): Frame =>
    frameOf(W, H, (x, y) => {
      if (square && x >= square.x && x < square.x + 40 && y >= square.y && y < square.y + 40) return [250, 250, 250];
      const v = Math.min(255, 40 + ((x >> 4) + (y >> 4)) % 3 * 20 + light);
      return [v, v, v];
    }, t);

  it('finds a square that appears where it appears, and nothing in a still scene', () => {
    const m = new MotionDetector({ height: 90 });
    expect(m.update(scene(0)).boxes).toEqual([]);
    expect(m.update(scene(200)).boxes).toEqual([]);
    const r = m.update(scene(400, { x: 200, y: 60 }));
    expect(r.reset).toBe(false);
    expect(r.boxes).toHaveLength(1);
    const [x, y, w, h] = r.boxes[0] ?? [0, 0, 0, 0];
    // The square spans 200-240 x 60-100 of 320 x 180; the box holds it, grown by the blur and the dilation only.
    expect(x).toBeLessThanOrEqual(200 / W);
    expect(y).toBeLessThanOrEqual(60 / H);
    expect(x + w).toBeGreaterThanOrEqual(240 / W);
    expect(y + h).toBeGreaterThanOrEqual(100 / H);
    expect(w).toBeLessThan(60 / W);
    expect(h).toBeLessThan(80 / H);
  });

  it('takes a change of the whole picture (the lights) as a new background, not as motion', () => {
    const m = new MotionDetector({ height: 90 });
    m.update(scene(0));
    const lit = m.update(scene(200, undefined, 120));
    expect(lit).toMatchObject({ boxes: [], reset: true });
    expect(lit.fraction).toBeGreaterThan(0.5);
    expect(m.update(scene(400, undefined, 120)).boxes).toEqual([]);
  });

  it('starts again on a frame of another size, and reuses nothing of the old one', () => {
    const m = new MotionDetector({ height: 90 });
    m.update(scene(0));
    m.update(scene(200, { x: 200, y: 60 }));
    // 128 x 72 is shrunk to 128 x 72, not 160 x 90: the buffers and the background are new.
    const small = (t: number, x?: number): Frame => frameOf(128, 72, (px, py) => (x !== undefined && px >= x && px < x + 16 && py >= 24 && py < 40 ? [250, 250, 250] : [60, 60, 60]), t);
    expect(m.update(small(400))).toEqual({ boxes: [], fraction: 0, reset: false });
    expect(m.update(small(600)).boxes).toEqual([]);
    const moved = m.update(small(800, 80)).boxes;
    expect(moved).toHaveLength(1);
    expect(moved[0]?.[0]).toBeLessThanOrEqual(80 / 128);
    expect((moved[0]?.[0] ?? 0) + (moved[0]?.[2] ?? 0)).toBeGreaterThanOrEqual(96 / 128);
  });

  it('keeps the background across frames of another size that shrink to the same picture, each shrunk by its own blocks', () => {
    const m = new MotionDetector({ height: 90 });
    m.update(scene(0));
    // 160 x 90 shrinks to the same 160 x 90 picture as 320 x 180: the same scene, half the size, does not move.
    const half = (t: number, square?: { x: number; y: number }): Frame => {
      const big = scene(t, square);
      return frameOf(160, 90, (x, y) => {
        const i = (2 * y * W + 2 * x) * 3;
        return [big.rgb[i] ?? 0, big.rgb[i + 1] ?? 0, big.rgb[i + 2] ?? 0];
      }, t);
    };
    expect(m.update(half(200))).toMatchObject({ boxes: [], reset: false });
    expect(m.update(half(400, { x: 200, y: 60 })).boxes).toHaveLength(1);
  });

  it('uses the decoder\'s gray picture (Frame.gray) when it is the size motion works at, and shrinks the frame otherwise', () => {
    // The frames' pixels never change; only their gray picture shows the square: motion must read the gray one.
    const still = scene(0);
    const grayOf = (f: Frame, w: number, h: number): Uint8Array => Uint8Array.from(shrinkGray(f, shrinkPlan(W, H, w, h)), (v) => Math.round(v));
    const withGray = (t: number, square?: { x: number; y: number }): Frame => ({ ...still, tMs: t, gray: { width: 160, height: 90, data: grayOf(scene(t, square), 160, 90) } });
    const m = new MotionDetector({ height: 90 });
    expect(m.height).toBe(90);
    m.update(withGray(0));
    expect(m.update(withGray(200)).boxes).toEqual([]);
    const seen = m.update(withGray(400, { x: 200, y: 60 })).boxes;
    expect(seen).toHaveLength(1);
    // Where the square is: 200-240 x 60-100 of 320 x 180.
    expect(seen[0]?.[0]).toBeLessThanOrEqual(200 / W);
    expect((seen[0]?.[0] ?? 0) + (seen[0]?.[2] ?? 0)).toBeGreaterThanOrEqual(240 / W);
    // A gray picture of another size is not what motion works at: the frame itself (still) is shrunk, and nothing moved.
    const other = new MotionDetector({ height: 90 });
    const wrongSize = (t: number, square?: { x: number; y: number }): Frame => ({ ...still, tMs: t, gray: { width: 80, height: 45, data: grayOf(scene(t, square), 80, 45) } });
    other.update(wrongSize(0));
    expect(other.update(wrongSize(200, { x: 200, y: 60 })).boxes).toEqual([]);
  });

  it('never sees motion inside a mask', () => {
    const masked = new MotionDetector({ height: 90, masks: [[[0.5, 0.2], [0.9, 0.2], [0.9, 0.7], [0.5, 0.7]]] });
    const open = new MotionDetector({ height: 90 });
    for (const m of [masked, open]) m.update(scene(0));
    expect(masked.update(scene(200, { x: 200, y: 60 })).boxes).toEqual([]);
    expect(open.update(scene(200, { x: 200, y: 60 })).boxes).toHaveLength(1);
  });
});
