// Which models a set of SOP files needs, and which camera's zones apply to a clip.
import { describe, expect, it } from 'vitest';
import { modelNeedsFor, resolveCamera } from '../../services/analysis/index.ts';
import { unionNeeds } from '../../services/detector/needs.ts';
import { ruleZones } from '../../services/rules/rule-conditions.ts';
import { loadSopText } from '../../services/rules/sop-loader.ts';
import type { CompiledSop } from '../../services/rules/compiled.ts';

function sop(rules: string, zones = '  cam-1:\n    a: [[0,0],[1,0],[1,1]]\n    b: [[0,0],[1,0],[0,1]]\n', id = 't'): CompiledSop {
  const text = `id: ${id}\ntitle: T\nversion: 1\ncameras: ["*"]\nzones:\n${zones}rules:\n${rules}`;
  const loaded = loadSopText(text, `${id}.yaml`);
  if (!loaded.ok) throw new Error(loaded.errors.map((e) => `${e.line}:${e.column}: ${e.message}`).join('\n'));
  return loaded.sop;
}

describe('modelNeedsFor', () => {
  it.each([
    ['person_in', '  - { id: r, kind: duration, when: { person_in: a }, min: 2s }\n', { persons: true, hands: false, objects: false }],
    ['hands_in', '  - { id: r, kind: duration, when: { hands_in: a }, min: 2s }\n', { persons: true, hands: true, objects: false }],
    ['object', '  - { id: r, kind: forbidden, when: { object: cell phone, in: a } }\n', { persons: false, hands: false, objects: true, labels: ['cell phone'] }],
    ['count of person', '  - { id: r, kind: required, when: { count: { of: person, in: a, gte: 1 } }, max_gap: 5s }\n', { persons: true, objects: false }],
    ['count of bottle', '  - { id: r, kind: required, when: { count: { of: bottle, in: a, gte: 3 } }, max_gap: 5s }\n', { persons: false, objects: true, labels: ['bottle'] }],
    ['not inside all', '  - { id: r, kind: forbidden, when: { all: [ { person_in: a }, { not: { object: knife } } ] } }\n', { persons: true, objects: true, labels: ['knife'] }],
    // The rules read people for the label person (condition.ts): the person boxes, not an object.
    ['object person', '  - { id: r, kind: required, when: { object: person, in: a }, max_gap: 5s }\n', { persons: true, objects: false }],
  ])('%s', (_name, rules, expected) => {
    expect(modelNeedsFor([sop(rules)])).toMatchObject({ ...expected, faces: false });
  });

  it('ignores disabled rules and walks sequence triggers and steps', () => {
    const s = sop(
      '  - { id: off, kind: forbidden, enabled: false, when: { object: knife } }\n' +
        '  - id: seq\n    kind: sequence\n    trigger: { person_in: a }\n    within: 60s\n    steps:\n      - { id: s1, detect: { hands_in: b, min: 1s } }\n',
    );
    expect(modelNeedsFor([s])).toEqual({ persons: true, pose: false, hands: true, objects: false, faces: false });
  });

  it('lists every object label the rules read, once, sorted; none when no rule reads an object', () => {
    const s = sop(
      '  - { id: a, kind: forbidden, when: { object: knife, in: a } }\n' +
        '  - { id: b, kind: required, when: { count: { of: bottle, in: b, gte: 3 } }, max_gap: 5s }\n' +
        '  - { id: c, kind: forbidden, when: { any: [ { object: knife }, { object: cell phone } ] } }\n',
    );
    expect(modelNeedsFor([s, sop('  - { id: d, kind: forbidden, when: { object: bottle } }\n', undefined, 'u')]).labels).toEqual(['bottle', 'cell phone', 'knife']);
    expect(modelNeedsFor([sop('  - { id: r, kind: duration, when: { person_in: a }, min: 2s }\n')])).not.toHaveProperty('labels');
  });
});

describe('unionNeeds', () => {
  const none = { persons: false, pose: false, hands: false, objects: false, faces: false };
  it('joins the object labels; objects of any label win over a list; no objects, no list', () => {
    expect(unionNeeds({ ...none, objects: true, labels: ['knife'] }, { ...none, objects: true, labels: ['bottle', 'knife'] })).toEqual({ ...none, objects: true, labels: ['bottle', 'knife'] });
    expect(unionNeeds({ ...none, objects: true, labels: ['knife'] }, { ...none, persons: true })).toEqual({ ...none, persons: true, objects: true, labels: ['knife'] });
    expect(unionNeeds({ ...none, objects: true, labels: ['knife'] }, { ...none, objects: true })).toEqual({ ...none, objects: true });
    expect(unionNeeds({ ...none, persons: true, labels: ['knife'] }, { ...none, faces: true })).toEqual({ ...none, persons: true, faces: true });
  });
});

describe('resolveCamera', () => {
  const one = sop('  - { id: r, kind: duration, when: { person_in: a }, min: 2s }\n');
  const other = sop('  - { id: r, kind: duration, when: { person_in: a }, min: 2s }\n', '  cam-2:\n    a: [[0,0],[1,0],[1,1]]\n', 'u');
  it('needs no flag when the files name one camera', () => expect(resolveCamera([one])).toBe('cam-1'));
  it('asks for --camera when they name several', () => expect(() => resolveCamera([one, other])).toThrow(/--camera/));
  it('takes the flag', () => expect(resolveCamera([one, other], 'cam-2')).toBe('cam-2'));
  it('refuses a camera no file has zones for', () => expect(() => resolveCamera([one], 'cam-9')).toThrow(/cam-9/));
});

describe('ruleZones (the zones evidence highlights)', () => {
  it('collects the zones of every condition of a sequence, once each, without "anywhere"', () => {
    const s = sop(
      '  - id: seq\n    kind: sequence\n    trigger: { person_in: a }\n    within: 60s\n    steps:\n' +
        '      - { id: s1, detect: { hands_in: b, min: 1s } }\n      - { id: s2, detect: { all: [ { person_in: a }, { not: { object: knife } } ], min: 1s } }\n',
    );
    const rule = s.rules[0];
    expect(rule && ruleZones(rule).sort()).toEqual(['a', 'b']);
  });
});
