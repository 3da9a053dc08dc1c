// CenterNet's input size per picture: the aspect kept, 512 on the long side, the short side padded up to a multiple of 32.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { inputSize, ownSide, sideWithin, sizeConstants } from '../../services/detector/models/centernet-input.ts';

describe('inputSize', () => {
  it('runs a 16:9 frame as 512x320 (a grey band under it, not a square), and squares only when asked', () => {
    expect(inputSize(768, 432, 512, 'aspect')).toEqual({ resized: { width: 512, height: 288 }, input: { width: 512, height: 320 } });
    expect(inputSize(640, 360, 512, 'aspect').input).toEqual({ width: 512, height: 320 });
    expect(inputSize(432, 768, 512, 'aspect').input).toEqual({ width: 320, height: 512 });
    expect(inputSize(640, 480, 512, 'aspect').input).toEqual({ width: 512, height: 416 });
    expect(inputSize(512, 512, 512, 'aspect').input).toEqual({ width: 512, height: 512 });
    expect(inputSize(768, 432, 512, 'square')).toEqual({ resized: { width: 512, height: 288 }, input: { width: 512, height: 512 } });
  });

  it('pads the short side of a crop of any aspect by 16 to 47 pixels (up to the model side), the long side not at all', () => {
    expect(inputSize(300, 200, 512, 'aspect')).toEqual({ resized: { width: 512, height: 341 }, input: { width: 512, height: 384 } });
    expect(inputSize(1000, 10, 512, 'aspect').input).toEqual({ width: 512, height: 32 });
    const side = fc.integer({ min: 1, max: 4000 });
    fc.assert(
      fc.property(side, side, (width, height) => {
        const { resized, input } = inputSize(width, height, 512, 'aspect');
        return (
          Math.max(resized.width, resized.height) === 512 &&
          [input.width, input.height].every((s) => s % 32 === 0 && s >= 32 && s <= 512) &&
          [[resized.width, input.width], [resized.height, input.height]].every(([r, i]) => {
            const pad = (i as number) - (r as number);
            // The long side (512) is never padded; the short one gets 16-47 grey pixels, or up to 512.
            return r === 512 ? pad === 0 : (pad >= 16 || i === 512) && pad < 48;
          })
        );
      }),
    );
  });
});

describe('sideWithin: a region crop costs no more than its whole frame', () => {
  const area = (w: number, h: number, side: number): number => {
    const { input } = inputSize(w, h, side, 'aspect');
    return input.width * input.height;
  };

  it('runs a 352x360 crop of a 640x360 frame at 384x384, not 512x512; a crop as large as the frame at 512', () => {
    expect(sideWithin(352, 360, { width: 640, height: 360 }, 512)).toBe(384);
    expect(inputSize(352, 360, 384, 'aspect').input).toEqual({ width: 384, height: 384 });
    expect(sideWithin(640, 360, { width: 640, height: 360 }, 512)).toBe(512);
    expect(sideWithin(1920, 1080, { width: 1920, height: 1080 }, 512)).toBe(512);
    // A wide strip of a 4:3 frame costs little even at the full side.
    expect(sideWithin(640, 200, { width: 640, height: 480 }, 512)).toBe(512);
  });

  it('never exceeds the whole frame\'s input pixels, takes the largest side that fits, and never gives a crop fewer pixels per object than the whole frame gets', () => {
    const size = fc.integer({ min: 16, max: 2000 });
    const share = fc.double({ min: 0.05, max: 1, noNaN: true });
    fc.assert(
      fc.property(size, size, share, share, (W, H, sx, sy) => {
        const w = Math.max(2, Math.round(W * sx));
        const h = Math.max(2, Math.round(H * sy));
        const s = sideWithin(w, h, { width: W, height: H }, 512);
        const budget = area(W, H, 512);
        const wholeScale = 512 / Math.max(W, H);
        return (
          s % 32 === 0 &&
          s <= 512 &&
          area(w, h, s) <= budget &&
          (s === 512 || area(w, h, s + 32) > budget) &&
          // At the whole frame's scale the crop fits the budget, so its side is at least that, less one 32 px step.
          s >= Math.max(w, h) * wholeScale - 32
        );
      }),
    );
  });
});

describe('ownSide: a picture nobody sees larger is not scaled up', () => {
  it('runs a 320x180 thumbnail at 320x224, a 640x360 frame as before, a tiny picture at 128 px', () => {
    expect(ownSide(320, 180, 512)).toBe(320);
    expect(inputSize(320, 180, ownSide(320, 180, 512), 'own')).toEqual({ resized: { width: 320, height: 180 }, input: { width: 320, height: 224 } });
    expect(inputSize(640, 360, ownSide(640, 360, 512), 'own')).toEqual(inputSize(640, 360, 512, 'aspect'));
    expect(ownSide(100, 50, 512)).toBe(128);
    expect(ownSide(10, 5, 512)).toBe(32);
  });
});

describe('sizeConstants', () => {
  it('scales the head and the decoder to the input: 512x288 gives a 128x72 heatmap', () => {
    expect(sizeConstants(512, 288)).toEqual({
      'tower_0/CenternetHead/c5_upsample/up_sampling2d/mul': { value: [18, 32], scalar: false },
      'tower_0/CenternetHead/c4_upsample/up_sampling2d_1/mul': { value: [36, 64], scalar: false },
      'tower_0/CenternetHead/c3_upsample/up_sampling2d_2/mul': { value: [72, 128], scalar: false },
      'tower_0/strided_slice_6': { value: [128], scalar: true },
      'tower_0/BatchGather/concat': { value: [128 * 72, 4], scalar: false },
    });
  });
});
