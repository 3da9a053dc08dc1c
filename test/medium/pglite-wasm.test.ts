// PGlite's wasm compiled once per process (services/core/storage/pglite-wasm.ts): with a large tiering budget for a
// short-lived process, V8's own for `sopwatch serve`. The budget goes with the module compiled under it: a module compiled
// afterwards (the detector's TF.js) is optimised as soon as usual. Checked with V8's own test natives, which say which
// compiler made a wasm function's running code.
import { setFlagsFromString } from 'node:v8';
import { describe, expect, it, vi } from 'vitest';
import { openDatabase, openPglite } from '../../services/core/storage/index.ts';
import { LATE_TIERING_BUDGET, pgliteModule, withTieringBudget } from '../../services/core/storage/pglite-wasm.ts';

// Every V8 flag this process sets, passed on to V8: which budget each tiering compiles PGlite's wasm with.
const flagsSet = vi.hoisted(() => [] as string[]);
vi.mock('node:v8', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:v8')>();
  return {
    ...real,
    setFlagsFromString: (flags: string): void => {
      flagsSet.push(flags);
      real.setFlagsFromString(flags);
    },
  };
});

// `%IsTurboFanFunction` needs natives syntax when the function that calls it is parsed (this file's process only).
setFlagsFromString('--allow-natives-syntax');
// eslint-disable-next-line @typescript-eslint/no-implied-eval -- natives syntax parses only through the Function constructor
const optimised = new Function('f', 'return %IsTurboFanFunction(f)') as (f: unknown) => boolean;

/**
 * (func (export "sum") (param $n i32) (result i32)): n + (n-1) + ... + 1, a loop that gets hot. `name` is the export's
 * three letters: V8 shares one compiled module between modules of the same bytes, so the two compared differ in it.
 */
const sumWasm = (name: string): Uint8Array => new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version
  0x01, 0x06, 0x01, 0x60, 0x01, 0x7f, 0x01, 0x7f, // type: (i32) -> i32
  0x03, 0x02, 0x01, 0x00, // function 0 of type 0
  0x07, 0x07, 0x01, 0x03, ...Buffer.from(name, 'latin1').subarray(0, 3), 0x00, 0x00, // export `name`
  0x0a, 0x1b, 0x01, 0x19, 0x01, 0x01, 0x7f, // code: one body of 25 bytes, one i32 local
  0x03, 0x40, 0x20, 0x01, 0x20, 0x00, 0x6a, 0x21, 0x01, // loop: acc += n
  0x20, 0x00, 0x41, 0x01, 0x6b, 0x22, 0x00, 0x0d, 0x00, 0x0b, // n -= 1; br_if n
  0x20, 0x01, 0x0b, // acc
]);

type Sum = (n: number) => number;
const WasmApi = (globalThis as unknown as { WebAssembly: { Module: new (b: Uint8Array) => object; Instance: new (m: object) => { exports: Record<string, Sum> } } }).WebAssembly;
const instantiate = (module: object): Sum => Object.values(new WasmApi.Instance(module).exports)[0] as Sum;

describe("PGlite's wasm tiering", () => {
  it('a module compiled with the late budget stays unoptimised while one compiled after it is optimised as usual', async () => {
    const late = instantiate(withTieringBudget(LATE_TIERING_BUDGET, () => new WasmApi.Module(sumWasm('sum'))));
    const after = instantiate(new WasmApi.Module(sumWasm('add')));
    expect(late(4)).toBe(10);
    // Both run the same calls, until V8 has optimised the one compiled after (in the background: give it turns).
    // V8's budget is spent in about a thousand calls; a bound keeps a module that never tiers up from hanging the test.
    let calls = 0;
    while (!optimised(after) && calls < 2_000_000) {
      for (let i = 0; i < 100; i++, calls++) expect(late(1000) + after(1000)).toBe(2 * 500_500);
      await new Promise((r) => setImmediate(r));
    }
    expect(optimised(after)).toBe(true);
    // The late module's budget is about 1,100 times V8's: the same work is far from spending it.
    expect(optimised(late)).toBe(false);
  });

  it('compiles PGlite late with the late budget, early with V8\'s own, each once per process', async () => {
    flagsSet.length = 0;
    const late = await pgliteModule('late');
    expect(late).toBeDefined();
    expect(flagsSet).toEqual([`--wasm-tiering-budget=${LATE_TIERING_BUDGET}`, '--wasm-tiering-budget=1800000']);
    const [lateAgain, early] = await Promise.all([pgliteModule('late'), pgliteModule('early')]);
    expect(lateAgain).toBe(late);
    expect(early).toBeDefined();
    expect(early).not.toBe(late);
    // Neither a second late nor the early compile touched the budget.
    expect(flagsSet).toHaveLength(2);
  });

  it('opens, migrates and answers the same either way', async () => {
    const short = await openDatabase({ memory: true });
    const long = await openDatabase({ memory: true, tiering: 'early' });
    const empty = await openPglite({ tiering: 'early' });
    try {
      const tables = "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() ORDER BY 1";
      const names = (await short.query(tables)).rows;
      expect(names.length).toBeGreaterThan(10);
      expect((await long.query(tables)).rows).toEqual(names);
      expect((await empty.query(tables)).rows).toEqual([]);
      for (const db of [short, long]) {
        await db.query("INSERT INTO stores (id, name) VALUES ('s1', 'Kitchen')");
        expect((await db.query('SELECT name FROM stores')).rows).toEqual([{ name: 'Kitchen' }]);
      }
    } finally {
      await Promise.all([short.close(), long.close(), empty.close()]);
    }
  });
});
