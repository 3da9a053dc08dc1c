// The zone editor's YAML rewrite, checked by the real SOP loader: the new polygon lands, nothing else changes.
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadSopText } from '../../services/rules/sop-loader.ts';
import { formatPolygon, setZonePolygon, type Point } from '../src/lib/yaml-zones.ts';

const LIBRARY = resolve(import.meta.dirname, '../../sop-rules');
const files = readdirSync(LIBRARY).filter((f) => f.endsWith('.yaml')).map((f) => ({ name: f, text: readFileSync(join(LIBRARY, f), 'utf8') }));

function compiled(yaml: string) {
  const load = loadSopText(yaml, 'sop.yaml');
  if (!load.ok) throw new Error(load.errors.map((e) => `${e.line}:${e.column}: ${e.message}`).join('\n'));
  return load.sop;
}

const SQUARE: Point[] = [[0.1, 0.2], [0.4, 0.2], [0.4, 0.6], [0.1, 0.6]];

describe('setZonePolygon', () => {
  it('rewrites every zone of every library SOP file so that the loader reads the new polygon and nothing else', () => {
    let edited = 0;
    for (const file of files) {
      const before = compiled(file.text);
      for (const [camera, zones] of Object.entries(before.zones)) {
        for (const zone of Object.keys(zones)) {
          const out = setZonePolygon(file.text, camera, zone, SQUARE);
          expect(out.ok, `${file.name} ${camera}/${zone}`).toBe(true);
          if (!out.ok) continue;
          const after = compiled(out.yaml);
          expect(after.zones[camera]?.[zone]).toEqual(SQUARE);
          // Everything but that one value is as it was: rules, other zones, and the text outside the line.
          expect({ ...after, zones: undefined }).toEqual({ ...before, zones: undefined });
          for (const [c, zs] of Object.entries(before.zones)) {
            for (const [z, poly] of Object.entries(zs)) if (c !== camera || z !== zone) expect(after.zones[c]?.[z]).toEqual(poly);
          }
          expect(out.yaml.split('\n').length).toBe(file.text.split('\n').length);
          edited += 1;
        }
      }
    }
    expect(edited).toBeGreaterThan(10);
  });

  it('replaces block sequences, multi-line flow values and quoted camera keys, keeping comments and CRLF line ends', () => {
    const yaml = [
      'id: t', 'title: T', 'version: 1', 'cameras: ["*"]', 'zones:', '  "*":', '    # the counter, drawn by hand', '    counter:  # keep me',
      '      - [0, 0]', '      - [1, 0]', '      - [1, 1]', '    till: [[0, 0],', '      [0.5, 0], [0.5, 0.5]]  # till', 'rules:',
      '  - id: r', '    kind: required', '    when: { person_in: counter }', '    max_gap: 1s', '  - id: s', '    kind: required',
      '    when: { person_in: till }', '    max_gap: 1s', '',
    ].join('\r\n');
    const a = setZonePolygon(yaml, '*', 'counter', SQUARE);
    expect(a.ok).toBe(true);
    if (!a.ok) return;
    expect(a.yaml).toContain('    counter: [[0.1, 0.2], [0.4, 0.2], [0.4, 0.6], [0.1, 0.6]] # keep me\r\n');
    expect(a.yaml).toContain('# the counter, drawn by hand');
    const b = setZonePolygon(a.yaml, '*', 'till', SQUARE);
    expect(b.ok).toBe(true);
    if (!b.ok) return;
    expect(b.yaml).toContain(`    till: ${formatPolygon(SQUARE)}  # till\r\n`);
    const sop = compiled(b.yaml);
    expect(sop.zones['*']).toEqual({ counter: SQUARE, till: SQUARE });
  });

  it('refuses what it cannot do safely, with a reason', () => {
    const text = files[0]?.text ?? '';
    const zones = compiled(text).zones;
    const camera = Object.keys(zones)[0] ?? '';
    expect(setZonePolygon(text, camera, 'no-such-zone', SQUARE)).toMatchObject({ ok: false, reason: expect.stringContaining('no zone') });
    expect(setZonePolygon(text, 'no-such-camera', 'x', SQUARE)).toMatchObject({ ok: false, reason: expect.stringContaining('no camera') });
    expect(setZonePolygon(text, camera, Object.keys(zones[camera] ?? {})[0] ?? '', SQUARE.slice(0, 2))).toMatchObject({ ok: false });
    expect(setZonePolygon('id: x\nzones: { a: { b: [[0,0],[1,0],[1,1]] } }\n', 'a', 'b', SQUARE)).toMatchObject({ ok: false, reason: expect.stringContaining('inline') });
    expect(setZonePolygon('id: x\nrules: []\n', 'a', 'b', SQUARE)).toMatchObject({ ok: false, reason: expect.stringContaining('no zones') });
  });

  it('writes any polygon of points in 0..1 so that it reads back to 3 decimals', () => {
    const file = files.find((f) => f.name === 'espresso-bar.yaml') ?? files[0];
    const text = file?.text ?? '';
    const point = fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }));
    fc.assert(fc.property(fc.array(point, { minLength: 3, maxLength: 12 }), (poly) => {
      const out = setZonePolygon(text, 'bar-1', 'machine', poly);
      if (!out.ok) return false;
      const read = compiled(out.yaml).zones['bar-1']?.machine ?? [];
      return read.length === poly.length && read.every(([x, y], i) => Math.abs(x - (poly[i]?.[0] ?? -9)) <= 5e-4 && Math.abs(y - (poly[i]?.[1] ?? -9)) <= 5e-4);
    }), { numRuns: 60 });
  });
});
