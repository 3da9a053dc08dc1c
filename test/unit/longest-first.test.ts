// The test sequencer's weights: measured files by their seconds, unlisted browser/chaos files as long, the rest last.
import { describe, expect, it } from 'vitest';
import { FILE_SECONDS } from '../fixtures/file-seconds.ts';
import { weightOf } from '../fixtures/longest-first.ts';

describe('longest-first test order', () => {
  it('weighs a measured file by its seconds, an unlisted e2e or chaos file as long, any other unlisted file last', () => {
    const [first] = Object.entries(FILE_SECONDS).sort((a, b) => b[1] - a[1]);
    expect(first).toBeDefined();
    expect(weightOf(first?.[0] ?? '')).toBe(first?.[1]);
    expect(weightOf('test/e2e/not-measured-yet.test.ts')).toBe(15);
    expect(weightOf('test/chaos/not-measured-yet.test.ts')).toBe(15);
    expect(weightOf('test/unit/not-measured-yet.test.ts')).toBe(0);
  });

  it('lists only files that exist under the test globs', async () => {
    const { existsSync } = await import('node:fs');
    const missing = Object.keys(FILE_SECONDS).filter((f) => !existsSync(new URL(`../../${f}`, import.meta.url)));
    expect(missing).toEqual([]);
  });
});

describe('the sequencer', () => {
  it('orders measured files by their seconds, then unlisted e2e files, then the rest by size', async () => {
    const { default: LongestFirst } = await import('../fixtures/longest-first.ts');
    const { fileURLToPath } = await import('node:url');
    const root = fileURLToPath(new URL('../..', import.meta.url)).replace(/\/$/, '');
    const files = ['test/unit/longest-first.test.ts', 'test/e2e/not-measured-yet.test.ts', 'test/medium/analyze-real.test.ts', 'test/medium/api-tus-streaming.test.ts', 'test/unit/jobs.test.ts'];
    const specs = files.map((f) => ({ moduleId: `${root}/${f}` }));
    const sequencer = new LongestFirst({ config: { root } } as unknown as ConstructorParameters<typeof LongestFirst>[0]);
    const sorted = await sequencer.sort(specs as unknown as Parameters<typeof sequencer.sort>[0]);
    const order = sorted.map((s) => s.moduleId.slice(root.length + 1));
    // The two measured files by their seconds, the unlisted e2e file as 15 s, then unlisted files largest first.
    const measured = ['test/medium/analyze-real.test.ts', 'test/medium/api-tus-streaming.test.ts'].sort((a, b) => (FILE_SECONDS[b] ?? 0) - (FILE_SECONDS[a] ?? 0));
    expect(order.slice(0, 3)).toEqual([...measured, 'test/e2e/not-measured-yet.test.ts']);
    const { statSync } = await import('node:fs');
    const rest = ['test/unit/longest-first.test.ts', 'test/unit/jobs.test.ts'].sort((a, b) => statSync(`${root}/${b}`).size - statSync(`${root}/${a}`).size);
    expect(order.slice(3)).toEqual(rest);
  });
});
