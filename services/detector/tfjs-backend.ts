// Picks and starts the TF.js backend in this thread: tfjs-node when it is installed and loads, else wasm, else cpu.
import { dirname, join, sep } from 'node:path';
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs-core';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { UsageError } from '../core/errors.ts';
import type { BackendChoice, BackendName } from './types.ts';

/** Not a dependency: used only when someone installs it, so the name stays out of static imports. */
const TFJS_NODE = '@tensorflow/tfjs-node';

async function tryNode(): Promise<string | null> {
  try {
    await import(TFJS_NODE);
  } catch (e) {
    return `${TFJS_NODE} does not load (${e instanceof Error ? e.message.split('\n')[0] : String(e)})`;
  }
  try {
    // tfjs-node registers its backend on the tfjs-core it imports; a second copy of tfjs-core would not see it.
    if (await tf.setBackend('tensorflow')) return null;
    return `${TFJS_NODE} loaded but its backend did not start`;
  } catch (e) {
    return `${TFJS_NODE} loaded but its backend is not registered with our @tensorflow/tfjs-core (${e instanceof Error ? e.message : String(e)})`;
  }
}

let wasmPathsSet = false;

async function tryWasm(): Promise<string | null> {
  if (!wasmPathsSet) {
    const require = createRequire(import.meta.url);
    // The binaries ship in the package's dist/ folder; a file path keeps Emscripten reading them from disk.
    setWasmPaths(join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + sep);
    // One detector worker per core already fills the machine: XNNPACK threads would only compete.
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    wasmPathsSet = true;
  }
  const before = new Set<unknown>([...process.listeners('uncaughtException'), ...process.listeners('unhandledRejection')]);
  try {
    return (await tf.setBackend('wasm')) ? null : 'the wasm backend did not start';
  } catch (e) {
    return `the wasm backend did not start (${e instanceof Error ? e.message : String(e)})`;
  } finally {
    // Emscripten adds handlers that rethrow from inside its minified bundle, so a crash would print the
    // whole bundle as its source line; without them the error surfaces the same way, readable.
    for (const l of process.listeners('uncaughtException')) if (!before.has(l)) process.removeListener('uncaughtException', l);
    for (const l of process.listeners('unhandledRejection')) if (!before.has(l)) process.removeListener('unhandledRejection', l);
  }
}

async function tryCpu(): Promise<string | null> {
  // Loaded here only: a thread on wasm (every thread, normally) does not spend 15-30 ms of its start on it.
  await import('@tensorflow/tfjs-backend-cpu');
  return (await tf.setBackend('cpu')) ? null : 'the cpu backend did not start';
}

const attempts: Record<BackendName, () => Promise<string | null>> = { node: tryNode, wasm: tryWasm, cpu: tryCpu };

/** Starts a backend and returns which one runs. An explicit choice that fails is a UsageError; `auto` falls back. */
export async function startBackend(choice: BackendChoice): Promise<BackendName> {
  const order: BackendName[] = choice === 'auto' ? ['node', 'wasm', 'cpu'] : [choice];
  const reasons: string[] = [];
  for (const name of order) {
    const failure = await attempts[name]();
    if (failure === null) {
      await tf.ready();
      tf.enableProdMode();
      return name;
    }
    reasons.push(failure);
  }
  throw new UsageError(`TF.js backend "${choice}" cannot run here: ${reasons.join('; ')}`);
}
