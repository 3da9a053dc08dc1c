// Worker threads start from an esbuild bundle of their TypeScript instead of through tsx (bin/bundle.mjs says why).
import { fileURLToPath } from 'node:url';
import { bundle } from '../../bin/bundle.mjs';
import { env } from './env.ts';

const entries = new Map<string, Promise<URL>>();

/**
 * The URL to start `entry` (a TypeScript module of this project) from: its bundle, built on first use and again when
 * one of its sources changed. `fallback` (an entry that registers tsx) when no bundle can be made (esbuild missing, a
 * read-only install) or SOPWATCH_BUNDLE=0. Checked once per entry and process.
 */
export function bundledEntry(entry: URL, name: string, fallback: URL): Promise<URL> {
  if (!env().bundleWorkers) return Promise.resolve(fallback);
  let url = entries.get(name);
  if (url === undefined) {
    url = bundle(fileURLToPath(entry), name).then((b) => b.url, () => fallback);
    entries.set(name, url);
  }
  return url;
}
