// PGlite's WebAssembly, compiled once per process and shared by every embedded database the process opens. V8 runs a
// wasm function first as Liftoff (its baseline compiler) made it, and re-compiles it with TurboFan once it has run
// for a while (its tiering budget). PGlite is big: a process that runs for seconds (a CLI command, a test) spent more
// CPU re-compiling PGlite's warm functions than it gained from them. Such a process compiles PGlite with a tiering
// budget about 1,100 times V8's own, so that only its hottest code is ever optimised; `sopwatch serve`, which runs
// for days, keeps V8's default (BENCHMARKS.md, "Eighteenth session"). V8 shares compiled code between compiles of the
// same bytes in a process, so a process runs PGlite with the tiering it asked for first (tests may ask for both).
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { setFlagsFromString } from 'node:v8';

/** `late`: only PGlite's hottest functions are optimised (a short-lived process); `early`: V8's own tiering (a long-running service). */
export type PgliteTiering = 'late' | 'early';

/** The tiering budget PGlite is compiled with in `late` mode (V8's is 1,800,000; at most 2^31 - 1). */
export const LATE_TIERING_BUDGET = 2_000_000_000;
/** V8's default budget (Node 20 and 22), restored after the compile unless the command line set another. */
const V8_TIERING_BUDGET = 1_800_000;

/** The runtime's WebAssembly API (the project's TypeScript libs declare its types, not the global object). */
interface WasmApi {
  Module: new (bytes: Uint8Array) => WebAssembly.Module;
  compile(bytes: Uint8Array): Promise<WebAssembly.Module>;
}
const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

const compiled = new Map<PgliteTiering, Promise<WebAssembly.Module | undefined>>();

/** The folder of PGlite's entry module: its wasm is there, its package.json above it (pglite-template.ts). */
export function pgliteEntryDir(): string {
  return dirname(createRequire(import.meta.url).resolve('@electric-sql/pglite'));
}

/** PGlite's own wasm file, beside its entry module (PGlite loads the same file when it is given no module). */
export function pgliteWasmPath(): string {
  return join(pgliteEntryDir(), 'pglite.wasm');
}

/** The tierings this process has asked to compile PGlite with so far, in order (what a service chose, for its tests). */
export function compiledTierings(): PgliteTiering[] {
  return [...compiled.keys()];
}

/**
 * The compiled module for `tiering`, made on first use; undefined when it cannot be made here (PGlite then loads and
 * compiles its wasm itself, as it always could).
 */
export function pgliteModule(tiering: PgliteTiering): Promise<WebAssembly.Module | undefined> {
  let module = compiled.get(tiering);
  if (module === undefined) {
    module = compile(tiering).catch(() => undefined);
    compiled.set(tiering, module);
  }
  return module;
}

async function compile(tiering: PgliteTiering): Promise<WebAssembly.Module> {
  const bytes = await readFile(pgliteWasmPath());
  if (tiering === 'early') return wasm.compile(bytes);
  return withTieringBudget(LATE_TIERING_BUDGET, () => new wasm.Module(bytes));
}

/** The budget this process's command line gave V8, else V8's default. */
function processBudget(): number {
  const flag = process.execArgv.findLast((a) => a.startsWith('--wasm-tiering-budget='));
  const n = Number(flag?.slice('--wasm-tiering-budget='.length));
  return Number.isInteger(n) && n > 0 ? n : V8_TIERING_BUDGET;
}

/**
 * Runs `make` (a synchronous compile) with V8's wasm tiering budget set to `budget`, then sets it back. V8 reads the
 * budget when it compiles a module and keeps it with that module: the models' wasm compiled later (TF.js, in the
 * detector threads) tiers up as usual, as test/medium/pglite-wasm.test.ts checks. No other code of this thread runs
 * while the budget is changed, and the compile is short (functions are compiled lazily, on first call); a detector
 * thread compiling its own module in that instant would only tier up later (slower for a while, never wrong).
 */
export function withTieringBudget<T>(budget: number, make: () => T): T {
  setFlagsFromString(`--wasm-tiering-budget=${budget}`);
  try {
    return make();
  } finally {
    setFlagsFromString(`--wasm-tiering-budget=${processBudget()}`);
  }
}
