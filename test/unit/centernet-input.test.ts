// CenterNet's input size per picture: the aspect kept, 512 on the long side, the short side padded up to a multiple of 32.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { inputSize, sizeConstants } from '../../services/detector/models/centernet-input.ts';

describe('inputSize', () => {
  it('runs a 16:9 frame as 512x288 with no padding, and squares only when asked', () => {
    expect(inputSize(768, 432, 512, 'aspect')).toEqual({ resized: { width: 512, height: 288 }, input: { width: 512, height: 288 } });
    expect(inputSize(640, 360, 512, 'aspect').input).toEqual({ width: 512, height: 288 });
    expect(inputSize(432, 768, 512, 'aspect').input).toEqual({ width: 288, height: 512 });
    expect(inputSize(640, 480, 512, 'aspect').input).toEqual({ width: 512, height: 384 });
    expect(inputSize(768, 432, 512, 'square')).toEqual({ resized: { width: 512, height: 288 }, input: { width: 512, height: 512 } });
  });

  it('pads a crop of any aspect by less than 32 pixels, and never below 32', () => {
    expect(inputSize(300, 200, 512, 'aspect')).toEqual({ resized: { width: 512, height: 341 }, input: { width: 512, height: 352 } });
    expect(inputSize(1000, 10, 512, 'aspect').input).toEqual({ width: 512, height: 32 });
    const side = fc.integer({ min: 1, max: 4000 });
    fc.assert(
      fc.property(side, side, (width, height) => {
        const { resized, input } = inputSize(width, height, 512, 'aspect');
        return (
          Math.max(resized.width, resized.height) === 512 &&
          [input.width, input.height].every((s) => s % 32 === 0 && s >= 32 && s <= 512) &&
          input.width - resized.width >= 0 && input.width - resized.width < 32 &&
          input.height - resized.height >= 0 && input.height - resized.height < 32
        );
      }),
    );
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
