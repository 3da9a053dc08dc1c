// Mutated SOP files either load or are refused with positioned errors; the loader never throws, whatever the text.
import { readFileSync, readdirSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { explainSop } from '../../services/rules/sop-explain.ts';
import { loadSopText, type SopLoad } from '../../services/rules/sop-loader.ts';

const LIBRARY = new URL('../../sop-rules/', import.meta.url);
const SEEDS = readdirSync(LIBRARY).filter((f) => f.endsWith('.yaml')).map((f) => readFileSync(new URL(f, LIBRARY), 'utf8'));

/** mulberry32: a small seeded generator, so that a failure can be replayed from its iteration number. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const YAML_CHARS = [':', '-', ' ', '[', ']', '{', '}', ',', '#', '"', "'", '*', '&', '!', '|', '>', '?', '%', '@', '\t', '\n', '0', '1', '.', 'x', 's', 'm'];

function mutate(text: string, random: () => number): string {
  const pick = (n: number) => Math.floor(random() * n);
  const lines = text.split('\n');
  const i = pick(lines.length);
  const j = pick(lines.length);
  switch (pick(8)) {
    case 0:
      lines.splice(i, 1);
      return lines.join('\n');
    case 1:
      lines.splice(i, 0, lines[i] ?? '');
      return lines.join('\n');
    case 2:
      [lines[i], lines[j]] = [lines[j] ?? '', lines[i] ?? ''];
      return lines.join('\n');
    case 3: {
      const at = pick(text.length + 1);
      return text.slice(0, at) + (YAML_CHARS[pick(YAML_CHARS.length)] ?? '') + text.slice(at + 1);
    }
    case 4: {
      const line = lines[i] ?? '';
      lines[i] = random() < 0.5 ? ' '.repeat(1 + pick(4)) + line : line.replace(/^ {1,4}/, '');
      return lines.join('\n');
    }
    case 5:
      return text.slice(0, pick(text.length + 1));
    case 6: {
      const at = pick(text.length + 1);
      const junk = Array.from({ length: 1 + pick(8) }, () => String.fromCharCode(pick(0x10000))).join('');
      return text.slice(0, at) + junk + text.slice(at);
    }
    default: {
      // Swap a word for another word of the file: plausible-looking but wrong keys and values.
      const words = text.match(/[a-z_]+/g) ?? ['x'];
      const from = words[pick(words.length)] ?? 'x';
      return text.replace(from, words[pick(words.length)] ?? 'x');
    }
  }
}

function checkOutcome(load: SopLoad, text: string): void {
  const lineCount = text.split('\n').length;
  if (load.ok) {
    expect(load.errors).toEqual([]);
    expect(explainSop(load.sop).length).toBeGreaterThan(0);
    return;
  }
  expect(load.errors.length).toBeGreaterThan(0);
  for (const e of load.errors) {
    expect(e.line).toBeGreaterThanOrEqual(1);
    expect(e.column).toBeGreaterThanOrEqual(1);
    expect(e.line).toBeLessThanOrEqual(lineCount + 1);
    expect(e.message.length).toBeGreaterThan(0);
    // The loader's last-resort catch: reaching it means a bug, not a bad file.
    expect(e.message).not.toMatch(/^internal error/);
  }
}

describe('fuzzing the SOP loader', () => {
  it('mutated library files load or are refused with positioned errors (600 runs)', () => {
    const random = rng(20240601);
    let loaded = 0;
    for (let n = 0; n < 600; n++) {
      let text = SEEDS[n % SEEDS.length] ?? '';
      const rounds = 1 + Math.floor(random() * 3);
      for (let k = 0; k < rounds; k++) text = mutate(text, random);
      const load = loadSopText(text, `fuzz-${n}.yaml`);
      checkOutcome(load, text);
      if (load.ok) loaded++;
    }
    // Both outcomes must occur, or the mutator is not testing anything.
    expect(loaded).toBeGreaterThan(10);
    expect(loaded).toBeLessThan(590);
  }, 60_000);

  it('arbitrary strings never throw (fast-check)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 400 }), (text) => {
        checkOutcome(loadSopText(text, 'any.yaml'), text);
      }),
      { numRuns: 300, seed: 7 },
    );
  }, 60_000);

  it('arbitrary YAML-ish documents built from SOP keys never throw (fast-check)', () => {
    const key = fc.constantFrom('id', 'title', 'version', 'cameras', 'zones', 'rules', 'kind', 'when', 'for', 'min', 'max',
      'steps', 'detect', 'verify', 'trigger', 'within', 'schedule', 'person_in', 'object', 'count', 'all', 'not', 'in');
    const scalar = fc.oneof(fc.constantFrom('1', '20s', 'cup', 'sink', 'sequence', '[]', '{}', '.nan', '"*"', 'yes', '- a'), fc.string({ maxLength: 6 }));
    const line = fc.tuple(fc.nat({ max: 8 }), key, scalar).map(([indent, k, v]) => `${' '.repeat(indent)}${k}: ${v}`);
    fc.assert(
      fc.property(fc.array(line, { maxLength: 30 }), (lines) => {
        const text = lines.join('\n');
        checkOutcome(loadSopText(text, 'gen.yaml'), text);
      }),
      { numRuns: 300, seed: 11 },
    );
  }, 60_000);
});
