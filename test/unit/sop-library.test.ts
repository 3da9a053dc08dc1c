// The SOP library in sop-rules/ loads cleanly; directories load file by file, and ids are unique across files.
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSopDir, loadSopFile } from '../../services/rules/sop-loader.ts';

const LIBRARY = new URL('../../sop-rules/', import.meta.url).pathname;
const files = readdirSync(LIBRARY).filter((f) => f.endsWith('.yaml'));

describe('the SOP library', () => {
  it('has the procedures the project promises', () => {
    expect(files.sort()).toEqual([
      'closing-checklist.yaml', 'espresso-bar.yaml', 'hand-washing.yaml', 'kitchen-hygiene.yaml',
      'opening-checklist.yaml', 'station-attendance.yaml',
    ]);
  });

  it.each(files)('%s is valid and points editors at the schema', async (name) => {
    const load = await loadSopFile(join(LIBRARY, name));
    expect(load.errors).toEqual([]);
    const { readFile } = await import('node:fs/promises');
    expect((await readFile(join(LIBRARY, name), 'utf8')).split('\n')[0]).toBe('# yaml-language-server: $schema=./sop.schema.json');
  });

  it('covers every rule kind, verify, schedules with a time zone, shadow and smoothing', async () => {
    const { sops } = await loadSopDir([LIBRARY]);
    const rules = sops.flatMap((s) => s.rules);
    expect(new Set(rules.map((r) => r.kind))).toEqual(new Set(['duration', 'forbidden', 'required', 'sequence']));
    expect(rules.some((r) => r.kind === 'required' && r.schedule?.tz === 'Europe/London')).toBe(true);
    expect(rules.some((r) => r.kind === 'forbidden' && r.verify !== undefined)).toBe(true);
    expect(rules.some((r) => r.kind === 'sequence' && r.steps.some((s) => s.verify))).toBe(true);
    expect(rules.some((r) => r.shadow)).toBe(true);
    expect(rules.some((r) => r.kind === 'duration' && r.minMs === 20_000)).toBe(true);
    expect(rules.some((r) => r.kind === 'forbidden' && r.when.type === 'object' && r.when.label === 'cell phone')).toBe(true);
  });
});

describe('loadSopDir', () => {
  const good = (id: string) => `id: ${id}\ntitle: T\nversion: 1\ncameras: ["*"]\nrules:\n  - id: r\n    kind: forbidden\n    when: { object: cup }\n`;

  it('refuses a later file with the same id, keeps the first, and still loads the others', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sop-dir-'));
    writeFileSync(join(dir, 'a.yaml'), good('same'));
    writeFileSync(join(dir, 'b.yml'), `# a copy\n${good('same')}`);
    writeFileSync(join(dir, 'c.yaml'), 'id: broken\ntitle: [\n');
    writeFileSync(join(dir, 'd.yaml'), good('other'));
    writeFileSync(join(dir, 'notes.txt'), 'not an SOP');
    const r = await loadSopDir([dir]);
    expect(r.sops.map((s) => s.id)).toEqual(['same', 'other']);
    expect(r.files.map((f) => [f.file.slice(dir.length + 1), f.ok])).toEqual([['a.yaml', true], ['b.yml', false], ['c.yaml', false], ['d.yaml', true]]);
    const dup = r.errors.find((e) => e.file.endsWith('b.yml'));
    expect(dup).toMatchObject({ line: 2, column: 5, message: `duplicate SOP id "same": already used by ${join(dir, 'a.yaml')}:1:5` });
    expect(r.errors.some((e) => e.file.endsWith('c.yaml') && e.message.startsWith('YAML syntax'))).toBe(true);
  });

  it('reports a path that does not exist without stopping the rest', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sop-dir-'));
    writeFileSync(join(dir, 'a.yaml'), good('a'));
    const r = await loadSopDir([join(dir, 'missing.yaml'), join(dir, 'a.yaml')]);
    expect(r.sops.map((s) => s.id)).toEqual(['a']);
    expect(r.errors).toEqual([{ file: join(dir, 'missing.yaml'), line: 1, column: 1, message: 'cannot read (ENOENT)' }]);
  });
});
