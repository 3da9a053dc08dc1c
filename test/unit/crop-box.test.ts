// The crop sent to the model and drawn in evidence: the padded union of what the detector saw.
import { describe, expect, it } from 'vitest';
import { cropAround } from '../../services/evidence/index.ts';

describe('cropAround', () => {
  it('is undefined with nothing to look at (the caller keeps the whole frame)', () => {
    expect(cropAround([], 0.2, 0.02)).toBeUndefined();
  });
  it('pads the union of the boxes', () => {
    const [x, y, w, h] = cropAround([[0.4, 0.4, 0.1, 0.1], [0.5, 0.5, 0.1, 0.1]], 0.5, 0) ?? [];
    expect(x).toBeCloseTo(0.3);
    expect(y).toBeCloseTo(0.3);
    expect(w).toBeCloseTo(0.4);
    expect(h).toBeCloseTo(0.4);
  });
  it('never leaves the image', () => {
    const [x, y, w, h] = cropAround([[0, 0, 0.9, 0.95]], 0.3, 0.05) ?? [];
    expect(x).toBe(0);
    expect(y).toBe(0);
    expect((x ?? 0) + (w ?? 0)).toBeLessThanOrEqual(1);
    expect((y ?? 0) + (h ?? 0)).toBeLessThanOrEqual(1);
  });
});
