// `sopwatch sop ...` run as a real child process: exit codes, file:line:col errors on stderr, --json, explain, schema.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { run } from '../../services/cli/sop.command.ts';
import { sopJsonSchemaText } from '../../services/rules/sop-file.schema.ts';
import { pos } from './sop-helpers.ts';

const ROOT = new URL('../../', import.meta.url).pathname;

/** The command in this process (cheaper than a child process), with what it wrote to stdout and stderr. */
async function inProcess(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    stdout += String(chunk);
    return true;
  });
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    stderr += String(chunk);
    return true;
  });
  try {
    return { code: await run(args), stdout, stderr };
  } finally {
    vi.restoreAllMocks();
  }
}

afterEach(() => {
  vi.restoreAllMocks();
});

function sopwatch(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('node', ['bin/sopwatch.mjs', ...args], { cwd: ROOT, timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : -1;
      resolve({ code, stdout, stderr });
    });
  });
}

describe('sopwatch sop validate', () => {
  it('accepts the whole library with exit 0', async () => {
    const r = await sopwatch('sop', 'validate', 'sop-rules/');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('6 files: 6 valid, 0 refused');
  });

  it('reports every mistake of a broken copy of a library file at its line and column, exit 1', async () => {
    const original = readFileSync(join(ROOT, 'sop-rules/espresso-bar.yaml'), 'utf8');
    const broken = original
      .replace('trigger: { person_in: grinder }', 'trigger: { person_in: grindr }')
      .replace('within: 90s', 'within: 90 seconds')
      .replace('object: cell phone, in: machine', 'object: cellphone, in: machine')
      .replace('severity: high', 'severity: urgent')
      .replace('        verify: {', '        verfy: {')
      .replace('[0.60, 0.75], [0.30, 0.75]]', '[0.60, 1.75]]');
    expect(broken).not.toBe(original);
    const dir = mkdtempSync(join(tmpdir(), 'sop-cli-'));
    const file = join(dir, 'espresso-bar.yaml');
    writeFileSync(file, broken);
    writeFileSync(join(dir, 'hand-washing.yaml'), readFileSync(join(ROOT, 'sop-rules/hand-washing.yaml')));
    const r = await sopwatch('sop', 'validate', dir);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toEqual([
      `${file}:${pos(broken, '1.75')}: coordinate 1.75 is outside 0..1 (points are fractions of the image width and height)`,
      `${file}:${pos(broken, 'grindr')}: unknown zone "grindr" (did you mean "grinder"?)`,
      `${file}:${pos(broken, 'within: 90 seconds', 0, 8)}: bad duration "90 seconds": use a number and a unit: 500ms, 20s, 1.5s, 2m, 1h, or combined as 1m30s`,
      `${file}:${pos(broken, 'verfy')}: unknown key "verfy" (did you mean "verify"?)`,
      `${file}:${pos(broken, 'cellphone')}: unknown COCO label "cellphone" (did you mean "cell phone"?)`,
      `${file}:${pos(broken, 'urgent')}: unknown severity "urgent"; use one of low, medium, high`,
    ]);
    expect(r.stdout).toContain(`refused  ${file} (6 problems)`);
    expect(r.stdout).toContain('ok       ');
    expect(r.stdout).toContain('2 files: 1 valid, 1 refused');
  });

  it('prints files, ids and positioned errors as JSON with --json', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sop-cli-'));
    writeFileSync(join(dir, 'a.yaml'), 'id: a\ntitle: A\nversion: 1\ncameras: [c]\nrules:\n  - id: r\n    kind: forbidden\n    when: { object: cup, in: shelf }\n');
    const r = await sopwatch('sop', 'validate', '--json', join(dir, 'a.yaml'), 'sop-rules/espresso-bar.yaml');
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toEqual({
      files: [
        { file: join(dir, 'a.yaml'), ok: false, id: 'a', errors: [{ line: 8, column: 30, message: 'unknown zone "shelf": the file defines no zones' }] },
        { file: 'sop-rules/espresso-bar.yaml', ok: true, id: 'espresso-bar', errors: [] },
      ],
    });
  });

  it('exits 2 on usage errors', async () => {
    expect((await inProcess('validate')).code).toBe(2);
    expect((await inProcess('validate', '--strict', 'sop-rules/')).code).toBe(2);
    expect((await inProcess('frobnicate')).code).toBe(2);
    expect((await inProcess('explain')).code).toBe(2);
    expect((await inProcess('schema', '--out')).code).toBe(2);
    const empty = mkdtempSync(join(tmpdir(), 'sop-cli-'));
    const r = await inProcess('validate', empty);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('no .yaml or .yml files');
  });

  it('has --help for each subcommand', async () => {
    for (const sub of ['validate', 'explain', 'schema']) {
      const r = await inProcess(sub, '--help');
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`Usage: sopwatch sop ${sub}`);
    }
  });
});

describe('sopwatch sop explain', () => {
  it('says what each rule flags, where, for how long, and what the model is asked', async () => {
    const r = await sopwatch('sop', 'explain', 'sop-rules/hand-washing.yaml');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Flags a spell of hands in zone sink that lasts less than 20 s (too_short).');
    expect(r.stdout).toContain('asks the model "Is the person washing their hands with soap under running water?" about 3 frames');
    expect(r.stdout).toContain('Shadow mode');
  });

  it('lists the errors of an invalid file and exits 1', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sop-cli-'));
    writeFileSync(join(dir, 'x.yaml'), 'id: x\n');
    const r = await inProcess('explain', join(dir, 'x.yaml'));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${join(dir, 'x.yaml')}:1:1: missing required key "title"`);
  });
});

describe('sopwatch sop schema', () => {
  it('prints the schema, or writes it with --out', async () => {
    const printed = await inProcess('schema');
    expect(printed.code).toBe(0);
    expect(printed.stdout).toBe(sopJsonSchemaText());
    const out = join(mkdtempSync(join(tmpdir(), 'sop-cli-')), 'schema.json');
    const written = await inProcess('schema', '--out', out);
    expect(written.code).toBe(0);
    expect(readFileSync(out, 'utf8')).toBe(sopJsonSchemaText());
  });
});
