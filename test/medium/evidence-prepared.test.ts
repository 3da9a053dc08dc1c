// Timeline thumbnails scrubbed while the analysis runs (prepareThumbnail) are the ones the timeline shows: each time is
// scrubbed once, the strip is built from the scrubbed frames byte for byte, and they hold no face the face detector
// finds where the raw frame shows one. Real ffmpeg, the real face models, the generated demo clip.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { prepareThumbnail, thumbnailWidth, timelineTimes, writeTimeline, type EvidenceContext } from '../../services/analysis/evidence.ts';
import { createFaceFinder, type FaceFinder } from '../../services/analysis/face-finder.ts';
import { frameAt } from '../../services/analysis/frames.ts';
import type { Frame } from '../../services/core/contracts.ts';
import { generateSampleClip } from '../../services/demo/index.ts';
import { createDetector, type Detector } from '../../services/detector/index.ts';
import { composeTimeline } from '../../services/evidence/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'sopwatch-evidence-prepared-'));
let clipPath: string;
let finder: FaceFinder;
let checker: Detector;

beforeAll(async () => {
  clipPath = (await generateSampleClip(join(dir, 'clip.mp4'))).path;
  finder = createFaceFinder();
  checker = await createDetector({ needs: { faces: true, persons: false, pose: false, hands: false, objects: false }, threads: 1 });
}, 120_000);
afterAll(async () => {
  await finder?.close();
  await checker?.close();
  rmSync(dir, { recursive: true, force: true });
});

const facesIn = async (f: Frame): Promise<number> => (await checker.detect(f)).items.filter((i) => i.kind === 'face').length;

describe('prepared timeline thumbnails', () => {
  it('are scrubbed once, hold no face, and are what the timeline is made of', async () => {
    const raw = new Map<number, Frame>();
    const scrubbed: Array<{ from: Frame; to: Frame; persons: number }> = [];
    const faces: FaceFinder = {
      ...finder,
      scrub: async (frame, seen) => {
        let persons = 0;
        const to = await finder.scrub(frame, (r) => {
          persons = r.persons.length;
          seen?.(r);
        });
        scrubbed.push({ from: frame, to, persons });
        return to;
      },
    };
    const ctx: EvidenceContext = {
      dir: join(dir, 'evidence'),
      frames: async (tMs, cameraId) => {
        const f = await frameAt(clipPath, tMs, cameraId);
        if (f !== undefined) raw.set(tMs, f);
        return f;
      },
      faces,
      zonesBySop: new Map(),
      rules: new Map(),
      detections: new Map(),
    };
    const times = timelineTimes(40_000);
    expect(times.length).toBe(10);
    // 6 s: the person stands at the sink, facing the camera. Prepared as the analysis would, the others left to the end.
    const prepared = [times[0] ?? 0, times[1] ?? 0, times[4] ?? 0];
    expect(prepared[1]).toBe(6000);
    for (const tMs of prepared) await prepareThumbnail(ctx, tMs, times.length);
    expect(scrubbed.length).toBe(3);

    const errors: string[] = [];
    const path = await writeTimeline(ctx, { violations: [], durationMs: 40_000, title: 'prepared' }, errors);
    expect(errors).toEqual([]);
    expect(path).toBe(join(dir, 'evidence', 'timeline.jpg'));
    // Every time scrubbed exactly once: the prepared ones were not done again.
    expect(scrubbed.length).toBe(times.length);
    expect(scrubbed.map((s) => s.from.tMs).sort((a, b) => a - b)).toEqual(times);

    const atSink = scrubbed.find((s) => s.from.tMs === 6000);
    if (atSink === undefined) throw new Error('no thumbnail at 6 s');
    expect(await facesIn(raw.get(6000) as Frame)).toBeGreaterThan(0);
    expect(await facesIn(atSink.to)).toBe(0);
    // Ten thumbnails are drawn 97 px wide and scrubbed at 224 px (twice that, in 32 px steps), not scaled up by the
    // detector; the face shows at that size before the scrub, and the look still finds the person (whose head it
    // blurs) at it.
    expect(thumbnailWidth(times.length)).toBe(224);
    expect(scrubbed.every((s) => s.from.width === 224 && s.from.height === 126 && s.from.noUpscale === true)).toBe(true);
    expect(await facesIn(atSink.from)).toBeGreaterThan(0);
    expect(atSink.persons).toBe(1);
    const raw224 = await sharp((raw.get(6000) as Frame).rgb, { raw: { width: 640, height: 360, channels: 3 } }).resize({ width: 224 }).raw().toBuffer();
    expect(atSink.from.rgb.equals(raw224)).toBe(true);

    // The strip is the scrubbed frames' strip, byte for byte (a raw frame in it would change the bytes).
    const expected = await composeTimeline(
      {
        thumbnails: [...scrubbed].sort((a, b) => a.from.tMs - b.from.tMs).map((s) => ({ tMs: s.from.tMs, frame: s.to, faceBoxes: [] })),
        durationMs: 40_000,
        spans: [],
        title: 'prepared',
        outPath: path ?? '',
      },
      'jpeg',
    );
    expect(readFileSync(path ?? '').equals(expected)).toBe(true);
    const withRaw = await composeTimeline(
      { thumbnails: times.map((tMs) => ({ tMs, frame: raw.get(tMs) as Frame, faceBoxes: [] })), durationMs: 40_000, spans: [], title: 'prepared', outPath: '' },
      'jpeg',
    );
    expect(readFileSync(path ?? '').equals(withRaw)).toBe(false);
  }, 300_000);
});
