// The JSON Schema of SOP files: committed copy up to date, strict everywhere, every field described.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { sopJsonSchema, sopJsonSchemaText } from '../../services/rules/sop-file.schema.ts';

const COMMITTED = new URL('../../sop-rules/sop.schema.json', import.meta.url);

type Node = Record<string, unknown>;

/** Every object schema in the tree, with its JSON pointer. */
function objects(node: unknown, at = '#', out: Array<[string, Node]> = []): Array<[string, Node]> {
  if (Array.isArray(node)) node.forEach((n, i) => objects(n, `${at}/${i}`, out));
  else if (node !== null && typeof node === 'object') {
    const obj = node as Node;
    if (obj.type === 'object') out.push([at, obj]);
    for (const [k, v] of Object.entries(obj)) objects(v, `${at}/${k}`, out);
  }
  return out;
}

describe('sop.schema.json', () => {
  it('is the schema the code emits (run `npm run schema` after changing sop-file.schema.ts)', () => {
    expect(readFileSync(COMMITTED, 'utf8')).toBe(sopJsonSchemaText());
  });

  it('refuses unknown keys in every object, except the rule wrapper whose if/then branches do it', () => {
    const found = objects(sopJsonSchema());
    expect(found.length).toBeGreaterThan(10);
    for (const [at, obj] of found) {
      if (Array.isArray(obj.allOf)) {
        for (const branch of obj.allOf as Node[]) expect((branch.then as Node).additionalProperties, `${at} then`).toBe(false);
      } else {
        expect(obj.additionalProperties, at).toBe(false);
      }
    }
  });

  it('describes every property for editors', () => {
    for (const [at, obj] of objects(sopJsonSchema())) {
      for (const [key, prop] of Object.entries((obj.properties ?? {}) as Record<string, Node>)) {
        expect(typeof prop.description, `${at}/properties/${key}`).toBe('string');
      }
    }
  });

  it('resolves the shared condition and label schemas through definitions only', () => {
    const text = sopJsonSchemaText();
    expect(text).not.toContain('"$id"');
    expect(text).not.toMatch(/"\$ref": "(Condition|CocoLabel)"/);
    expect(text).toContain('"$ref": "#/definitions/Condition"');
  });
});
