// A new embedded database starts as a copy of one already migrated. Made the long way, PGlite runs initdb (about 2 s of
// one core) and then every migration; a copy of the migrated data directory loads in about half that. The copy is kept
// under node_modules/.cache/sopwatch (beside the command's bundles), named by a hash of PGlite's version and of every
// migration, so that a release with a new migration or another PGlite makes its own. Where that folder cannot be
// written, the copy is kept in memory for this process. A kept copy that does not load is dropped and made again.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { cacheDir } from '../../../bin/bundle.mjs';
import { migrations as allMigrations, type Migration } from './migrations/index.ts';
import { pgliteEntryDir } from './pglite-wasm.ts';

/** Bump when the way the template is made changes. */
const FORMAT = 1;
const PREFIX = 'pglite-template.';
const SUFFIX = '.tar';
/** The project's cache folder, beside the bundles. */
export const TEMPLATE_DIR = cacheDir();

export interface PgliteTemplate {
  /** The migrated data directory as a tarball (PGlite's dumpDataDir), for PGlite's loadDataDir. */
  bytes: Uint8Array;
  /** `cache`: read from the kept file; `built`: made now and kept; `memory`: made now, not kept (the folder is not writable). */
  from: 'cache' | 'built' | 'memory';
  /** The kept file's path (whether or not it could be written). */
  path: string;
}

/** Makes the template: a new database, migrated, its data directory dumped. */
export type TemplateBuilder = (list: readonly Migration[]) => Promise<Uint8Array>;

/** What the template of these migrations is named by: PGlite's version and every migration, in order. */
export function templateKey(list: readonly Migration[] = allMigrations): string {
  const parts = [FORMAT, pgliteVersion(), list.map((m) => [m.version, m.name, m.sql])];
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 16);
}

let version: string | undefined;
/** The installed PGlite's version, from its package.json (which its exports do not list): found from its entry up. */
function pgliteVersion(): string {
  if (version !== undefined) return version;
  for (let dir = pgliteEntryDir(); dir !== dirname(dir); dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (!existsSync(file)) continue;
    const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
    if (pkg.name === '@electric-sql/pglite' && pkg.version !== undefined) return (version = pkg.version);
  }
  throw new Error('cannot find the version of @electric-sql/pglite');
}

/**
 * Templates being read or made, by path: opens at the same time wait for the same one. Once done, one kept in the folder
 * is forgotten (the next open reads the file again, in a few ms), so that a server holds no copy of what it opened once;
 * one the folder could not keep is remembered for the process.
 */
const made = new Map<string, Promise<PgliteTemplate>>();

/**
 * The template of `list` from `dir`: read when kept there, else made by `build` and kept (written whole or not at all,
 * in place of templates of other keys). Rejects when `build` does, or when PGlite's version cannot be read (no key).
 */
export function pgliteTemplate(build: TemplateBuilder, dir = TEMPLATE_DIR, list: readonly Migration[] = allMigrations): Promise<PgliteTemplate> {
  let path: string;
  try {
    path = join(dir, `${PREFIX}${templateKey(list)}${SUFFIX}`);
  } catch (err) {
    return Promise.reject(err instanceof Error ? err : new Error(String(err)));
  }
  let template = made.get(path);
  if (template === undefined) {
    const reading = readOrBuild(path, dir, build, list);
    made.set(path, reading);
    // A failed build is not remembered either: the next open tries again.
    reading.then((t) => t.from === 'memory' || made.delete(path), () => made.delete(path));
    template = reading;
  }
  return template;
}

/** Drops a template that did not load: forgotten by this process and removed from the folder. */
export async function dropTemplate(template: PgliteTemplate): Promise<void> {
  made.delete(template.path);
  await rm(template.path, { force: true }).catch(() => undefined);
}

async function readOrBuild(path: string, dir: string, build: TemplateBuilder, list: readonly Migration[]): Promise<PgliteTemplate> {
  if (existsSync(path)) {
    try {
      const bytes = new Uint8Array(await readFile(path));
      // A damaged file is made again below (PGlite can crash the process on one, not only refuse it).
      if (wholeTar(bytes)) return { bytes, from: 'cache', path };
    } catch {
      // Made again below.
    }
  }
  const bytes = await build(list);
  if (!wholeTar(bytes)) throw new Error('PGlite dumped a data directory that is not a whole tar archive');
  const temp = join(dir, `.${PREFIX}${process.pid}.${randomBytes(4).toString('hex')}`);
  try {
    await mkdir(dir, { recursive: true });
    await writeFile(temp, bytes);
    await rename(temp, path);
    await pruneOthers(dir, path);
    return { bytes, from: 'built', path };
  } catch {
    await rm(temp, { force: true }).catch(() => undefined);
    return { bytes, from: 'memory', path };
  }
}

const ascii = (b: Uint8Array): string => String.fromCharCode(...b);
/** An octal number field of a tar header (NUL- or space-terminated); NaN when it is not one. */
const octal = (b: Uint8Array): number => {
  const text = ascii(b).replace(/[\0 ]+$/, '').replace(/^ +/, '');
  return /^[0-7]+$/.test(text) ? parseInt(text, 8) : Number.NaN;
};

/**
 * True when `b` is a whole tar archive: every header's checksum right, every entry's data in, and the two empty blocks
 * that end an archive. A truncated or overwritten file fails; a flipped bit inside a file's data would not.
 */
export function wholeTar(b: Uint8Array): boolean {
  if (b.length < 1024 || b.length % 512 !== 0) return false;
  for (let at = 0; at + 512 <= b.length; ) {
    const header = b.subarray(at, at + 512);
    if (header.every((x) => x === 0)) return at > 0 && at + 1024 <= b.length && b.subarray(at + 512, at + 1024).every((x) => x === 0);
    let sum = 0;
    // The checksum counts its own field as eight spaces.
    for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : (header[i] ?? 0);
    const size = octal(header.subarray(124, 136));
    if (octal(header.subarray(148, 156)) !== sum || !Number.isFinite(size)) return false;
    at += 512 + Math.ceil(size / 512) * 512;
  }
  return false;
}

/** Removes templates of other keys (another release's); a process opening one has read it whole already. */
async function pruneOthers(dir: string, keep: string): Promise<void> {
  for (const f of await readdir(dir)) {
    if (!f.startsWith(PREFIX) || !f.endsWith(SUFFIX) || join(dir, f) === keep) continue;
    await rm(join(dir, f), { force: true }).catch(() => undefined);
  }
}
