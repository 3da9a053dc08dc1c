// bin/bundle.mjs: TypeScript entries run as esbuild bundles, kept while their sources stay the same and built again
// when one changes; each module keeps its own import.meta.url; processes building at once agree on one bundle.
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { bundle } from '../../bin/bundle.mjs';
import { bundledEntry } from '../../services/core/bundled-entry.ts';
import { parseEnv } from '../../services/core/env.ts';
import { createDetector } from '../../services/detector/index.ts';
import { SAMPLES_JPG, imageFrame } from './detector-helpers.ts';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PERSONS = { persons: true, pose: false, hands: false, objects: false, faces: false };
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('bin/bundle.mjs', () => {
  it('bundles an entry, keeps it while the sources stay the same, and builds again when one changes', async () => {
    const root = mkdtempSync(join(tmpdir(), 'sopwatch-bundle-'));
    dirs.push(root);
    const lib = join(root, 'lib');
    mkdirSync(lib);
    writeFileSync(join(root, 'entry.ts'), [
      "import { where, value } from './lib/dep.ts';",
      'export const answer = (): string => value;',
      'export { where };',
      "export { whereJs, dirJs } from './lib/plain.mjs';",
      "export const later = async (): Promise<string> => (await import('./lib/lazy.ts')).lazy;",
      '',
    ].join('\n'));
    const dep = (value: string): void => writeFileSync(join(lib, 'dep.ts'), `export const value: string = '${value}';\nexport const where = import.meta.url;\n`);
    dep('one');
    writeFileSync(join(lib, 'lazy.ts'), "export const lazy: string = 'lazy';\n");
    // Spelled in parts here so that this test file, bundled by nothing, still reads plainly.
    writeFileSync(join(lib, 'plain.mjs'), `export const whereJs = import.meta${'.'}url;\nexport const dirJs = import.meta${'.'}dirname;\n`);
    const entry = join(root, 'entry.ts');

    const first = await bundle(entry, 'probe', { root, splitting: true });
    expect(first.built).toBe(true);
    expect(fileURLToPath(first.url).startsWith(join(root, 'node_modules', '.cache', 'sopwatch'))).toBe(true);
    const a = (await import(first.url.href)) as { answer(): string; where: string; whereJs: string; dirJs: string; later(): Promise<string> };
    expect(a.answer()).toBe('one');
    // The module's own location, not the bundle's: paths built from it stay right.
    expect(a.where).toBe(pathToFileURL(join(lib, 'dep.ts')).href);
    // JavaScript modules too (bin/bundle.mjs finds the project from its own location inside the command's bundle).
    expect(a.whereJs).toBe(pathToFileURL(join(lib, 'plain.mjs')).href);
    expect(a.dirJs).toBe(lib);
    expect(await a.later()).toBe('lazy');
    // The lazy module is a chunk of its own (a command loads only what it runs).
    expect(readdirSync(join(fileURLToPath(first.url), '..')).length).toBeGreaterThan(1);

    const again = await bundle(entry, 'probe', { root, splitting: true });
    expect(again).toEqual({ url: first.url, built: false });

    dep('two');
    const changed = await bundle(entry, 'probe', { root, splitting: true });
    expect(changed.built).toBe(true);
    expect(changed.url.href).not.toBe(first.url.href);
    expect(((await import(changed.url.href)) as { answer(): string }).answer()).toBe('two');

    // Touched but the same bytes: the sources are read and hashed, and the kept bundle serves.
    dep('two');
    expect(await bundle(entry, 'probe', { root, splitting: true })).toEqual({ url: changed.url, built: false });
  });

  it('packages it is told to require load through require: their exports are all there, and the option is part of the key', async () => {
    const root = mkdtempSync(join(tmpdir(), 'sopwatch-bundle-'));
    dirs.push(root);
    // A CommonJS package whose export Node's scan for ESM names cannot see (assigned in a loop): an ESM import of it
    // has no 'hidden'; loaded through require it has.
    const pkg = join(root, 'node_modules', 'cjs-probe');
    mkdirSync(pkg, { recursive: true });
    writeFileSync(join(pkg, 'package.json'), JSON.stringify({ name: 'cjs-probe', version: '1.0.0', main: 'index.js' }));
    writeFileSync(join(pkg, 'index.js'), "for (const [k, v] of [['hidden', 42]]) module.exports[k] = v;\n");
    writeFileSync(join(root, 'entry.ts'), "import * as probe from 'cjs-probe';\nexport const hidden = (probe as { hidden?: number }).hidden;\n");
    const plain = await bundle(join(root, 'entry.ts'), 'plain', { root });
    expect(((await import(plain.url.href)) as { hidden?: number }).hidden).toBeUndefined();
    const required = await bundle(join(root, 'entry.ts'), 'required', { root, require: ['cjs-probe'] });
    expect(((await import(required.url.href)) as { hidden?: number }).hidden).toBe(42);
    // The same sources bundled without the option are another bundle, not the kept one.
    const again = await bundle(join(root, 'entry.ts'), 'required', { root });
    expect(again.built).toBe(true);
    expect(((await import(again.url.href)) as { hidden?: number }).hidden).toBeUndefined();
  });

  it('packages it is told to inline are bundled with what they import, are sources of the bundle, and the option is part of the key', async () => {
    const root = mkdtempSync(join(tmpdir(), 'sopwatch-bundle-'));
    dirs.push(root);
    // A CommonJS package with a dependency of its own nested under it (where the bundle's folder would not find it),
    // which reads Node's `process` through require.
    const pkg = join(root, 'node_modules', 'inline-probe');
    const dep = join(pkg, 'node_modules', 'inline-dep');
    mkdirSync(dep, { recursive: true });
    writeFileSync(join(pkg, 'package.json'), JSON.stringify({ name: 'inline-probe', version: '1.0.0', main: 'index.js' }));
    writeFileSync(join(pkg, 'index.js'), "exports.value = require('inline-dep').value + (typeof require('process').pid);\n");
    writeFileSync(join(dep, 'package.json'), JSON.stringify({ name: 'inline-dep', version: '1.0.0', main: 'index.js' }));
    const depValue = (v: string): void => writeFileSync(join(dep, 'index.js'), `exports.value = '${v}';\n`);
    depValue('one');
    writeFileSync(join(root, 'entry.ts'), "import { value } from 'inline-probe';\nexport const answer = (): string => value;\n");
    const entry = join(root, 'entry.ts');

    const inlined = await bundle(entry, 'inlined', { root, inline: ['inline-probe'] });
    expect(((await import(inlined.url.href)) as { answer(): string }).answer()).toBe('onenumber');
    const manifest = JSON.parse(readFileSync(join(root, 'node_modules', '.cache', 'sopwatch', 'inlined.json'), 'utf8')) as { inputs: string[] };
    expect(manifest.inputs).toEqual(expect.arrayContaining([join('node_modules', 'inline-probe', 'index.js'), join('node_modules', 'inline-probe', 'node_modules', 'inline-dep', 'index.js')]));
    // A change inside the package builds the bundle again.
    depValue('two');
    const changed = await bundle(entry, 'inlined', { root, inline: ['inline-probe'] });
    expect(changed.built).toBe(true);
    expect(((await import(changed.url.href)) as { answer(): string }).answer()).toBe('twonumber');

    // Without the option the package stays an import, resolved by Node at run time: gone, the bundle no longer loads,
    // while the inlined one still runs.
    const plain = await bundle(entry, 'inlined', { root });
    expect(plain.built).toBe(true);
    rmSync(pkg, { recursive: true, force: true });
    await expect(import(`${plain.url.href}?gone`)).rejects.toThrow(/inline-probe/);
    expect(((await import(`${changed.url.href}?gone`)) as { answer(): string }).answer()).toBe('twonumber');
  });

  it("a checkout with a copy of another's node_modules builds its own bundles (they hold their sources' paths)", async () => {
    const one = mkdtempSync(join(tmpdir(), 'sopwatch-bundle-'));
    const two = mkdtempSync(join(tmpdir(), 'sopwatch-bundle-'));
    dirs.push(one, two);
    writeFileSync(join(one, 'entry.ts'), 'export const where = import.meta.url;\n');
    const first = await bundle(join(one, 'entry.ts'), 'copied', { root: one });
    cpSync(one, two, { recursive: true });
    const second = await bundle(join(two, 'entry.ts'), 'copied', { root: two });
    expect(second.built).toBe(true);
    expect(((await import(second.url.href)) as { where: string }).where).toBe(pathToFileURL(join(two, 'entry.ts')).href);
    expect(((await import(first.url.href)) as { where: string }).where).toBe(pathToFileURL(join(one, 'entry.ts')).href);
  });

  it('processes building the same sources at once end with one working bundle', async () => {
    const root = mkdtempSync(join(tmpdir(), 'sopwatch-bundle-'));
    dirs.push(root);
    writeFileSync(join(root, 'entry.ts'), "export const n: number = 42;\n");
    const all = await Promise.all([1, 2, 3, 4].map(() => bundle(join(root, 'entry.ts'), 'race', { root })));
    expect(new Set(all.map((b) => b.url.href)).size).toBe(1);
    expect(((await import(all[0]!.url.href)) as { n: number }).n).toBe(42);
    // No temporary folder or manifest is left behind.
    expect(readdirSync(join(root, 'node_modules', '.cache', 'sopwatch')).filter((f) => f.startsWith('.'))).toEqual([]);
  });

  it('a syntax error in a source is an error, so that the caller falls back to the loader', async () => {
    const root = mkdtempSync(join(tmpdir(), 'sopwatch-bundle-'));
    dirs.push(root);
    writeFileSync(join(root, 'entry.ts'), 'export const = ;\n');
    await expect(bundle(join(root, 'entry.ts'), 'broken', { root })).rejects.toThrow();
  });

  it('detector threads start from the bundle and answer as through tsx (SOPWATCH_BUNDLE=0, in a child process)', async () => {
    const frame = await imageFrame(SAMPLES_JPG);
    const bundled = await createDetector({ needs: PERSONS, threads: 1 });
    const viaBundle = await bundled.detect(frame).finally(() => bundled.close());
    const kept = readdirSync(join(ROOT, 'node_modules', '.cache', 'sopwatch'));
    expect(kept.some((f) => f.startsWith('detector.worker.') && !f.endsWith('.json'))).toBe(true);
    expect(viaBundle.items.filter((i) => i.kind === 'person').length).toBeGreaterThan(3);
    const { stdout } = await run(process.execPath, ['--import', 'tsx', join(ROOT, 'test/fixtures/detect-once.ts'), SAMPLES_JPG], {
      cwd: ROOT,
      env: { ...process.env, SOPWATCH_BUNDLE: '0' },
    });
    const viaTsx = JSON.parse(stdout) as { entry: string; items: unknown[] };
    expect(viaTsx.entry).toBe('tsx');
    expect(viaTsx.items).toEqual(viaBundle.items);
    expect(parseEnv({}).bundleWorkers).toBe(true);
    expect(() => parseEnv({ SOPWATCH_BUNDLE: 'yes' })).toThrow(/SOPWATCH_BUNDLE/);
  });

  it('the command, running from its own bundle, starts the detector threads from theirs (`sopwatch doctor` says which)', async () => {
    const doctor = await run(process.execPath, [join(ROOT, 'bin/sopwatch.mjs'), 'doctor', '--json'], { cwd: ROOT }).catch(
      (e: { stdout?: string }) => ({ stdout: e.stdout ?? '' }),
    );
    const report = JSON.parse(doctor.stdout) as { detectorThreads: { bundled: boolean; entry: string } };
    expect(report.detectorThreads.bundled).toBe(true);
    expect(report.detectorThreads.entry.startsWith(join(ROOT, 'node_modules', '.cache', 'sopwatch', 'detector.worker.'))).toBe(true);
    // And says so when they cannot.
    const loader = await run(process.execPath, [join(ROOT, 'bin/sopwatch.mjs'), 'doctor'], { cwd: ROOT, env: { ...process.env, SOPWATCH_BUNDLE: '0' } }).catch(
      (e: { stdout?: string }) => ({ stdout: e.stdout ?? '' }),
    );
    expect(loader.stdout).toMatch(/^detector threads: start through the TypeScript loader .*detector\.worker\.mjs$/m);
  });

  it('a command loads no camera library and none of the packages its bundle inlines from node_modules', async () => {
    // `analyze --help` loads the analysis modules (sharp among their packages) and stops before reading a file.
    const { stderr } = await run(process.execPath, ['--require', join(ROOT, 'test/fixtures/loaded-packages.cjs'), join(ROOT, 'bin/sopwatch.mjs'), 'analyze', '--help'], { cwd: ROOT });
    const loaded = (/^loaded packages: (.*)$/m.exec(stderr)?.[1] ?? '').split(' ');
    expect(loaded).toContain('sharp');
    for (const name of ['onvif', 'xml2js', '@sinclair/typebox', 'ajv', 'yaml']) expect(loaded).not.toContain(name);
  });

  it('`node bin/bundle.mjs` builds ahead of time exactly the bundles the command and the detector threads then use', async () => {
    await run(process.execPath, [join(ROOT, 'bin/bundle.mjs')], { cwd: ROOT });
    const { stdout } = await run(process.execPath, [join(ROOT, 'bin/bundle.mjs')], { cwd: ROOT });
    const lines = stdout.trim().split('\n');
    expect(lines.map((l) => l.split(' ').slice(0, 4).join(' '))).toEqual(['cli: up to date', 'detector.worker: up to date']);
    const worker = lines[1]?.split(' ').pop() ?? '';
    const used = await bundledEntry('detector.worker', new URL('file:///fallback'));
    expect(fileURLToPath(used)).toBe(worker);
    // A name it does not list gets the fallback: a bundle nobody builds ahead of time is not made at run time either.
    const other = await bundledEntry('not-listed', new URL('file:///fallback'));
    expect(other.href).toBe('file:///fallback');
    // `npm ci` runs it (the prepare script), so that the first command after an install does not bundle.
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts.prepare).toMatch(/^node bin\/bundle\.mjs( |$)/);
  });
});

