// `sopwatch eval` on the repository's labels for a short public clip: the exact table it must print.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const MEDIA = resolve(ROOT, '../shared/media');
const LABELS = join(ROOT, 'eval/labels/intel_bottle-detection.yaml');
const run = promisify(execFile);

describe.skipIf(!existsSync(join(MEDIA, 'intel_bottle-detection.mp4')))('sopwatch eval on intel_bottle-detection.mp4 (needs ../shared/media)', () => {
  it('finds the three labelled gaps, misses none, adds none, and states the match rule', async () => {
    const { stdout, stderr } = await run(process.execPath, ['bin/sopwatch.mjs', 'eval', LABELS], {
      cwd: ROOT, env: { ...process.env, SOPWATCH_MEDIA: MEDIA }, maxBuffer: 4 << 20,
    });
    const rows = stdout.split('\n').map((l) => l.trim().split(/\s{2,}/));
    expect(rows).toContainEqual(['rule', 'clips', 'labels', 'found', 'missed', 'extra', 'may', 'precision', 'recall']);
    expect(rows).toContainEqual(['bottles-in-place/three-bottles', '1', '3', '3', '0', '0', '0', '1.00', '1.00']);
    expect(rows).toContainEqual(['total', '1', '3', '3', '0', '0', '0', '1.00', '1.00']);
    expect(stdout).toContain('../shared/media/intel_bottle-detection.mp4 (bottles-in-place, 39.9 s, 199 frames): 3 found, 0 missed, 0 extra');
    expect(stdout).toContain('both its start and its end are within 3 s of the label\'s');
    // The progress bar goes to stderr (no terminal here: one line per 10 %).
    expect(stderr).toContain('eval 1/1 intel_bottle-detection.mp4: 100% 199 frames');
  }, 600_000);

  it('refuses a labels file with problems, at their line and column, before analysing anything', async () => {
    const bad = join(ROOT, 'test/fixtures/labels/bad-rule.yaml');
    const err = await run(process.execPath, ['bin/sopwatch.mjs', 'eval', '--quiet', bad], { cwd: ROOT, env: { ...process.env, SOPWATCH_MEDIA: MEDIA } })
      .then(() => undefined, (e: { code: number; stderr: string; stdout: string }) => e);
    expect(err?.code).toBe(1);
    expect(err?.stderr).toContain(`${bad}:5:13: SOP "bottles-in-place" has no rule "three-bottle" (did you mean "three-bottles"?)`);
    expect(err?.stdout.split('\n').map((l) => l.trim().split(/\s{2,}/))).toContainEqual(['total', '0', '0', '0', '0', '0', '0', '-', '-']);
  }, 60_000);
});
