#!/usr/bin/env node
// The sopwatch command. It runs from an esbuild bundle of the TypeScript (bin/bundle.mjs: built on first use and again
// when a source changes; each command loads only its own modules). SOPWATCH_BUNDLE=0, or no way to bundle (a read-only
// install), runs the sources through the tsx loader instead: slower to start, with the sources' line numbers.
const ENTRY = new URL('../services/cli/index.ts', import.meta.url);

async function load() {
  // Read here, before services/core/env.ts can load (it validates the same variable for the detector threads).
  if (process.env.SOPWATCH_BUNDLE !== '0') {
    try {
      const { bundleListed } = await import('./bundle.mjs');
      return await import((await bundleListed('cli')).url.href);
    } catch {
      // Fall through to the loader: the command still runs.
    }
  }
  const { register } = await import('tsx/esm/api');
  register();
  return import(ENTRY.href);
}

const { main } = await load();
process.exitCode = await main(process.argv.slice(2));
