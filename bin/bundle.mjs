// A TypeScript entry module of this project as JavaScript bundled by esbuild, so that a process or a worker thread
// starts without the TypeScript loader: tsx hooks every module through a loader thread of its own, about 0.5-1 CPU s
// per command and 0.3-0.6 per detector thread (BENCHMARKS.md, "Seventh session"). Plain JavaScript because the command
// starts here, before any TypeScript can load. Packages stay imports (but for a few an entry inlines, see
// externalPackages); the project's own modules are bundled into node_modules/.cache/sopwatch/<name>.<hash>/, where
// package imports resolve as from the project. A manifest lists the sources a bundle was built from; a change to any of
// them builds it again. Nothing here is in the repository.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** Bump when the way bundles are built changes. */
const FORMAT = 3;
const PROJECT = resolve(fileURLToPath(new URL('../', import.meta.url)));

/** Where a project's bundles (and other things compiled once per install) are kept. */
export function cacheDir(root = PROJECT) {
  return join(root, 'node_modules', '.cache', 'sopwatch');
}

/**
 * Whether an import specifier names one of these packages or a module inside one.
 * @param {readonly string[]} names package names
 */
function inPackages(names) {
  return (/** @type {string} */ spec) => names.some((n) => spec === n || spec.startsWith(`${n}/`));
}
/** Bundles of older sources are removed once this old (a running process may still start a worker from one). */
const STALE_MS = 24 * 3600_000;

/** @typedef {{ format: number, esbuild: string, settings: string, inputs: string[], hash: string, stamps: string }} Manifest */

/**
 * Size and modification time of each input: when none changed, the sources are not read again.
 * @param {string} root
 * @param {readonly string[]} inputs root-relative paths
 */
function stampsOf(root, inputs) {
  return inputs
    .map((input) => {
      const s = statSync(join(root, input), { throwIfNoEntry: false });
      return s === undefined ? '-' : `${s.size}:${s.mtimeMs}`;
    })
    .join(',');
}

/**
 * @param {string} root
 * @param {string} esbuildVersion
 * @param {string} settings how the bundle is built (its options, as JSON)
 * @param {readonly string[]} inputs root-relative paths
 * @returns {string | undefined} undefined when an input is gone
 */
function hashOf(root, esbuildVersion, settings, inputs) {
  const h = createHash('sha256').update(`${FORMAT}\0${esbuildVersion}\0${settings}\0`);
  for (const input of inputs) {
    const path = join(root, input);
    if (!existsSync(path)) return undefined;
    h.update(input).update('\0').update(readFileSync(path)).update('\0');
  }
  return h.digest('hex').slice(0, 16);
}

/**
 * @param {string} path
 * @returns {Promise<Manifest | undefined>}
 */
async function readManifest(path) {
  try {
    const m = JSON.parse(await readFile(path, 'utf8'));
    const ok =
      m.format === FORMAT && typeof m.esbuild === 'string' && typeof m.settings === 'string' && typeof m.hash === 'string' && typeof m.stamps === 'string' && Array.isArray(m.inputs);
    return ok ? m : undefined;
  } catch {
    return undefined;
  }
}

/** The installed esbuild's version, read without loading it (a kept bundle needs no esbuild). */
function esbuildVersion() {
  return String(JSON.parse(readFileSync(createRequire(import.meta.url).resolve('esbuild/package.json'), 'utf8')).version);
}

/**
 * Imports of the packages named go through `require` instead of Node's ESM loader: importing a CommonJS package from
 * ESM makes Node scan its whole source for export names first (TF.js: about 0.45 CPU s of a detector thread's start,
 * against 0.1 s through require). The bundle defines `require` for its own module (banner in `bundle`).
 * @param {readonly string[]} names package names
 */
function requiredPackages(names) {
  const wanted = inPackages(names);
  return {
    name: 'required-packages',
    /** @param {import('esbuild').PluginBuild} b */
    setup(b) {
      b.onResolve({ filter: /^[^./]/ }, (args) => {
        if (!wanted(args.path)) return undefined;
        // The stand-in's own require of the package stays a require, resolved by Node at run time.
        if (args.namespace === 'required-package') return { path: args.path, external: true };
        return args.kind === 'import-statement' || args.kind === 'dynamic-import' ? { path: args.path, namespace: 'required-package' } : undefined;
      });
      b.onLoad({ filter: /.*/, namespace: 'required-package' }, (args) => ({ contents: `module.exports = require(${JSON.stringify(args.path)});`, loader: 'js' }));
    },
  };
}

/**
 * Every package stays an import resolved by Node at run time, except those named (and what they import in turn),
 * which are bundled in: a package of hundreds of small modules costs Node a load and link of each at every start
 * (TypeBox: 266 modules, about 100 ms; ajv and yaml about 40 ms each), where the same code in the bundle costs about
 * a tenth. Only plain JavaScript packages that read no files of their own belong here (no native addon, no assets).
 * @param {string} root the project: modules outside it, or in its node_modules, are packages'
 * @param {readonly string[]} names package names
 */
function externalPackages(root, names) {
  const inlined = inPackages(names);
  return {
    name: 'external-packages',
    /** @param {import('esbuild').PluginBuild} b */
    setup(b) {
      b.onResolve({ filter: /^[^./]/ }, (args) => {
        // Inside an inlined package (the only package files esbuild reads), its own imports are inlined too: they
        // may be nested where the bundle's folder would not find them. Node's built-in modules stay imports.
        const rel = relative(root, args.importer);
        const ours = !rel.startsWith('..') && !isAbsolute(rel) && rel.split(sep)[0] !== 'node_modules';
        if (!ours || inlined(args.path)) return undefined;
        return { path: args.path, external: true };
      });
    },
  };
}

// Spelled in two parts: this file is itself one of the modules rewritten, and must not rewrite its own pattern.
const META_URL = 'import.meta' + '.url';
const META_DIRNAME = 'import.meta' + '.dirname';

/**
 * Each module keeps its own location: paths built from import.meta.url or .dirname (models, SOP library, the project
 * root this file finds from its own) stay right. JavaScript modules of the project too: this file is bundled into the
 * command, where its own import.meta.url would otherwise be the bundle's and the detector threads' bundle not found.
 */
const ownImportMeta = {
  name: 'own-import-meta',
  /** @param {import('esbuild').PluginBuild} b */
  setup(b) {
    b.onLoad({ filter: /\.(ts|tsx|mts|mjs|js)$/ }, async (args) => ({
      contents: (await readFile(args.path, 'utf8'))
        .replaceAll(META_URL, JSON.stringify(pathToFileURL(args.path).href))
        .replaceAll(META_DIRNAME, JSON.stringify(resolve(args.path, '..'))),
      loader: args.path.endsWith('.tsx') ? 'tsx' : /\.m?js$/.test(args.path) ? 'js' : 'ts',
    }));
  },
};

/**
 * The bundle of `entry` (an absolute path of a module under `root`), built now unless an up-to-date one is kept.
 * `splitting` puts each dynamically imported module in a chunk of its own (a command loads only what it runs).
 * `require`: packages (CommonJS) to load through require rather than import (see requiredPackages). `inline`: packages
 * bundled in rather than imported (see externalPackages); their files are sources of the bundle like the project's.
 * `root` is the project (default this one); bundles go to its node_modules/.cache/sopwatch.
 * @param {string} entry
 * @param {string} name
 * @param {{ splitting?: boolean, require?: readonly string[], inline?: readonly string[], root?: string }} [options]
 * @returns {Promise<{ url: URL, built: boolean }>} the bundle's entry module, and whether this call built it
 */
export async function bundle(entry, name, options = {}) {
  const root = options.root ?? PROJECT;
  const dir = cacheDir(root);
  const version = esbuildVersion();
  const manifestPath = join(dir, `${name}.json`);
  const required = [...(options.require ?? [])].sort();
  const inline = [...(options.inline ?? [])].sort();
  // The project's own path too: a bundle holds absolute paths of its sources (own-import-meta), so a node_modules
  // copied to another checkout must not take this one's bundles for its own.
  const settings = JSON.stringify({ root, splitting: options.splitting === true, require: required, inline });
  const kept = await readManifest(manifestPath);
  const same = kept !== undefined && kept.esbuild === version && kept.settings === settings;
  if (same && (stampsOf(root, kept.inputs) === kept.stamps || hashOf(root, version, settings, kept.inputs) === kept.hash)) {
    const path = join(dir, `${name}.${kept.hash}`, 'index.mjs');
    if (existsSync(path)) return { url: pathToFileURL(path), built: false };
  }
  const esbuild = await import('esbuild');
  await mkdir(dir, { recursive: true });
  const temp = join(dir, `.${name}.${process.pid}.${randomBytes(4).toString('hex')}`);
  try {
    const built = await esbuild.build({
      entryPoints: { index: entry },
      bundle: true,
      splitting: options.splitting === true,
      outdir: temp,
      outExtension: { '.js': '.mjs' },
      chunkNames: 'chunk-[hash]',
      platform: 'node',
      format: 'esm',
      target: 'node20',
      metafile: true,
      logLevel: 'silent',
      plugins: [...(required.length > 0 ? [requiredPackages(required)] : []), externalPackages(root, inline), ownImportMeta],
      // `require` for the packages loaded through it, and for CommonJS code inlined (a bundle is an ES module, which
      // has none of its own).
      ...(required.length > 0 || inline.length > 0
        ? { banner: { js: `import { createRequire as __sopwatchRequire } from 'node:module';\nconst require = __sopwatchRequire(${META_URL});` } }
        : {}),
    });
    const inputs = Object.keys(built.metafile.inputs)
      // The stand-ins for required packages are not files (the packages themselves are not bundled).
      .filter((p) => !p.startsWith('required-package:'))
      .map((p) => relative(root, resolve(process.cwd(), p)))
      .sort();
    const hash = hashOf(root, esbuild.version, settings, inputs);
    if (hash === undefined) throw new Error(`a source of ${entry} vanished while it was bundled`);
    const out = join(dir, `${name}.${hash}`);
    // Another process may have built the same sources meanwhile: its folder holds the same bundle.
    await rename(temp, out).catch((e) => {
      if (!existsSync(join(out, 'index.mjs'))) throw e;
    });
    const manifest = `${temp}.json`;
    await writeFile(manifest, JSON.stringify({ format: FORMAT, esbuild: esbuild.version, settings, inputs, hash, stamps: stampsOf(root, inputs) }));
    await rename(manifest, manifestPath);
    await pruneStale(dir, name, out);
    return { url: pathToFileURL(join(out, 'index.mjs')), built: true };
  } finally {
    await rm(temp, { recursive: true, force: true });
  }
}

/**
 * @param {string} dir
 * @param {string} name
 * @param {string} current
 */
async function pruneStale(dir, name, current) {
  const now = Date.now();
  for (const file of await readdir(dir).catch(() => [])) {
    const path = join(dir, file);
    if (!file.startsWith(`${name}.`) || file.endsWith('.json') || path === current) continue;
    const s = await stat(path).catch(() => undefined);
    if (s !== undefined && now - s.mtimeMs > STALE_MS) await rm(path, { recursive: true, force: true });
  }
}

/** What `node bin/bundle.mjs` builds ahead of time: an image whose app folder its user cannot write (Dockerfile). */
export const ENTRIES = [
  { entry: 'services/cli/index.ts', name: 'cli', splitting: true, inline: ['@sinclair/typebox', 'ajv', 'yaml'] },
  { entry: 'services/detector/detector.worker.ts', name: 'detector.worker', splitting: false, require: ['@tensorflow/tfjs-core', '@tensorflow/tfjs-converter', '@tensorflow/tfjs-backend-wasm', '@tensorflow/tfjs-backend-cpu'] },
];

/**
 * The bundle of the entry ENTRIES lists under `name` (its module and splitting come from there); an unlisted name is an
 * error: a bundle nobody builds ahead of time is not made at run time either.
 * @param {string} name
 * @returns {Promise<{ url: URL, built: boolean }>}
 */
export function bundleListed(name) {
  const e = ENTRIES.find((x) => x.name === name);
  if (e === undefined) return Promise.reject(new Error(`bin/bundle.mjs lists no entry "${name}"`));
  return bundle(join(PROJECT, e.entry), e.name, {
    splitting: e.splitting,
    ...(e.require === undefined ? {} : { require: e.require }),
    ...(e.inline === undefined ? {} : { inline: e.inline }),
  });
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  for (const e of ENTRIES) {
    const b = await bundleListed(e.name);
    process.stdout.write(`${e.name}: ${b.built ? 'built' : 'up to date'} ${fileURLToPath(b.url)}\n`);
  }
}
