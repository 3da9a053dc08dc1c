// A clip damaged in the middle (bytes overwritten in an MPEG-TS file): analysed before and after the damage, the
// stretch itself reported as not analysed, never as compliant, in the result, the report and the API.
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeClip, formatReport, type ClipAnalysisResult } from '../../services/analysis/index.ts';
import { findStreamGaps, probeClip } from '../../services/ingester/index.ts';
import { loadSopFile } from '../../services/rules/sop-loader.ts';
import { H264, makeClip, tempDir } from '../fixtures/media.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const { dir, remove } = tempDir('damaged');
afterAll(remove);
let damaged: string;

/** Overwrites the middle fifth of a 12 s MPEG-TS clip (40 % to 60 % of its bytes) with pseudo-random bytes. */
function damage(src: string, dst: string): void {
  const bytes = readFileSync(src);
  let seed = 7;
  for (let i = Math.floor(bytes.length * 0.4); i < Math.floor(bytes.length * 0.6); i += 1) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    bytes[i] = seed >>> 24;
  }
  writeFileSync(dst, bytes);
}

beforeAll(() => {
  const whole = makeClip(dir, 'whole.ts', { seconds: 12, width: 160, height: 120, codec: [...H264, '-g', '25'], extra: ['-f', 'mpegts'] });
  damaged = join(dir, 'damaged.ts');
  damage(whole, damaged);
});

describe('a damaged middle', () => {
  it('is found from the packets\' timestamps; the intact clip has none', async () => {
    const gaps = await findStreamGaps(await probeClip(damaged));
    expect(gaps).toHaveLength(1);
    const [gap] = gaps;
    // About the middle fifth of 12 s.
    expect(gap?.startMs).toBeGreaterThan(3500);
    expect(gap?.startMs).toBeLessThan(5500);
    expect(gap?.endMs).toBeGreaterThan(6500);
    expect(gap?.endMs).toBeLessThan(8500);
    expect(await findStreamGaps(await probeClip(join(dir, 'whole.ts')))).toEqual([]);
  });

  describe('analysis', () => {
    let result: ClipAnalysisResult;
    beforeAll(async () => {
      const loaded = await loadSopFile(join(ROOT, 'test/fixtures/sop/station-visit.yaml'));
      if (!loaded.ok) throw new Error('fixture SOP does not load');
      result = await analyzeClip({ clipPath: damaged, sops: [loaded.sop], fps: 2 });
    }, 300_000);

    it('runs before and after the damage and reports the stretch as not analysed', () => {
      expect(result.notAnalysed).toHaveLength(1);
      const span = result.notAnalysed?.[0];
      expect(span?.reason).toMatch(/not analysed/);
      const skipped = Math.ceil(((span?.end ?? 0) - (span?.start ?? 0)) * 2) - 1;
      // 12 s at 2 fps = 24 frames on the grid; those inside the hole are not analysed.
      expect(result.frames).toBeGreaterThanOrEqual(24 - skipped - 1);
      expect(result.frames).toBeLessThanOrEqual(24 - skipped + 1);
      expect(result.frames).toBeGreaterThan(15);
    });

    it('says so in the report, and nothing in the stretch is a result', () => {
      expect(formatReport(result)).toMatch(/NOT ANALYSED 0:0\d\.\d–0:0\d\.\d: no readable video .* \(not compliant either\)/);
      const span = result.notAnalysed?.[0] ?? { start: 0, end: 0 };
      for (const v of [...result.violations, ...result.needsReview]) expect(v.start >= span.end || v.end <= span.start).toBe(true);
    });
  });
});
