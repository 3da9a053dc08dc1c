// The test sequencer's weights: measured files by their seconds, unlisted browser/chaos files as long, the rest last.
import { describe, expect, it } from 'vitest';
import { FILE_SECONDS } from '../fixtures/file-seconds.ts';
import { weightOf } from '../fixtures/longest-first.ts';

describe('longest-first test order', () => {
  it('weighs a measured file by its seconds, an unlisted e2e or chaos file as long, any other unlisted file last', () => {
    const [first] = Object.entries(FILE_SECONDS).sort((a, b) => b[1] - a[1]);
    expect(first).toBeDefined();
    expect(weightOf(first?.[0] ?? '')).toBe(first?.[1]);
    expect(weightOf('test/e2e/not-measured-yet.test.ts')).toBe(30);
    expect(weightOf('test/chaos/not-measured-yet.test.ts')).toBe(30);
    expect(weightOf('test/unit/not-measured-yet.test.ts')).toBe(0);
  });

  it('lists only files that exist under the test globs', async () => {
    const { existsSync } = await import('node:fs');
    const missing = Object.keys(FILE_SECONDS).filter((f) => !existsSync(new URL(`../../${f}`, import.meta.url)));
    expect(missing).toEqual([]);
  });
});
