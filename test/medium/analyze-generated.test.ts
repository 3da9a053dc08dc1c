// Clip analysis end to end on the generated demo clip (no ../shared needed): the violation, its evidence, no face left.
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeClip, formatReport, type ClipAnalysisResult } from '../../services/analysis/index.ts';
import { createFaceFinder, type FaceFinder } from '../../services/analysis/face-finder.ts';
import { generateSampleClip, sampleSop } from '../../services/demo/index.ts';
import { createDetector, type Detector } from '../../services/detector/index.ts';
import { loadSopText } from '../../services/rules/sop-loader.ts';
import { frameAt } from '../../services/analysis/frames.ts';
import type { Frame } from '../../services/core/contracts.ts';

async function jpegToFrame(path: string): Promise<Frame> {
  const { data, info } = await sharp(await readFile(path)).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { cameraId: 'evidence', index: 0, tMs: 0, width: info.width, height: info.height, rgb: data };
}

describe('analysis of the generated sample clip', () => {
  let dir: string;
  let clip: Awaited<ReturnType<typeof generateSampleClip>>;
  let result: ClipAnalysisResult;
  let faces: Detector;
  let finder: FaceFinder;
  /** The sizes of the pictures the analysis had scrubbed, and whether the detector may scale them up. */
  const scrubbed: Array<{ width: number; height: number; noUpscale: boolean }> = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sopwatch-generated-'));
    clip = await generateSampleClip(join(dir, 'sample.mp4'));
    const loaded = loadSopText(sampleSop(), 'sample.yaml');
    expect(loaded.errors).toEqual([]);
    if (!loaded.ok) throw new Error('the sample SOP does not load');
    const sops = [loaded.sop];
    finder = createFaceFinder();
    const spy: FaceFinder = {
      ...finder,
      scrub: (frame, seen) => {
        scrubbed.push({ width: frame.width, height: frame.height, noUpscale: frame.noUpscale === true });
        return finder.scrub(frame, seen);
      },
    };
    result = await analyzeClip({ clipPath: clip.path, sops, evidenceDir: join(dir, 'evidence'), fps: 3, faces: spy });
    faces = await createDetector({ needs: { faces: true, persons: false, pose: false, hands: false, objects: false }, threads: 1 });
  }, 600_000);
  afterAll(async () => {
    await Promise.all([faces?.close(), finder?.close()]);
  });

  it('flags the sink visit that is too short, and only that one', () => {
    const sinkVisits = clip.script.filter((s) => s.zone === 'sink');
    expect(sinkVisits.length).toBe(2);
    const [short, long] = sinkVisits as [(typeof sinkVisits)[number], (typeof sinkVisits)[number]];
    expect(result.violations.length).toBe(1);
    const v = result.violations[0];
    expect(v?.kind).toBe('too_short');
    expect(v?.decidedBy).toBe('detector');
    // The episode found by the detector matches the scripted visit within a second at each end.
    expect(Math.abs((v?.start ?? 0) - short.startMs / 1000)).toBeLessThan(1);
    expect(Math.abs((v?.end ?? 0) - short.endMs / 1000)).toBeLessThan(1);
    expect((v?.end ?? 0) < long.startMs / 1000).toBe(true);
  });

  it('writes the evidence the violation names, and a timeline strip', async () => {
    const files = await readdir(join(dir, 'evidence'));
    const v = result.violations[0];
    expect(v?.evidence.length).toBeGreaterThan(0);
    for (const e of v?.evidence ?? []) expect(files).toContain(e);
    expect(files).toContain('timeline.jpg');
    expect(result.evidence.errors).toEqual([]);
    // The strip's ten thumbnails (a 40 s clip) are scrubbed at 224 px, twice what it draws, not scaled up; the
    // keyframes at the clip's own 640 px.
    const thumbs = scrubbed.filter((s) => s.noUpscale);
    expect(thumbs.map((s) => `${s.width}x${s.height}`)).toEqual(Array.from({ length: 10 }, () => '224x126'));
    expect(scrubbed.filter((s) => !s.noUpscale).every((s) => s.width === 640)).toBe(true);
  });

  it('leaves no face that the face detector can find in the written evidence', async () => {
    // The positive control: the same moments in the raw clip do show a face the detector finds.
    const v = result.violations[0];
    const raw = await frameAt(clip.path, ((v?.start ?? 0) + (v?.end ?? 0)) * 500, 'demo-1');
    expect(raw).toBeDefined();
    const rawFaces = (await faces.detect(raw as Frame)).items.filter((i) => i.kind === 'face');
    expect(rawFaces.length).toBeGreaterThan(0);

    const files = (await readdir(join(dir, 'evidence'))).filter((f) => f.endsWith('.jpg'));
    expect(files.length).toBeGreaterThan(1);
    for (const f of files) {
      const found = (await faces.detect(await jpegToFrame(join(dir, 'evidence', f)))).items.filter((i) => i.kind === 'face');
      expect(found, f).toEqual([]);
    }
  });

  it('reports the stats a manager and an engineer need', () => {
    expect(result.complete).toBe(true);
    expect(result.durationS).toBeCloseTo(40, 0);
    expect(result.frames).toBeGreaterThanOrEqual(118);
    expect(result.stats.realtimeFactor).toBeGreaterThan(0);
    expect(result.stats.modelCalls).toBe(0);
    // The analysis's own pool has the pose model for the frame stage's checks: the person at the sink is checked, not
    // detected again (services/frames/still-check.ts), and the report says so.
    expect(result.stats.personChecks ?? 0).toBeGreaterThan(3);
    expect(result.stats.personChecksHeld ?? 0).toBeGreaterThan(3);
    expect(formatReport(result)).toMatch(/persons checked by the pose model in \d+, still there in \d+/);
    // Decode once: every keyframe and thumbnail came from the frames kept as the analysis decoded them.
    expect(result.stats.keyframesDecodedAgain).toBe(0);
    expect(result.stats.framesKept ?? 0).toBeGreaterThan(0);
    // Motion read every frame's tiny gray picture from the decoder (a second ffmpeg output), shrinking none itself.
    expect(result.stats.motionFromDecoder).toBe(result.stats.framesDecoded);
  });
});
