// Worker threads start from an esbuild bundle of their TypeScript instead of through tsx (bin/bundle.mjs says why).
import { fileURLToPath } from 'node:url';
import { bundle, ENTRIES } from '../../bin/bundle.mjs';
import { env } from './env.ts';

const entries = new Map<string, Promise<URL>>();

/**
 * The URL to start `entry` (a TypeScript module of this project, listed in bin/bundle.mjs's ENTRIES) from: its bundle,
 * built on first use and again when one of its sources changed. `fallback` (an entry that registers tsx) when no bundle
 * can be made (esbuild missing, a read-only install), the entry is not listed, or SOPWATCH_BUNDLE=0. Checked once per
 * entry and process.
 */
export function bundledEntry(entry: URL, name: string, fallback: URL): Promise<URL> {
  if (!env().bundleWorkers) return Promise.resolve(fallback);
  let url = entries.get(name);
  if (url === undefined) {
    // The entries `node bin/bundle.mjs` builds ahead of time (the Docker image) must be these, under the same names.
    const known = ENTRIES.find((e) => e.name === name && fileURLToPath(new URL(`../../${e.entry}`, import.meta.url)) === fileURLToPath(entry));
    url = known === undefined ? Promise.resolve(fallback) : bundle(fileURLToPath(entry), name, { splitting: known.splitting }).then((b) => b.url, () => fallback);
    entries.set(name, url);
  }
  return url;
}
