// The analysis's frame ring (decode once): keyframes come from the frames kept as they passed, not from a new decode of
// the clip, and they are the same pixels as the frames decoded (to JPEG's error); a time the ring no longer holds is
// decoded again from the clip. Real ffmpeg, real sharp, the generated demo clip.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FrameRing } from '../../services/analysis/frame-ring.ts';
import type { Frame } from '../../services/core/contracts.ts';
import { generateSampleClip } from '../../services/demo/index.ts';
import { readClipFrames } from '../../services/ingester/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'sopwatch-frame-ring-'));
let clipPath: string;
const decoded: Frame[] = [];

beforeAll(async () => {
  clipPath = (await generateSampleClip(join(dir, 'clip.mp4'))).path;
  for await (const f of readClipFrames(clipPath, { cameraId: 'cam-1', fps: 5 })) decoded.push(f);
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Mean absolute difference per byte of two frames of one size. */
function meanDiff(a: Frame, b: Frame): number {
  expect([b.width, b.height]).toEqual([a.width, a.height]);
  let sum = 0;
  for (let i = 0; i < a.rgb.length; i++) sum += Math.abs((a.rgb[i] as number) - (b.rgb[i] as number));
  return sum / a.rgb.length;
}

describe('the frame ring', () => {
  it('gives back the frames that passed, near their pixels, without decoding the clip again', async () => {
    const ring = new FrameRing(clipPath);
    for (const f of decoded) ring.add(f);
    for (const tMs of [1000, 12_300, 25_000, 39_800]) {
      const got = await ring.at(tMs, 'cam-1');
      if (got === undefined) throw new Error(`no frame at ${tMs}`);
      // One frame kept every 400 ms: the nearest is at most 200 ms away (300 when the asked time is between two).
      expect(Math.abs(got.tMs - tMs)).toBeLessThanOrEqual(300);
      const original = decoded.find((f) => f.tMs === got.tMs) as Frame;
      expect(meanDiff(original, got)).toBeLessThan(3);
    }
    expect(ring.reDecoded).toBe(0);
  });

  it('decodes a time it no longer holds from the clip', async () => {
    // A window of 5 s: the frames of the first half of the clip have left the ring by its end.
    const ring = new FrameRing(clipPath, { windowMs: 5000 });
    for (const f of decoded) ring.add(f);
    const got = await ring.at(2000, 'cam-1');
    expect(ring.reDecoded).toBe(1);
    expect(got?.tMs).toBe(2000);
    // Decoded again at the clip's own size (640 px): the same picture as the frame decoded then.
    expect(meanDiff(decoded.find((f) => f.tMs === 2000) as Frame, got as Frame)).toBeLessThan(3);
  });
});
