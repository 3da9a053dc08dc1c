// The SOP explanation in Chinese: every file of the library reads without English outside the file's own names
// (zones, camera ids, time zones, the model's questions), and uses the Chinese titles the file gives.
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { explainSopZh } from '../../services/rules/sop-explain-zh.ts';
import { loadSopFile } from '../../services/rules/sop-loader.ts';

const LIBRARY = join(import.meta.dirname, '../../sop-rules');

describe('the SOP explanation in Chinese', () => {
  it('explains every library file with its Chinese titles and no English words of its own', async () => {
    const files = (await readdir(LIBRARY)).filter((f) => f.endsWith('.yaml')).sort();
    expect(files.length).toBeGreaterThan(5);
    for (const name of files) {
      const load = await loadSopFile(join(LIBRARY, name));
      if (!load.ok) throw new Error(`${name} is invalid`);
      const sop = load.sop;
      const text = explainSopZh(sop);
      expect(text.split('\n')[0], name).toBe(`${sop.titleZh ?? ''}（${sop.id}，第 ${sop.revision ?? 1} 版）`);
      for (const rule of sop.rules) expect(text, name).toContain(`. ${rule.titleZh ?? 'missing title_zh'}\n`);
      // What is left once the file's own words are taken out must be Chinese (and numbers, units, punctuation).
      const own = [
        sop.id, ...sop.cameras, ...Object.keys(sop.zones), ...Object.values(sop.zones).flatMap((z) => Object.keys(z)),
        ...sop.rules.flatMap((r) => [
          ...(r.kind === 'sequence' ? r.steps.flatMap((s) => (s.verify ? [s.verify.question] : [])) : []),
          ...(r.kind === 'forbidden' && r.verify ? [r.verify.question] : []),
          ...(r.kind === 'required' && r.schedule ? [r.schedule.tz] : []),
        ]),
      ].sort((a, b) => b.length - a.length);
      let rest = text;
      for (const word of own) rest = rest.split(word).join('');
      expect(rest.match(/[A-Za-z]{2,}/g) ?? [], name).toEqual([]);
    }
  });
});
