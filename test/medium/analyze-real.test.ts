// Clip analysis on real public footage, against labels made by looking at the clips' frames.
import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { analyzeClip, type ClipAnalysisResult } from '../../services/analysis/index.ts';
import { loadSopDir } from '../../services/rules/sop-loader.ts';
import { describeFootage, footage } from '../fixtures/media.ts';

const PERSON_CLIP = footage('intel_one-by-one-person-detection.mp4');
const BOTTLE_CLIP = footage('intel_bottle-detection.mp4');
const FIXTURES = resolve(import.meta.dirname, '../fixtures/sop');

/**
 * Visits to the table in intel_one-by-one-person-detection.mp4, labelled by hand from 1 fps contact
 * sheets: from the first frame the person steps into view towards the table to the last frame before
 * they are out of the zone. The SOP asks for at least 14 s; three visits are clearly shorter.
 */
const VISITS = [
  { startS: 6, endS: 19, tooShort: true },
  { startS: 23, endS: 44.5, tooShort: false },
  { startS: 50.5, endS: 69, tooShort: false },
  { startS: 75, endS: 86, tooShort: true },
  { startS: 92.5, endS: 119, tooShort: false },
  { startS: 124, endS: 135.5, tooShort: true },
];

/**
 * Spans in intel_bottle-detection.mp4 where fewer than three bottles stand on the table (labelled at
 * 2 fps): the left bottle taken away; two taken and returned one by one; the right bottle taken away.
 */
const MISSING = [
  { startS: 6.5, endS: 13.5 },
  { startS: 16.5, endS: 29 },
  { startS: 31, endS: 36.5 },
];

const overlaps = (a: { start: number; end: number }, b: { startS: number; endS: number }): boolean =>
  a.start < b.endS && b.startS < a.end;

describeFootage('analysis on intel_one-by-one-person-detection.mp4', [PERSON_CLIP], () => {
  let result: ClipAnalysisResult;
  let evidenceDir: string;
  beforeAll(async () => {
    const { sops, errors } = await loadSopDir([join(FIXTURES, 'station-visit.yaml')]);
    expect(errors).toEqual([]);
    evidenceDir = await mkdtemp(join(tmpdir(), 'sopwatch-visit-'));
    result = await analyzeClip({ clipPath: PERSON_CLIP, sops, fps: 2, evidenceDir });
  }, 600_000);

  it('flags exactly the visits that are too short', () => {
    const tooShort = result.violations.filter((v) => v.kind === 'too_short');
    expect(tooShort.length).toBe(VISITS.filter((v) => v.tooShort).length);
    for (const visit of VISITS) {
      const flagged = tooShort.filter((v) => overlaps(v, visit));
      expect(flagged.length, `visit ${visit.startS}-${visit.endS} s`).toBe(visit.tooShort ? 1 : 0);
    }
    expect(result.violations.filter((v) => v.kind !== 'too_short')).toEqual([]);
  });

  it('reports each violation in the spec shape with evidence written', async () => {
    const files = await readdir(evidenceDir);
    for (const v of result.violations) {
      expect(v).toMatchObject({ sop: 'station-visit', rule: 'visit-min', camera: 'station-1', decidedBy: 'detector', severity: 'medium' });
      expect(v.end).toBeGreaterThan(v.start);
      expect(v.end - v.start).toBeLessThan(14);
      expect(v.evidence.length).toBeGreaterThan(0);
      for (const e of v.evidence) expect(files).toContain(e);
    }
    expect(files).toContain('timeline.jpg');
    expect(result.complete).toBe(true);
    expect(result.frames).toBeGreaterThan(270);
  });
});

describeFootage('analysis on intel_bottle-detection.mp4', [BOTTLE_CLIP], () => {
  let result: ClipAnalysisResult;
  afterAll(() => undefined);
  beforeAll(async () => {
    const { sops, errors } = await loadSopDir([join(FIXTURES, 'bottles.yaml')]);
    expect(errors).toEqual([]);
    result = await analyzeClip({ clipPath: BOTTLE_CLIP, sops, fps: 5 });
  }, 600_000);

  it('catches each time a bottle is missing for more than 2 s, and nothing else', () => {
    const gaps = result.violations.filter((v) => v.kind === 'gap');
    for (const span of MISSING) {
      expect(gaps.filter((g) => overlaps(g, span)).length, `missing ${span.startS}-${span.endS} s`).toBe(1);
    }
    expect(gaps.length).toBe(MISSING.length);
  });
});
