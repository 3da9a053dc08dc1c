// Worker threads start from an esbuild bundle of their TypeScript instead of through tsx (bin/bundle.mjs says why).
import { bundleListed } from '../../bin/bundle.mjs';
import { env } from './env.ts';

const entries = new Map<string, Promise<URL>>();

/**
 * The URL to start the entry bin/bundle.mjs lists under `name` from (the same bundle `node bin/bundle.mjs` builds
 * ahead of time): built on first use and again when one of its sources changed. `fallback` (an entry that registers
 * tsx) when no bundle can be made (esbuild missing, a read-only install), the name is not listed, or SOPWATCH_BUNDLE=0.
 * Checked once per name and process.
 */
export function bundledEntry(name: string, fallback: URL): Promise<URL> {
  if (!env().bundleWorkers) return Promise.resolve(fallback);
  let url = entries.get(name);
  if (url === undefined) {
    url = bundleListed(name).then((b) => b.url, () => fallback);
    entries.set(name, url);
  }
  return url;
}
