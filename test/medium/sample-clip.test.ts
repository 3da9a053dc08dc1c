// The demo clip on the real ffmpeg: probes to its promised duration and rate, shows the person photo inside
// the sink zone in the middle of each sink visit (and an empty kitchen when the script says so), is
// byte-for-byte reproducible, and leaves nothing behind when ffmpeg cannot run.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Point } from '../../services/core/contracts.ts';
import {
  DemoClipError,
  drawKitchen,
  generateSampleClip,
  pointInPolygon,
  SAMPLE_CAMERA_ID,
  SAMPLE_MIN_WASH_MS,
  SAMPLE_ZONES,
  sampleSop,
  type SampleClip,
} from '../../services/demo/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'sopwatch-sample-clip-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let clip: SampleClip;
/** The empty kitchen as it comes out of the encoder (chroma subsampling blurs the coloured signs). */
let background: Buffer;
beforeAll(async () => {
  clip = await generateSampleClip(join(dir, 'sample.mp4'));
  background = frameAt(clip.path, 500, clip.width, clip.height);
});

function frameAt(path: string, tMs: number, width: number, height: number): Buffer {
  const rgb = execFileSync('ffmpeg', [
    '-v', 'error', '-ss', (tMs / 1000).toFixed(3), '-i', path, '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-',
  ]);
  expect(rgb.length).toBe(width * height * 3);
  return rgb;
}

/** Bounding box (pixels) of the pixels that differ clearly from the empty kitchen, and how many do. */
function changed(rgb: Buffer, width: number, height: number): { count: number; left: number; top: number; right: number; bottom: number } {
  let count = 0;
  let left = width;
  let top = height;
  let right = -1;
  let bottom = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      const d = Math.abs((rgb[i] ?? 0) - (background[i] ?? 0)) + Math.abs((rgb[i + 1] ?? 0) - (background[i + 1] ?? 0)) + Math.abs((rgb[i + 2] ?? 0) - (background[i + 2] ?? 0));
      if (d > 60) {
        count++;
        left = Math.min(left, x);
        top = Math.min(top, y);
        right = Math.max(right, x);
        bottom = Math.max(bottom, y);
      }
    }
  }
  return { count, left, top, right, bottom };
}

describe('generateSampleClip', () => {
  it('writes a 640x360 h264 mp4 of 40 s at 5 fps (the analysis rate)', () => {
    const probe = JSON.parse(
      execFileSync('ffprobe', ['-v', 'error', '-show_streams', '-show_format', '-of', 'json', clip.path], { encoding: 'utf8' }),
    ) as { streams: Array<Record<string, string | number>>; format: Record<string, string> };
    const video = probe.streams.find((s) => s.codec_type === 'video');
    expect(video).toMatchObject({ codec_name: 'h264', width: 640, height: 360, r_frame_rate: '5/1', nb_frames: '200' });
    expect(Number(probe.format.duration)).toBeCloseTo(40, 1);
    expect({ durationMs: clip.durationMs, fps: clip.fps, width: clip.width, height: clip.height }).toEqual({ durationMs: 40_000, fps: 5, width: 640, height: 360 });
  });

  it('scripts a short sink visit, the prep table, then a long enough sink visit', () => {
    expect(clip.script.map((e) => e.zone)).toEqual(['sink', 'prep', 'sink']);
    const [first, , second] = clip.script;
    if (first === undefined || second === undefined) throw new Error('script too short');
    expect(first.endMs - first.startMs).toBeGreaterThan(6_000);
    expect(first.endMs - first.startMs).toBeLessThan(SAMPLE_MIN_WASH_MS - 8_000);
    expect(second.endMs - second.startMs).toBeGreaterThan(SAMPLE_MIN_WASH_MS + 1_000);
    for (const e of clip.script) expect(e.endMs).toBeLessThanOrEqual(clip.durationMs);
  });

  it('shows the person photo inside the sink zone in the middle of each sink visit, at the prep table between, and nobody at the end', () => {
    for (const visit of clip.script.filter((e) => e.zone === 'sink')) {
      const rgb = frameAt(clip.path, (visit.startMs + visit.endMs) / 2, clip.width, clip.height);
      const c = changed(rgb, clip.width, clip.height);
      const heightShare = (c.bottom - c.top + 1) / clip.height;
      expect(heightShare).toBeGreaterThan(0.35);
      expect(heightShare).toBeLessThan(0.6);
      // A solid photo, not scattered compression noise: most of its rectangle differs from the kitchen.
      expect(c.count / ((c.right - c.left + 1) * (c.bottom - c.top + 1))).toBeGreaterThan(0.5);
      const foot: Point = [(c.left + c.right + 1) / 2 / clip.width, (c.bottom + 1) / clip.height];
      expect(pointInPolygon(foot, SAMPLE_ZONES.sink)).toBe(true);
      expect(pointInPolygon(foot, SAMPLE_ZONES.prep)).toBe(false);
    }
    const prep = clip.script.find((e) => e.zone === 'prep');
    if (prep === undefined) throw new Error('no prep visit');
    const c = changed(frameAt(clip.path, (prep.startMs + prep.endMs) / 2, clip.width, clip.height), clip.width, clip.height);
    expect(pointInPolygon([(c.left + c.right + 1) / 2 / clip.width, (c.bottom + 1) / clip.height], SAMPLE_ZONES.prep)).toBe(true);

    const gone = changed(frameAt(clip.path, clip.durationMs - 500, clip.width, clip.height), clip.width, clip.height);
    expect(gone.count).toBeLessThan(50);
  });

  it('starts on the drawn kitchen with nobody in it', async () => {
    const drawn = await drawKitchen(clip.width, clip.height);
    let sum = 0;
    for (let i = 0; i < drawn.length; i++) sum += Math.abs((drawn[i] ?? 0) - (background[i] ?? 0));
    expect(sum / drawn.length).toBeLessThan(3);
  });

  it('is reproducible byte for byte', async () => {
    const again = await generateSampleClip(join(dir, 'again.mp4'));
    const hash = (p: string): string => createHash('sha256').update(readFileSync(p)).digest('hex');
    expect(hash(again.path)).toBe(hash(clip.path));
    expect(again.script).toEqual(clip.script);
  });

  it('fails with DemoClipError and writes nothing when ffmpeg cannot run', async () => {
    const out = join(dir, 'sub', 'broken.mp4');
    await expect(generateSampleClip(out, { ffmpegPath: join(dir, 'no-such-ffmpeg') })).rejects.toBeInstanceOf(DemoClipError);
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(join(dir, 'sub'))).toEqual([]);
  });
});

describe('sampleSop', () => {
  it('is an SOP file for camera demo-1 with the drawn zones and a 20 s minimum at the sink', () => {
    const sop = parse(sampleSop()) as {
      id: string;
      version: number;
      cameras: string[];
      zones: Record<string, Record<string, number[][]>>;
      rules: Array<Record<string, unknown>>;
    };
    expect(sop.version).toBe(1);
    expect(sop.cameras).toEqual([SAMPLE_CAMERA_ID]);
    expect(sop.zones[SAMPLE_CAMERA_ID]).toEqual({ sink: SAMPLE_ZONES.sink, prep: SAMPLE_ZONES.prep });
    expect(sop.rules).toEqual([
      expect.objectContaining({ kind: 'duration', when: { person_in: 'sink' }, min: '20s' }),
    ]);
  });
});
