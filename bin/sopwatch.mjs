#!/usr/bin/env node
// The sopwatch command. It runs from an esbuild bundle of the TypeScript (bin/bundle.mjs: built on first use and again
// when a source changes; each command loads only its own modules). SOPWATCH_BUNDLE=0, or no way to bundle (a read-only
// install), runs the sources through the tsx loader instead: slower to start, with the sources' line numbers.
import { setFlagsFromString } from 'node:v8';

const ENTRY = new URL('../services/cli/index.ts', import.meta.url);

// V8 optimises a function once it has run about 66 KB of bytecode (its interrupt budget). A command starts up to three
// isolates (this thread and the detector threads) that each optimise the same TF.js code, on cores shared with the
// models: with eight times that budget the optimising compiler does about a quarter of the work and the hot code is
// optimised all the same (`npm run demo` 5.8-5.9 -> 5.3-5.7 s, 0.5-0.7 CPU s less; BENCHMARKS.md, "Eleventh
// session"). Process-wide, so the detector threads start with it. A budget given on the command line is kept.
// (V8 reads `_` and `-` alike in its flags' names.)
const budgetGiven = process.execArgv.some((a) => a.replaceAll('_', '-').startsWith('--interrupt-budget'));
if (!budgetGiven) setFlagsFromString('--interrupt-budget=540672');

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
