// The last check before a picture is stored: the face finder checks the rendered bytes and blurs what it still finds.
// A face in the drawing itself (drawn after the picture was blurred, so that blurring under it changes nothing) is
// blurred over the drawing; before, such a picture was lost with "a face was still found".
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import sharp from 'sharp';
import type { Box, Frame } from '../../services/core/contracts.ts';
import { createDetector, type Detector } from '../../services/detector/index.ts';
import { createFaceFinder, type FaceFinder } from '../../services/analysis/face-finder.ts';
import { blurFaces } from '../../services/evidence/index.ts';
import { SAMPLES_JPG, imageFrame } from './detector-helpers.ts';

const W = 640;
const H = 360;
const CAPTION = 60;

let faces: FaceFinder;
let checker: Detector;
let face: { rgb: Buffer; width: number; height: number };

/** The faces the face model finds in a JPEG's top `height` rows. */
async function facesIn(jpeg: Buffer, height = H): Promise<Box[]> {
  const { data, info } = await sharp(jpeg).removeAlpha().extract({ left: 0, top: 0, width: W, height }).raw().toBuffer({ resolveWithObject: true });
  const frame: Frame = { cameraId: 'check', index: 0, tMs: 0, width: info.width, height: info.height, rgb: data };
  return (await checker.detect(frame)).items.filter((i) => i.kind === 'face').map((i) => i.box);
}

beforeAll(async () => {
  faces = createFaceFinder();
  checker = await createDetector({ needs: { faces: true, persons: false, pose: false, hands: false, objects: false }, threads: 1 });
  // The clearest face of the sample photo of people, with a margin, as a picture of its own.
  const photo = await imageFrame(SAMPLES_JPG);
  const found = (await checker.detect(photo)).items.filter((i) => i.kind === 'face').sort((a, b) => b.score - a.score)[0];
  if (found === undefined) throw new Error('no face in samples.jpg');
  const [x, y, w, h] = found.box;
  const left = Math.max(0, Math.round((x - w * 0.4) * photo.width));
  const top = Math.max(0, Math.round((y - h * 0.4) * photo.height));
  const width = Math.min(photo.width - left, Math.round(w * 1.8 * photo.width));
  const height = Math.min(photo.height - top, Math.round(h * 1.8 * photo.height));
  const { data, info } = await sharp(photo.rgb, { raw: { width: photo.width, height: photo.height, channels: 3 } })
    .extract({ left, top, width, height })
    .resize({ height: 120 })
    .raw()
    .toBuffer({ resolveWithObject: true });
  face = { rgb: data, width: info.width, height: info.height };
}, 120_000);

afterAll(async () => {
  await faces?.close();
  await checker?.close();
});

/** A grey picture with a caption band under it; `extra` blurred in the picture, then `drawn` (a face) pasted on top. */
async function render(extra: Box[], drawn: boolean): Promise<Buffer> {
  const rgb = await blurFaces(Buffer.alloc(W * H * 3, 150), W, H, extra);
  if (drawn) {
    for (let row = 0; row < face.height; row++) face.rgb.copy(rgb, ((100 + row) * W + 300) * 3, row * face.width * 3, (row + 1) * face.width * 3);
  }
  return sharp(rgb, { raw: { width: W, height: H, channels: 3 } })
    .extend({ bottom: CAPTION, background: { r: 20, g: 20, b: 30 } })
    .jpeg({ quality: 90 })
    .toBuffer();
}

describe('renderClean', () => {
  it('blurs a face in the drawing over the drawing, and nothing of the caption band', async () => {
    expect((await facesIn(await render([], true))).length).toBeGreaterThan(0);
    const renders: Box[][] = [];
    const clean = await faces.renderClean(async (extra) => {
      renders.push([...extra]);
      return render(extra, true);
    }, H);
    expect(await facesIn(clean)).toEqual([]);
    // Once the face was blurred under the drawing and found again, the rendered image itself was blurred.
    expect(renders.length).toBe(2);
    const meta = await sharp(clean).metadata();
    expect([meta.width, meta.height]).toEqual([W, H + CAPTION]);
    // The face's place changed; the picture far from it and the caption band did not.
    const raw = async (jpeg: Buffer): Promise<Buffer> => (await sharp(jpeg).removeAlpha().raw().toBuffer());
    const [before, after] = [await raw(await render([], true)), await raw(clean)];
    const at = (buf: Buffer, x: number, y: number): number => buf[(y * W + x) * 3] ?? -1;
    let changed = 0;
    for (let y = 110; y < 210; y += 5) for (let x = 310; x < 300 + face.width - 10; x += 5) changed += Math.abs(at(before, x, y) - at(after, x, y)) > 12 ? 1 : 0;
    expect(changed).toBeGreaterThan(20);
    expect(Math.abs(at(after, 20, 20) - at(before, 20, 20))).toBeLessThan(4);
    expect(Math.abs(at(after, 20, H + 30) - at(before, 20, H + 30))).toBeLessThan(4);
  });

  it('returns the rendered bytes themselves when the check finds nothing, after one render', async () => {
    const renders: Box[][] = [];
    const plain = await render([], false);
    const clean = await faces.renderClean(async (extra) => {
      renders.push([...extra]);
      return render(extra, false);
    }, H);
    expect(renders).toEqual([[]]);
    expect(clean.equals(plain)).toBe(true);
  });
});
