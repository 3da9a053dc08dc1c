// The SOP page's shadow-mode switch, checked by the real SOP loader on every rule of the library files.
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSopText } from '../../services/rules/sop-loader.ts';
import { setRuleShadow } from '../src/lib/yaml-rules.ts';

const LIBRARY = resolve(import.meta.dirname, '../../sop-rules');
const files = readdirSync(LIBRARY).filter((f) => f.endsWith('.yaml')).map((f) => ({ name: f, text: readFileSync(join(LIBRARY, f), 'utf8') }));

function compiled(yaml: string) {
  const load = loadSopText(yaml, 'sop.yaml');
  if (!load.ok) throw new Error(load.errors.map((e) => `${e.line}:${e.column}: ${e.message}`).join('\n'));
  return load.sop;
}

describe('setRuleShadow', () => {
  it('turns shadow mode on and off for each rule of each library file, and nothing else', () => {
    let toggled = 0;
    for (const file of files) {
      const before = compiled(file.text);
      for (const rule of before.rules) {
        const on = setRuleShadow(file.text, rule.id, true);
        expect(on.ok, `${file.name} ${rule.id}`).toBe(true);
        if (!on.ok) continue;
        const after = compiled(on.yaml);
        expect(after.rules.map((r) => [r.id, r.shadow])).toEqual(before.rules.map((r) => [r.id, r.id === rule.id ? true : r.shadow]));
        expect(after.rules.map((r) => ({ ...r, shadow: undefined }))).toEqual(before.rules.map((r) => ({ ...r, shadow: undefined })));
        const off = setRuleShadow(on.yaml, rule.id, false);
        expect(off.ok).toBe(true);
        if (off.ok) {
          expect(compiled(off.yaml).rules.find((r) => r.id === rule.id)?.shadow).toBe(false);
          // The second edit rewrites the line the first one added instead of adding another.
          expect(off.yaml.split('\n').length).toBe(on.yaml.split('\n').length);
        }
        toggled += 1;
      }
    }
    expect(toggled).toBeGreaterThan(8);
  });

  it('does not mistake a sequence step id for a rule id, and says why it refuses', () => {
    const espresso = files.find((f) => f.name === 'espresso-bar.yaml')?.text ?? '';
    const steps = compiled(espresso).rules.flatMap((r) => (r.kind === 'sequence' ? r.steps.map((s) => s.id) : []));
    expect(steps.length).toBeGreaterThan(0);
    expect(setRuleShadow(espresso, steps[0] ?? '', true)).toMatchObject({ ok: false, reason: expect.stringContaining('no rule') });
    expect(setRuleShadow('id: x\nrules: []\n', 'a', true)).toMatchObject({ ok: false });
  });
});
