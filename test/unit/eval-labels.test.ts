// Labels files: one schema, errors at their line and column, clips found beside the file or in the media root.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkLabelsText, labelsFiles, loadLabelsFile } from '../../services/eval/index.ts';
import { tempDir } from '../fixtures/media.ts';

const SOP = resolve(import.meta.dirname, '../fixtures/sop/station-visit.yaml');

describe('labels files', () => {
  const tmp = tempDir('labels');
  afterAll(() => tmp.remove());

  it('accepts a well-formed file', () => {
    const r = checkLabelsText('clip: a.mp4\nsop: s.yaml\nfps: 2\nviolations:\n  - { rule: r, kind: gap, start: 1, end: 2, may: true }\n', 'l.yaml');
    expect(r.errors).toEqual([]);
    expect(r.data?.violations[0]).toEqual({ rule: 'r', kind: 'gap', start: 1, end: 2, may: true });
  });

  it('places schema problems at their line and column', () => {
    const text = [
      'clip: a.mp4',
      'sop: s.yaml',
      'fsp: 2',
      'violations:',
      '  - { rule: r, kind: gapp, start: 1, end: 2 }',
      '  - rule: r',
      '    kind: gap',
      '    start: -1',
      '    end: 3',
      '  - { rule: r, kind: gap, start: 5, end: 4 }',
    ].join('\n');
    const r = checkLabelsText(text, 'l.yaml');
    expect(r.data).toBeUndefined();
    const shown = r.errors.map((e) => `${e.line}:${e.column}: ${e.message}`);
    expect(shown).toContain('3:1: unknown key "fsp" (did you mean "fps"?)');
    expect(shown).toContain('5:22: unknown violation kind "gapp" (did you mean "gap"?)');
    expect(shown).toContain('8:12: "start" must be at least 0');
    // end before start is told once the shape is right.
    const order = checkLabelsText('clip: a\nsop: s\nviolations:\n  - { rule: r, kind: gap, start: 5, end: 4 }\n', 'l.yaml');
    expect(order.errors.map((e) => `${e.line}:${e.column}: ${e.message}`)).toEqual(['4:42: label 1 ends (4 s) before it starts (5 s)']);
  });

  it('tells missing keys, a non-mapping and YAML syntax errors', () => {
    expect(checkLabelsText('clip: a\n', 'l.yaml').errors.map((e) => e.message)).toEqual(expect.arrayContaining(['missing required key "sop" at the top of the file', 'missing required key "violations" at the top of the file']));
    expect(checkLabelsText('- 1\n', 'l.yaml').errors[0]?.message).toBe('a labels file must be a YAML mapping with clip, sop and violations');
    expect(checkLabelsText('clip: [a\n', 'l.yaml').errors[0]?.message).toMatch(/^YAML syntax/);
  });

  it('finds the clip beside the file, checks rules and kinds against the SOP', async () => {
    mkdirSync(join(tmp.dir, 'clips'));
    writeFileSync(join(tmp.dir, 'clips', 'c.mp4'), 'not really a clip');
    const file = join(tmp.dir, 'ok.yaml');
    writeFileSync(file, `clip: clips/c.mp4\nsop: ${SOP}\nviolations:\n  - { rule: visit-min, kind: too_short, start: 1, end: 2 }\n`);
    const ok = await loadLabelsFile(file, tmp.dir);
    expect(ok.ok && ok.value.clipPath).toBe(join(tmp.dir, 'clips', 'c.mp4'));
    expect(ok.ok && ok.value.sop.id).toBe('station-visit');

    const bad = join(tmp.dir, 'bad.yaml');
    writeFileSync(bad, `clip: clips/c.mp4\nsop: ${SOP}\nviolations:\n  - { rule: visit-mn, kind: too_short, start: 1, end: 2 }\n  - { rule: visit-min, kind: gap, start: 1, end: 2 }\n`);
    const refused = await loadLabelsFile(bad, tmp.dir);
    expect(refused.errors.map((e) => `${e.line}:${e.column}: ${e.message}`)).toEqual([
      '4:13: SOP "station-visit" has no rule "visit-mn" (did you mean "visit-min"?)',
      '5:30: a duration rule never raises "gap"; use one of too_short, too_long',
    ]);
  });

  it('looks in the media root when the clip is not beside the file, and says where it looked', async () => {
    const media = join(tmp.dir, 'media');
    mkdirSync(media);
    writeFileSync(join(media, 'm.mp4'), 'x');
    const file = join(tmp.dir, 'media-clip.yaml');
    writeFileSync(file, `clip: m.mp4\nsop: ${SOP}\nviolations: []\n`);
    const found = await loadLabelsFile(file, media);
    expect(found.ok && found.value.clipPath).toBe(join(media, 'm.mp4'));
    const missing = await loadLabelsFile(file, join(tmp.dir, 'elsewhere'));
    expect(missing.errors[0]).toMatchObject({ line: 1, column: 7 });
    expect(missing.errors[0]?.message).toContain('clip not found');
  });

  it('lists the yaml files of a folder in order', async () => {
    const dir = join(tmp.dir, 'set');
    mkdirSync(dir);
    for (const n of ['b.yaml', 'a.yml', 'notes.txt']) writeFileSync(join(dir, n), '');
    expect(await labelsFiles([dir])).toEqual([join(dir, 'a.yml'), join(dir, 'b.yaml')]);
  });
});
