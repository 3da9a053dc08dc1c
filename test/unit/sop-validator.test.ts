// The SOP schema's validator is compiled once and kept as a module: loaded from there it finds exactly the errors a
// fresh compile finds, and a kept module that is damaged, or a folder that cannot be written, costs only the time.
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import { afterEach, describe, expect, it } from 'vitest';
import { sopJsonSchema } from '../../services/rules/sop-file.schema.ts';
import { loadSopValidator, VALIDATOR_CACHE_DIR } from '../../services/rules/sop-validator.ts';

const LIBRARY = fileURLToPath(new URL('../../sop-rules/', import.meta.url));
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A folder of its own beside the real cache (inside the project, where the kept module finds ajv's helpers). */
function freshDir(): string {
  const dir = join(VALIDATOR_CACHE_DIR, '..', `sop-validator-test-${randomBytes(4).toString('hex')}`);
  dirs.push(dir);
  return dir;
}

/** The library's SOP files and broken copies of the first: every kind of error the loader turns into a sentence. */
function documents(): unknown[] {
  const files = readdirSync(LIBRARY).filter((f) => f.endsWith('.yaml'));
  expect(files.length).toBeGreaterThan(2);
  const good = files.map((f) => parse(readFileSync(join(LIBRARY, f), 'utf8')) as Record<string, unknown>);
  const base = good[0] as Record<string, unknown> & { rules: Array<Record<string, unknown>> };
  const rule = base.rules[0] as Record<string, unknown>;
  const broken = [
    { ...base, colour: 'red' },
    { ...base, version: 2 },
    { ...base, rules: [{ ...rule, kind: 'duraton' }] },
    { ...base, rules: [{ ...rule, severity: 3 }] },
    { ...base, rules: [{ ...rule, id: undefined }] },
    { ...base, rules: [{ ...rule, max: 'twenty seconds', min: '2 fortnights' }] },
    { ...base, zones: { '*': { sink: [[0.1, 0.1], [0.2, 'x'], [0.3, 0.3]] } } },
    { ...base, rules: 'none' },
    {},
    null,
  ];
  return [...good, ...broken];
}

describe('loadSopValidator', () => {
  it('compiles and keeps the validator (in place of one for another schema), then loads it, and both find the errors a fresh compile finds', () => {
    const dir = freshDir();
    mkdirSync(dir, { recursive: true });
    const stale = join(dir, 'sop-validator.0000000000000000.cjs');
    writeFileSync(stale, 'module.exports = () => true;\n');
    const first = loadSopValidator(dir);
    expect(first.from).toBe('compiled');
    expect(statSync(first.path).isFile()).toBe(true);
    expect(readdirSync(dir)).toEqual([first.path.split('/').pop()]);
    const kept = loadSopValidator(dir);
    expect(kept).toMatchObject({ from: 'cache', path: first.path });

    const fresh = new Ajv({ allErrors: true, strict: true, verbose: true }).compile(sopJsonSchema());
    let invalid = 0;
    for (const doc of documents()) {
      const want = fresh(doc);
      if (!want) invalid++;
      for (const v of [first.validate, kept.validate]) {
        expect(v(doc)).toBe(want);
        // The errors the messages are made from: keyword, path, params, and the schema and data each is about.
        expect(v.errors ?? null).toEqual(fresh.errors ?? null);
      }
    }
    expect(invalid).toBeGreaterThanOrEqual(8);
  });

  it('a kept module that does not load is compiled again and replaced', () => {
    const dir = freshDir();
    const { path } = loadSopValidator(freshDir());
    mkdirSync(dir, { recursive: true });
    const damaged = join(dir, path.split('/').pop() as string);
    writeFileSync(damaged, 'module.exports = (function broken( {');
    const again = loadSopValidator(dir);
    expect(again.from).toBe('compiled');
    expect(again.validate({})).toBe(false);
    expect(readFileSync(damaged, 'utf8')).not.toContain('broken');
  });

  it('where nothing can be written it compiles in memory, and says so', () => {
    const dir = freshDir();
    mkdirSync(join(dir, '..'), { recursive: true });
    writeFileSync(dir, 'a file where the folder would be');
    const v = loadSopValidator(join(dir, 'inside'));
    expect(v.from).toBe('memory');
    expect(v.validate({ version: 1 })).toBe(false);
    expect(readdirSync(join(dir, '..')).filter((f) => f.startsWith('.sop-validator'))).toEqual([]);
  });
});
