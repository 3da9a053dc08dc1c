// The timeline picture on real sharp: its size follows the layout, spans sit where their times are in
// their severity's colour, lanes elsewhere stay empty, thumbnails are face-blurred, nothing is left half-written.
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import type { Box, Frame } from '../../services/core/contracts.ts';
import {
  FaceBlurError,
  MAX_THUMBNAILS,
  renderTimeline,
  SEVERITY_COLOUR,
  thinEvenly,
  timelineLayout,
  type TimelineSpec,
} from '../../services/evidence/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'sopwatch-timeline-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const W = 320;
const H = 180;
const FACE: Box = [0.3, 0.2, 0.4, 0.6];

/** A mid-grey frame with a big checkered "face": detail that survives thumbnailing unless blurred. */
function faceFrame(index: number): Frame {
  const rgb = Buffer.alloc(W * H * 3, 128);
  for (let y = Math.round(FACE[1] * H); y < Math.round((FACE[1] + FACE[3]) * H); y++) {
    for (let x = Math.round(FACE[0] * W); x < Math.round((FACE[0] + FACE[2]) * W); x++) {
      rgb.fill((Math.floor(x / 8) + Math.floor(y / 8)) % 2 === 0 ? 0 : 255, (y * W + x) * 3, (y * W + x) * 3 + 3);
    }
  }
  return { cameraId: 'demo-1', index, tMs: index * 1000, width: W, height: H, rgb };
}

function spec(outPath: string, faceBoxes: Box[] = [FACE]): TimelineSpec {
  return {
    thumbnails: [0, 8, 16, 24, 32].map((s) => ({ tMs: s * 1000, frame: faceFrame(s), faceBoxes })),
    durationMs: 40_000,
    spans: [
      { label: 'hand-wash', startMs: 1_800, endMs: 9_700, severity: 'high', kind: 'too_short' },
      { label: 'phone-at-prep', startMs: 12_000, endMs: 14_000, severity: 'medium', kind: 'forbidden' },
      { label: 'phone-at-prep', startMs: 30_000, endMs: 36_000, severity: 'low', kind: 'forbidden' },
    ],
    title: 'demo-1 · sample kitchen',
    outPath,
  };
}

function hex(colour: string): [number, number, number] {
  return [1, 3, 5].map((i) => parseInt(colour.slice(i, i + 2), 16)) as [number, number, number];
}

async function pixels(path: string): Promise<{ data: Buffer; width: number; height: number }> {
  const { data, info } = await sharp(path).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

function at(img: { data: Buffer; width: number }, x: number, y: number): number[] {
  const i = (Math.round(y) * img.width + Math.round(x)) * 3;
  return [img.data[i] ?? -1, img.data[i + 1] ?? -1, img.data[i + 2] ?? -1];
}

const near = (a: number[], b: number[], tolerance = 12): boolean => a.every((v, i) => Math.abs(v - (b[i] ?? 0)) <= tolerance);

describe('renderTimeline', () => {
  it('draws one lane per rule with spans at their times, coloured by severity', async () => {
    const s = spec(join(dir, 'timeline.png'));
    const { path, bytes } = await renderTimeline(s);
    expect(bytes).toBeGreaterThan(1000);
    const img = await pixels(path);
    const layout = timelineLayout(s);
    expect([img.width, img.height]).toEqual([layout.width, layout.height]);
    expect(layout.lanes.map((l) => l.label)).toEqual(['hand-wash', 'phone-at-prep']);

    for (const span of s.spans) {
      const lane = layout.lanes.find((l) => l.label === span.label);
      if (lane === undefined) throw new Error(`no lane for ${span.label}`);
      const r = layout.spanRect(span, lane);
      // Just inside the top-left corner, above where the label text starts.
      expect(at(img, r.left + 3, r.top + 2)).toSatisfy((p: number[]) => near(p, hex(SEVERITY_COLOUR[span.severity])));
      expect(at(img, r.left + r.width - 3, r.top + r.height - 2)).toSatisfy((p: number[]) => near(p, hex(SEVERITY_COLOUR[span.severity])));
    }
    // Where a lane has no span its background shows, in no severity colour.
    const wash = layout.lanes[0];
    if (wash === undefined) throw new Error('no lane');
    const empty = at(img, layout.xForMs(25_000) + 3, wash.top + 3);
    for (const colour of Object.values(SEVERITY_COLOUR)) expect(near(empty, hex(colour), 40)).toBe(false);
  });

  it('blurs faces in the thumbnails', async () => {
    const blurred = await pixels((await renderTimeline(spec(join(dir, 'blurred.png')))).path);
    const sharpFaces = await pixels((await renderTimeline(spec(join(dir, 'not-blurred.png'), []))).path);
    const layout = timelineLayout(spec('x.png'));
    const thumb = layout.thumbs[2];
    if (thumb === undefined) throw new Error('no thumbnail slot');
    const face = {
      left: Math.round(thumb.left + FACE[0] * thumb.width) + 2,
      top: Math.round(thumb.top + FACE[1] * thumb.height) + 2,
      width: Math.round(FACE[2] * thumb.width) - 4,
      height: Math.round(FACE[3] * thumb.height) - 4,
    };
    const stdev = async (img: { data: Buffer; width: number; height: number }): Promise<number> => {
      // stats() reads the pipeline's input, so the region is cut out first.
      const region = await sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } }).extract(face).raw().toBuffer();
      const st = await sharp(region, { raw: { width: face.width, height: face.height, channels: 3 } }).stats();
      return st.channels.slice(0, 3).reduce((a, c) => a + c.stdev, 0) / 3;
    };
    expect(await stdev(sharpFaces)).toBeGreaterThan(60);
    expect(await stdev(blurred)).toBeLessThan(8);
  });

  it('thins more thumbnails than fit evenly, keeping the first and the last', async () => {
    expect(thinEvenly([...Array(14).keys()])).toEqual([0, 1, 3, 4, 6, 7, 9, 10, 12, 13]);
    expect(thinEvenly([1, 2, 3])).toEqual([1, 2, 3]);
    const many = { ...spec(join(dir, 'many.png')), thumbnails: [...Array(14).keys()].map((i) => ({ tMs: i * 2800, frame: faceFrame(i), faceBoxes: [FACE] })) };
    const img = await pixels((await renderTimeline(many)).path);
    const layout = timelineLayout({ ...many, thumbnails: thinEvenly(many.thumbnails) });
    expect(layout.thumbs).toHaveLength(MAX_THUMBNAILS);
    expect([img.width, img.height]).toEqual([layout.width, layout.height]);
    // The last slot holds a (grey, blurred) frame, not the white page.
    const last = layout.thumbs[MAX_THUMBNAILS - 1];
    if (last === undefined) throw new Error('no last slot');
    expect(near(at(img, last.left + 4, last.top + 4), [128, 128, 128], 20)).toBe(true);
  });

  it('with no violations shows an empty lane, and writes nothing when a thumbnail cannot be blurred', async () => {
    const s = { ...spec(join(dir, 'quiet.jpg')), spans: [] };
    await renderTimeline(s);
    expect((await sharp(s.outPath).metadata()).format).toBe('jpeg');
    expect(timelineLayout(s).lanes).toHaveLength(1);

    const bad = spec(join(dir, 'bad.png'), [[0.1, 0.1, Number.POSITIVE_INFINITY, 0.1]]);
    await expect(renderTimeline(bad)).rejects.toBeInstanceOf(FaceBlurError);
    expect(existsSync(bad.outPath)).toBe(false);
    expect(readdirSync(dir).filter((f) => f.includes('bad.png'))).toEqual([]);
  });
});
