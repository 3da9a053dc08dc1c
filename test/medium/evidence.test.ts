// Keyframe evidence on real sharp: faces blurred before anything is drawn or written, zones drawn,
// fail-closed blur (nothing written), atomic writes, and the JPEG/crop helpers the model agent reuses.
import { existsSync, mkdtempSync, readdirSync, rmSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp, { type Sharp } from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import type { Box, Detection, Frame, Polygon } from '../../services/core/contracts.ts';
import {
  blurFaces,
  composeKeyframe,
  cropAndScale,
  encodeJpeg,
  evidenceFileName,
  EvidenceError,
  FaceBlurError,
  renderKeyframe,
  TEMP_SUFFIX,
  type KeyframeSpec,
} from '../../services/evidence/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'sopwatch-evidence-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const W = 320;
const H = 240;
const GREY = 128;
/** A face-sized patch of 4 px black and white squares: as much detail as a face, easy to measure. */
const FACE: Box = [0.4, 0.1, 0.15, 0.2];
const ZONES: Record<string, Polygon> = {
  sink: [[0.05, 0.55], [0.35, 0.55], [0.35, 0.95], [0.05, 0.95]],
  prep: [[0.65, 0.55], [0.95, 0.55], [0.95, 0.95], [0.65, 0.95]],
};

function pxRect([x, y, w, h]: Box, width = W, height = H): { left: number; top: number; width: number; height: number } {
  return { left: Math.round(x * width), top: Math.round(y * height), width: Math.round(w * width), height: Math.round(h * height) };
}

function checkered(box: Box, width = W, height = H): Buffer {
  const rgb = Buffer.alloc(width * height * 3, GREY);
  const r = pxRect(box, width, height);
  for (let y = r.top; y < r.top + r.height; y++) {
    for (let x = r.left; x < r.left + r.width; x++) {
      const v = (Math.floor(x / 4) + Math.floor(y / 4)) % 2 === 0 ? 0 : 255;
      rgb.fill(v, (y * width + x) * 3, (y * width + x) * 3 + 3);
    }
  }
  return rgb;
}

function frame(rgb: Buffer, width = W, height = H): Frame {
  return { cameraId: 'bar-1', index: 7, tMs: 12_500, width, height, rgb };
}

function spec(outPath: string, over: Partial<KeyframeSpec> = {}): KeyframeSpec {
  return {
    frame: frame(checkered(FACE)),
    zones: ZONES,
    highlightZones: ['sink'],
    caption: ['hand-wash: Wash hands for 20 s', 'step: -', 'kind: too_short', 'time: 0:12.5', 'message: 7.9 s at the sink'],
    faceBoxes: [FACE],
    outPath,
    ...over,
  };
}

/** Mean standard deviation over the RGB channels of a region of an encoded or raw image. */
async function regionStdev(image: Sharp, r: { left: number; top: number; width: number; height: number }): Promise<number> {
  const { data, info } = await image.extract(r).raw().toBuffer({ resolveWithObject: true });
  const stats = await sharp(data, { raw: { width: info.width, height: info.height, channels: info.channels } }).stats();
  return stats.channels.slice(0, 3).reduce((a, c) => a + c.stdev, 0) / 3;
}

async function decode(path: string | Buffer): Promise<{ data: Buffer; width: number; height: number }> {
  const { data, info } = await sharp(path).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

function at(img: { data: Buffer; width: number }, x: number, y: number): [number, number, number] {
  const i = (Math.round(y) * img.width + Math.round(x)) * 3;
  return [img.data[i] ?? -1, img.data[i + 1] ?? -1, img.data[i + 2] ?? -1];
}

function meanAbsDiff(
  a: { data: Buffer; width: number },
  b: { data: Buffer; width: number },
  r: { left: number; top: number; width: number; height: number },
): number {
  let sum = 0;
  for (let y = r.top; y < r.top + r.height; y++) {
    for (let x = r.left; x < r.left + r.width; x++) sum += distance(at(a, x, y), at(b, x, y)) / Math.sqrt(3);
  }
  return sum / (r.width * r.height);
}

const distance = (a: readonly number[], b: readonly number[]): number => Math.hypot(...a.map((v, i) => v - (b[i] ?? 0)));

describe('renderKeyframe', () => {
  it('blurs the face box in the written JPEG: its detail collapses', async () => {
    const out = join(dir, 'face.jpg');
    const source = checkered(FACE);
    const result = await renderKeyframe(spec(out));
    expect(result).toEqual({ path: out, bytes: expect.any(Number) });
    expect(existsSync(out)).toBe(true);

    const r = pxRect(FACE);
    const before = await regionStdev(sharp(source, { raw: { width: W, height: H, channels: 3 } }), r);
    const after = await regionStdev(sharp(out), r);
    expect(before).toBeGreaterThan(100);
    expect(after).toBeLessThan(before * 0.1);
  });

  it('draws the caption band below the frame and the zones, the highlighted one in another colour', async () => {
    const out = join(dir, 'zones.jpg');
    await renderKeyframe(spec(out));
    const img = await decode(out);
    expect(img.width).toBe(W);
    expect(img.height).toBeGreaterThan(H + 40);

    // Midpoints of the zones' top edges: grey in the source, the zone colour in the picture.
    const sinkEdge = at(img, 0.2 * W, 0.55 * H);
    const prepEdge = at(img, 0.8 * W, 0.55 * H);
    expect(distance(sinkEdge, [GREY, GREY, GREY])).toBeGreaterThan(60);
    expect(distance(prepEdge, [GREY, GREY, GREY])).toBeGreaterThan(60);
    expect(sinkEdge[0]).toBeGreaterThan(sinkEdge[2] + 60); // highlighted: red
    expect(prepEdge[2]).toBeGreaterThan(prepEdge[0] + 60); // plain: blue
    // Far from zones, boxes and face the frame is untouched.
    expect(distance(at(img, 0.5 * W, 0.75 * H), [GREY, GREY, GREY])).toBeLessThan(12);
    // The caption band is dark, with light text somewhere in it.
    const bandPixels = await sharp(out).extract({ left: 0, top: H, width: W, height: img.height - H }).raw().toBuffer();
    const band = await sharp(bandPixels, { raw: { width: W, height: img.height - H, channels: 3 } }).stats();
    expect(band.channels[0]?.mean).toBeLessThan(60);
    expect(band.channels[0]?.max).toBeGreaterThan(180);
  });

  it('blurs the head of every person detection: the top of the box without keypoints, the keypoints with them', async () => {
    const noPose: Detection = { kind: 'person', label: 'person', score: 0.9, box: [0.1, 0.05, 0.25, 0.9], trackId: 'p1' };
    const headTop: Box = [0.15, 0.06, 0.12, 0.15];
    const posed: Detection = {
      kind: 'person', label: 'person', score: 0.8, box: [0.6, 0.05, 0.3, 0.9], trackId: 'p2',
      keypoints: [
        { part: 'nose', point: [0.75, 0.5], score: 0.9 },
        { part: 'leftEye', point: [0.77, 0.48], score: 0.9 },
        { part: 'rightEye', point: [0.73, 0.48], score: 0.9 },
      ],
    };
    // A face in the middle of the posed person (bent over), far from the top of its box.
    const bentFace: Box = [0.71, 0.43, 0.08, 0.12];
    const rgb = checkered(headTop);
    const other = checkered(bentFace);
    const r2 = pxRect(bentFace);
    for (let y = r2.top; y < r2.top + r2.height; y++) other.copy(rgb, (y * W + r2.left) * 3, (y * W + r2.left) * 3, (y * W + r2.left + r2.width) * 3);

    // Boxes and labels are drawn over the blurred heads; rendering the same scene on a flat frame and
    // comparing isolates what is left of the pattern: about nothing when blurred, ~127 levels when not.
    const render = (pixels: Buffer): Promise<Buffer> =>
      composeKeyframe({
        ...spec(join(dir, 'unused.jpg')),
        frame: frame(pixels),
        faceBoxes: [],
        detections: { cameraId: 'bar-1', frameIndex: 7, tMs: 12_500, width: W, height: H, inferenceMs: 1, items: [noPose, posed] },
      });
    const withFaces = await decode(await render(rgb));
    const flat = await decode(await render(Buffer.alloc(W * H * 3, GREY)));
    for (const box of [headTop, bentFace]) {
      expect(meanAbsDiff(withFaces, flat, pxRect(box))).toBeLessThan(12);
    }
    // The same comparison outside any head region sees the pattern: the measure can fail.
    const unblurred = await decode(await composeKeyframe({ ...spec(join(dir, 'unused.jpg')), frame: frame(rgb), faceBoxes: [] }));
    const flatNoPeople = await decode(await composeKeyframe({ ...spec(join(dir, 'unused.jpg')), frame: frame(Buffer.alloc(W * H * 3, GREY)), faceBoxes: [] }));
    expect(meanAbsDiff(unblurred, flatNoPeople, pxRect(headTop))).toBeGreaterThan(80);
  });

  it('writes no file when a face box is invalid', async () => {
    const out = join(dir, 'invalid-box.jpg');
    await expect(renderKeyframe(spec(out, { faceBoxes: [FACE, [0.1, Number.NaN, 0.1, 0.1]] }))).rejects.toBeInstanceOf(FaceBlurError);
    await expect(renderKeyframe(spec(out, { faceBoxes: [[0.1, 0.1, -0.2, 0.1]] }))).rejects.toBeInstanceOf(FaceBlurError);
    expect(existsSync(out)).toBe(false);
  });

  it('writes no file when the image library fails while blurring', async () => {
    const out = join(dir, 'sharp-fails.jpg');
    const proto = Object.getPrototypeOf(sharp()) as { resize: (...args: unknown[]) => unknown };
    const resize = proto.resize;
    proto.resize = () => {
      throw new Error('simulated libvips failure');
    };
    try {
      const err: unknown = await renderKeyframe(spec(out)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(FaceBlurError);
      expect((err as Error).cause).toBeInstanceOf(Error);
    } finally {
      proto.resize = resize;
    }
    expect(existsSync(out)).toBe(false);
    // The same spec renders once the library works again: the failure was the blur, nothing else.
    await renderKeyframe(spec(out));
    expect(existsSync(out)).toBe(true);
  });

  it('writes atomically: a failed write leaves neither the file nor a temp file, a rerun replaces the file whole', async () => {
    const sub = join(dir, 'atomic');
    mkdirSync(sub);
    // A directory where the file should go makes the final rename fail after the temp file was written.
    const blocked = join(sub, 'blocked.jpg');
    mkdirSync(blocked);
    writeFileSync(join(blocked, 'keep'), 'x');
    await expect(renderKeyframe(spec(blocked))).rejects.toBeInstanceOf(EvidenceError);
    expect(readdirSync(sub).filter((f) => f.endsWith(TEMP_SUFFIX))).toEqual([]);

    const name = join(sub, evidenceFileName('demo-kitchen/hand-wash/too_short/-/p:1/1800', 5_000));
    writeFileSync(name, 'old and short');
    const first = await renderKeyframe(spec(name));
    const second = await renderKeyframe(spec(name));
    expect(second.bytes).toBe(first.bytes);
    expect((await sharp(name).metadata()).format).toBe('jpeg');
    expect(readdirSync(sub).sort()).toEqual([name.slice(sub.length + 1), 'blocked.jpg'].sort());
  });

  it('refuses a frame whose buffer does not match its size, writing nothing', async () => {
    const out = join(dir, 'short-buffer.jpg');
    await expect(renderKeyframe(spec(out, { frame: frame(Buffer.alloc(100)) }))).rejects.toBeInstanceOf(EvidenceError);
    expect(existsSync(out)).toBe(false);
  });
});

describe('evidenceFileName', () => {
  it('is deterministic, filesystem-safe, and tells apart ids that differ only in punctuation', () => {
    const a = evidenceFileName('sop/rule/too_short/-/p:3/1800', 2500);
    expect(a).toBe(evidenceFileName('sop/rule/too_short/-/p:3/1800', 2500));
    expect(a).toMatch(/^[A-Za-z0-9._-]+\.jpg$/);
    expect(a).not.toBe(evidenceFileName('sop/rule/too_short/-/p_3/1800', 2500));
    expect(a).not.toBe(evidenceFileName('sop/rule/too_short/-/p:3/1800', 2600));
  });
});

describe('blurFaces, encodeJpeg, cropAndScale', () => {
  it('blurFaces returns new pixels and leaves the input untouched', async () => {
    const source = checkered(FACE);
    const copy = Buffer.from(source);
    const out = await blurFaces(source, W, H, [FACE]);
    expect(source.equals(copy)).toBe(true);
    expect(out.length).toBe(source.length);
    const r = pxRect(FACE);
    expect(await regionStdev(sharp(out, { raw: { width: W, height: H, channels: 3 } }), r)).toBeLessThan(10);
    // A box partly outside the frame is clipped, not refused; one fully outside blurs nothing.
    await expect(blurFaces(source, W, H, [[0.9, 0.9, 0.3, 0.3]])).resolves.toHaveLength(source.length);
    expect((await blurFaces(source, W, H, [[1.5, 1.5, 0.1, 0.1]])).equals(source)).toBe(true);
  });

  it('encodeJpeg blurs the given faces and shrinks to maxSide', async () => {
    const jpeg = await encodeJpeg(frame(checkered(FACE)), { faceBoxes: [FACE], maxSide: 160, quality: 80 });
    const meta = await sharp(jpeg).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['jpeg', 160, 120]);
    const face = pxRect(FACE, 160, 120);
    expect(await regionStdev(sharp(jpeg), face)).toBeLessThan(12);
    await expect(encodeJpeg(frame(checkered(FACE)), { faceBoxes: [[0, 0, 0, 0]] })).rejects.toBeInstanceOf(FaceBlurError);
  });

  it('cropAndScale returns the box pixels, fitted inside maxSide', async () => {
    const crop = await cropAndScale(frame(checkered(FACE)), FACE, 1000);
    expect([crop.width, crop.height]).toEqual([48, 48]);
    expect(crop.rgb.length).toBe(48 * 48 * 3);
    expect(await regionStdev(sharp(crop.rgb, { raw: { width: 48, height: 48, channels: 3 } }), { left: 0, top: 0, width: 48, height: 48 })).toBeGreaterThan(100);
    const small = await cropAndScale(frame(checkered(FACE)), [0, 0, 1, 0.5], 64);
    expect([small.width, small.height]).toEqual([64, 24]);
    const enlarged = await cropAndScale(frame(checkered(FACE)), FACE, 96, { enlarge: true });
    expect([enlarged.width, enlarged.height]).toEqual([96, 96]);
    await expect(cropAndScale(frame(checkered(FACE)), [2, 2, 0.1, 0.1], 64)).rejects.toBeInstanceOf(EvidenceError);
  });
});
