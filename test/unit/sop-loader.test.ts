// The SOP loader: each kind of mistake is reported at its exact line and column, all at once, without throwing.
import { describe, expect, it } from 'vitest';
import type { CompiledSop } from '../../services/rules/compiled.ts';
import { formatSopError, loadSopText } from '../../services/rules/sop-loader.ts';
import { pos } from './sop-helpers.ts';

function errorsOf(text: string): string[] {
  const r = loadSopText(text, 't.yaml');
  expect(r.ok).toBe(false);
  return r.errors.map(formatSopError);
}

const HEAD = `id: bar
title: Bar
version: 1
cameras: [bar-1]
zones:
  bar-1:
    grinder: [[0.05, 0.30], [0.25, 0.30], [0.25, 0.70]]
    machine: [[0.30, 0.25], [0.60, 0.25], [0.60, 0.75]]
rules:
`;

const SPEC_EXAMPLE = `# yaml-language-server: $schema=./sop.schema.json
id: espresso-bar                 # unique, [a-z0-9-]
title: Espresso bar
version: 1
cameras: [bar-1]                 # camera ids (or tags) this file applies to; "*" = any
zones:                           # per camera (or "*"): polygons, x,y normalised 0..1, origin top-left
  bar-1:
    grinder: [[0.05, 0.30], [0.25, 0.30], [0.25, 0.70], [0.05, 0.70]]
    machine: [[0.30, 0.25], [0.60, 0.25], [0.60, 0.75], [0.30, 0.75]]
rules:
  - id: shot-sequence
    kind: sequence
    title: Grind, then tamp, then brew, all within 90 s
    trigger: { person_in: grinder }          # each time this becomes true, a new run starts
    within: 90s
    steps:
      - id: grind
        detect: { person_in: grinder, min: 3s }
      - id: tamp
        detect: { hands_in: machine, min: 2s }
        verify: { question: "Is the barista pressing a tamper into the portafilter?", expect: yes }
      - id: brew
        detect: { hands_in: machine, min: 15s }
  - id: phone-at-bar
    kind: forbidden
    when: { object: cell phone, in: machine }
    for: 3s
    severity: high
`;

describe('the spec example', () => {
  it('loads and compiles to the expected CompiledSop', () => {
    const r = loadSopText(SPEC_EXAMPLE, 'sop-rules/espresso-bar.yaml');
    expect(r.errors).toEqual([]);
    if (!r.ok) return;
    const smoothing = { enterMs: 500, exitMs: 1500 };
    const expected: CompiledSop = {
      id: 'espresso-bar',
      title: 'Espresso bar',
      version: 1,
      cameras: ['bar-1'],
      zones: {
        'bar-1': {
          grinder: [[0.05, 0.3], [0.25, 0.3], [0.25, 0.7], [0.05, 0.7]],
          machine: [[0.3, 0.25], [0.6, 0.25], [0.6, 0.75], [0.3, 0.75]],
        },
      },
      rules: [
        {
          id: 'shot-sequence', title: 'Grind, then tamp, then brew, all within 90 s', severity: 'medium',
          enabled: true, shadow: false, smoothing, kind: 'sequence',
          trigger: { type: 'person_in', zone: 'grinder' },
          steps: [
            { id: 'grind', title: 'grind', detect: { type: 'person_in', zone: 'grinder' }, minMs: 3000 },
            {
              id: 'tamp', title: 'tamp', detect: { type: 'hands_in', zone: 'machine' }, minMs: 2000,
              verify: { question: 'Is the barista pressing a tamper into the portafilter?', expect: 'yes', frames: 3 },
            },
            { id: 'brew', title: 'brew', detect: { type: 'hands_in', zone: 'machine' }, minMs: 15000 },
          ],
          withinMs: 90_000, order: 'strict', idleMs: 10_000,
        },
        {
          id: 'phone-at-bar', title: 'phone-at-bar', severity: 'high', enabled: true, shadow: false, smoothing,
          kind: 'forbidden', when: { type: 'object', label: 'cell phone', zone: 'machine' }, forMs: 3000,
        },
      ],
      source: 'sop-rules/espresso-bar.yaml',
    };
    expect(r.sop).toEqual(expected);
    expect(r.idAt).toEqual({ line: 2, column: 5 });
  });
});

describe('compiling the extensions and defaults', () => {
  it('fills every default and honours every extension', () => {
    const text = `id: ext
title: Extensions
version: 1
revision: 7
description: all the optional keys
cameras: ["*"]
zones:
  "*":
    sink: [[0, 0], [0.5, 0], [0.5, 0.5]]
smoothing: { enter: 1s }
rules:
  - id: d
    kind: duration
    when: { count: { of: person, gte: 1, lte: 2 } }
    max: 1m30s
    smoothing: { exit: 2s500ms }
    shadow: true
    enabled: false
  - id: r
    kind: required
    when: { not: { any: [{ object: cup, min_score: 0.4 }, { hands_in: sink }] } }
    max_gap: 2m
    schedule: { days: [sat, sun], from: "22:30", to: "06:00", tz: Europe/Paris }
  - id: s
    kind: sequence
    trigger: { all: [{ person_in: sink }] }
    within: 1h
    order: any
    idle: 45s
    steps:
      - id: a
        title: Step A
        detect: { object: knife, min: 1.5s }
        verify: { question: "Knife?", expect: no, frames: 5 }
`;
    const r = loadSopText(text, 'ext.yaml');
    expect(r.errors).toEqual([]);
    if (!r.ok) return;
    const [d, req, seq] = r.sop.rules;
    expect(r.sop.revision).toBe(7);
    expect(d).toMatchObject({
      kind: 'duration', maxMs: 90_000, shadow: true, enabled: false, smoothing: { enterMs: 1000, exitMs: 2500 },
      when: { type: 'count', of: 'person', zone: '*', gte: 1, lte: 2 },
    });
    expect(d && 'minMs' in d).toBe(false);
    expect(req).toMatchObject({
      kind: 'required', maxGapMs: 120_000, smoothing: { enterMs: 1000, exitMs: 1500 },
      schedule: { days: ['sat', 'sun'], fromMin: 1350, toMin: 360, tz: 'Europe/Paris' },
      when: { type: 'not', of: { type: 'any', of: [{ type: 'object', label: 'cup', zone: '*', minScore: 0.4 }, { type: 'hands_in', zone: 'sink' }] } },
    });
    expect(seq).toMatchObject({
      kind: 'sequence', withinMs: 3_600_000, order: 'any', idleMs: 45_000,
      trigger: { type: 'all', of: [{ type: 'person_in', zone: 'sink' }] },
      steps: [{ id: 'a', title: 'Step A', minMs: 1500, detect: { type: 'object', label: 'knife', zone: '*' }, verify: { expect: 'no', frames: 5 } }],
    });
  });

  it('reads unquoted schedule times as text and gives a schedule all seven days by default', () => {
    const r = loadSopText(`${HEAD}  - id: r\n    kind: required\n    when: { person_in: grinder }\n    max_gap: 1m\n    schedule: { from: 07:00, to: 24:00 }\n`, 't.yaml');
    expect(r.errors).toEqual([]);
    if (r.ok && r.sop.rules[0]?.kind === 'required') {
      expect(r.sop.rules[0].schedule).toEqual({ days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'], fromMin: 420, toMin: 1440, tz: 'UTC' });
    }
  });
});

describe('each kind of mistake, at its line and column', () => {
  const rule = (body: string) => `${HEAD}${body}`;

  it('unknown zone, with a suggestion', () => {
    const t = rule('  - id: r\n    kind: forbidden\n    when: { person_in: grindr }\n');
    expect(errorsOf(t)).toEqual([`t.yaml:${pos(t, 'grindr')}: unknown zone "grindr" (did you mean "grinder"?)`]);
  });

  it('a zone missing for one of the cameras under zones, unless it is under "*"', () => {
    const base = HEAD.replace('rules:\n', '  bar-2:\n    grinder: [[0, 0], [1, 0], [1, 1]]\nrules:\n');
    const t = `${base}  - id: r\n    kind: forbidden\n    when: { hands_in: machine }\n`;
    expect(errorsOf(t)).toEqual([
      `t.yaml:${pos(t, 'machine }')}: zone "machine" is not defined for camera "bar-2" (define it there too, or under zones "*")`,
    ]);
    const shared = t.replace('rules:\n', '  "*":\n    machine: [[0, 0], [1, 0], [1, 1]]\nrules:\n');
    expect(loadSopText(shared, 't.yaml').errors).toEqual([]);
  });

  it('a zone when the file has no zones', () => {
    const t = 'id: a\ntitle: A\nversion: 1\ncameras: [c]\nrules:\n  - id: r\n    kind: forbidden\n    when: { object: cup, in: shelf }\n';
    expect(errorsOf(t)).toEqual([`t.yaml:${pos(t, 'shelf')}: unknown zone "shelf": the file defines no zones`]);
  });

  it('unknown key, at the key, with a suggestion', () => {
    const t = rule('  - id: r\n    kind: forbidden\n    when: { person_in: grinder }\n    fro: 3s\n');
    expect(errorsOf(t)).toEqual([`t.yaml:${pos(t, 'fro:')}: unknown key "fro" (did you mean "for"?)`]);
  });

  it('bad durations: no unit, a bad unit, units out of order, zero where it must be positive', () => {
    const t = rule(
      '  - id: r\n    kind: forbidden\n    when: { person_in: grinder }\n    for: 3\n' +
        '  - id: s\n    kind: sequence\n    trigger: { person_in: grinder }\n    within: 2 min\n    idle: 30s1m\n' +
        '    steps:\n      - id: a\n        detect: { person_in: grinder, min: 5sec }\n' +
        '  - id: q\n    kind: required\n    when: { person_in: grinder }\n    max_gap: 0s\n',
    );
    const hint = 'use a number and a unit: 500ms, 20s, 1.5s, 2m, 1h, or combined as 1m30s';
    expect(errorsOf(t)).toEqual([
      `t.yaml:${pos(t, '3\n')}: bad duration 3: ${hint}`,
      `t.yaml:${pos(t, '2 min')}: bad duration "2 min": ${hint}`,
      `t.yaml:${pos(t, '30s1m')}: bad duration "30s1m": units must go from largest to smallest, each once; ${hint}`,
      `t.yaml:${pos(t, '5sec')}: bad duration "5sec": ${hint}`,
      `t.yaml:${pos(t, 'max_gap: 0s', 0, 9)}: max_gap must be more than 0`,
    ]);
  });

  it('polygons: too few points, coordinates outside 0..1, a point that is not [x, y]', () => {
    const t = HEAD.replace('[[0.05, 0.30], [0.25, 0.30], [0.25, 0.70]]', '[[0.05, 0.30], [0.25, 0.30]]')
      .replace('[0.60, 0.75]]', '[1.60, -0.1], [0.2]]') + '  - id: r\n    kind: forbidden\n    when: { person_in: grinder }\n';
    expect(errorsOf(t)).toEqual([
      `t.yaml:${pos(t, '[[0.05')}: zone "grinder" has 2 points; a polygon needs at least 3`,
      `t.yaml:${pos(t, '1.60')}: coordinate 1.6 is outside 0..1 (points are fractions of the image width and height)`,
      `t.yaml:${pos(t, '-0.1')}: coordinate -0.1 is outside 0..1 (points are fractions of the image width and height)`,
      `t.yaml:${pos(t, '[0.2]')}: a point is [x, y], not 1 number`,
    ]);
  });

  it('unknown COCO labels, in object and in count, with the nearest label', () => {
    const t = rule('  - id: r\n    kind: forbidden\n    when: { object: cellphone }\n  - id: c\n    kind: required\n    when: { count: { of: persn, gte: 1 } }\n    max_gap: 1m\n');
    expect(errorsOf(t)).toEqual([
      `t.yaml:${pos(t, 'cellphone')}: unknown COCO label "cellphone" (did you mean "cell phone"?)`,
      `t.yaml:${pos(t, 'persn')}: unknown COCO label "persn" (did you mean "person"?)`,
    ]);
  });

  it('a COCO label is still checked in a rule whose kind is misspelt', () => {
    const t = rule('  - id: r\n    kind: forbiden\n    when: { object: cellphone }\n');
    expect(errorsOf(t)).toEqual([
      `t.yaml:${pos(t, 'forbiden')}: unknown rule kind "forbiden" (did you mean "forbidden"?); use one of duration, forbidden, required, sequence`,
      `t.yaml:${pos(t, 'cellphone')}: unknown COCO label "cellphone" (did you mean "cell phone"?)`,
    ]);
  });

  it('duplicate rule ids and duplicate step ids, at the second one', () => {
    const t = rule(
      '  - id: r\n    kind: forbidden\n    when: { person_in: grinder }\n' +
        '  - id: r\n    kind: sequence\n    trigger: { person_in: grinder }\n    within: 1m\n' +
        '    steps:\n      - id: a\n        detect: { person_in: grinder }\n      - id: a\n        detect: { hands_in: machine }\n',
    );
    expect(errorsOf(t)).toEqual([
      `t.yaml:${pos(t, 'id: r', 1, 4)}: duplicate rule id "r" (already used by entry 1 of the list)`,
      `t.yaml:${pos(t, 'id: a', 1, 4)}: duplicate step id "a" (already used by entry 1 of the list)`,
    ]);
  });

  it('a sequence without steps, and one with no steps key', () => {
    const t = rule('  - id: s\n    kind: sequence\n    trigger: { person_in: grinder }\n    within: 1m\n    steps: []\n' +
      '  - id: u\n    kind: sequence\n    trigger: { person_in: grinder }\n    within: 1m\n');
    expect(errorsOf(t)).toEqual([
      `t.yaml:${pos(t, '[]')}: sequence without steps: list at least one step`,
      `t.yaml:${pos(t, 'id: u')}: rule "u" is missing required key "steps"`,
    ]);
  });

  it('a duration rule with neither min nor max, and one with min > max', () => {
    const t = rule('  - id: d\n    kind: duration\n    when: { person_in: grinder }\n' +
      '  - id: e\n    kind: duration\n    when: { person_in: grinder }\n    min: 1m\n    max: 30s\n');
    expect(errorsOf(t)).toEqual([
      `t.yaml:${pos(t, 'duration')}: a duration rule needs min, max or both`,
      `t.yaml:${pos(t, '30s')}: min 1m is more than max 30s: no episode can pass`,
    ]);
  });

  it('count with no bound, and with gte > lte', () => {
    const t = rule('  - id: c\n    kind: forbidden\n    when: { count: { of: cup, in: machine } }\n' +
      '  - id: e\n    kind: forbidden\n    when: { count: { of: cup, gte: 3, lte: 1 } }\n');
    expect(errorsOf(t)).toEqual([
      `t.yaml:${pos(t, '{ of: cup, in')}: count needs gte, lte or both`,
      `t.yaml:${pos(t, '1 } }')}: count can never be true: gte 3 is more than lte 1`,
    ]);
  });

  it('bad schedule times, equal from and to, an unknown time zone, an unknown day', () => {
    const t = rule('  - id: q\n    kind: required\n    when: { person_in: grinder }\n    max_gap: 1m\n' +
      '    schedule: { days: [mon, tues], from: "25:00", to: "7am", tz: Europe/Pariss }\n' +
      '  - id: w\n    kind: required\n    when: { person_in: grinder }\n    max_gap: 1m\n    schedule: { from: "08:00", to: "08:00" }\n');
    expect(errorsOf(t)).toEqual([
      `t.yaml:${pos(t, 'tues')}: unknown day "tues" (did you mean "tue"?); use one of mon, tue, wed, thu, fri, sat, sun`,
      `t.yaml:${pos(t, '"25:00"')}: bad schedule time "25:00": hours go 00..23 and minutes 00..59`,
      `t.yaml:${pos(t, '"7am"')}: bad schedule time "7am": use "HH:MM", e.g. "07:30"`,
      `t.yaml:${pos(t, 'Europe/Pariss')}: unknown time zone "Europe/Pariss": use an IANA name such as "Europe/Paris" or "UTC"`,
      `t.yaml:${pos(t, '"08:00" }')}: schedule from and to are both "08:00"; for the whole day use from: "00:00", to: "24:00"`,
    ]);
  });

  it('conditions: two leaves in one, a modifier alone, in without object, an empty one', () => {
    const t = rule('  - id: a\n    kind: forbidden\n    when: { person_in: grinder, hands_in: machine }\n' +
      '  - id: b\n    kind: forbidden\n    when: { in: machine }\n' +
      '  - id: c\n    kind: forbidden\n    when: {}\n');
    expect(errorsOf(t)).toEqual([
      `t.yaml:${pos(t, 'hands_in')}: a condition takes one of person_in, hands_in, object, count, all, any, not; found person_in and hands_in (combine them with all: or any:)`,
      `t.yaml:${pos(t, '{ in: machine }')}: the condition has none of person_in, hands_in, object, count, all, any, not`,
      `t.yaml:${pos(t, 'in: machine }', 1)}: "in" only goes with "object"`,
      `t.yaml:${pos(t, '{}')}: "when" is empty: give a condition (person_in, hands_in, object, count, all, any or not)`,
    ]);
  });

  it('top-level problems: bad id, version, missing key, duplicate camera', () => {
    const t = 'id: Bar One\nversion: 2\ncameras: [a, a]\nrules:\n  - id: r\n    kind: forbidden\n    when: { object: cup }\n';
    expect(errorsOf(t)).toEqual([
      't.yaml:1:1: missing required key "title" at the top of the file',
      `t.yaml:1:5: bad SOP id "Bar One": use lower-case letters, digits and "-"`,
      `t.yaml:2:10: unsupported format version 2: this sopwatch reads version 1`,
      `t.yaml:${pos(t, 'a]')}: "cameras" lists "a" twice`,
    ]);
  });

  it('one message per mistake: a choice given the wrong type, min outside detect, an empty days list', () => {
    const t = rule('  - id: r\n    kind: forbidden\n    when: { person_in: grinder, min: 2s }\n    verify: { question: "Ok?", expect: true }\n' +
      '  - id: q\n    kind: required\n    when: { person_in: grinder }\n    max_gap: 1m\n    schedule: { days: [], from: "08:00", to: "09:00" }\n');
    expect(errorsOf(t)).toEqual([
      `t.yaml:${pos(t, 'min: 2s')}: unknown key "min": min goes only in a step's detect (a rule uses for, min or smoothing)`,
      `t.yaml:${pos(t, 'true')}: unknown expected answer true; use one of yes, no`,
      `t.yaml:${pos(t, '[]')}: no days: list at least one day, or leave days out for every day`,
    ]);
    const v = 'id: a\ntitle: A\nversion: "1"\ncameras: [c]\nrules:\n  - id: r\n    kind: forbidden\n    when: { object: cup }\n';
    expect(errorsOf(v)).toEqual(['t.yaml:3:10: "version" must be the number 1, not "1"']);
  });

  it('YAML syntax errors, positioned', () => {
    const dup = 'id: a\ntitle: A\nid: b\n';
    expect(errorsOf(dup)).toEqual(['t.yaml:3:1: YAML syntax: Map keys must be unique']);
    const [bad] = errorsOf('id: a\ntitle: [unclosed\nversion: 1\n');
    expect(bad).toMatch(/^t\.yaml:\d+:\d+: YAML syntax: /);
  });

  it('an empty file, a scalar, a list', () => {
    for (const text of ['', '# only a comment\n', 'hello', '- a\n- b\n']) {
      expect(errorsOf(text)).toEqual(['t.yaml:1:1: an SOP file must be a YAML mapping with id, title, version, cameras and rules']);
    }
  });
});

describe('many mistakes at once', () => {
  it('reports every problem of the file, sorted by position', () => {
    const t = `id: bar
title: Bar
version: 1
cameras: [bar-1]
zones:
  bar-1:
    grinder: [[0.05, 0.30], [0.25, 0.30], [0.25, 1.70]]
rules:
  - id: a
    kind: forbidden
    when: { object: cellphone, in: grindr }
    for: 3 s
  - id: a
    kind: duration
    whne: { person_in: grinder }
    min: 20s
`;
    const errors = errorsOf(t);
    expect(errors).toEqual([
      `t.yaml:${pos(t, '1.70')}: coordinate 1.7 is outside 0..1 (points are fractions of the image width and height)`,
      `t.yaml:${pos(t, 'cellphone')}: unknown COCO label "cellphone" (did you mean "cell phone"?)`,
      `t.yaml:${pos(t, 'grindr')}: unknown zone "grindr" (did you mean "grinder"?)`,
      `t.yaml:${pos(t, '3 s')}: bad duration "3 s": use a number and a unit: 500ms, 20s, 1.5s, 2m, 1h, or combined as 1m30s`,
      `t.yaml:${pos(t, 'id: a', 1)}: rule "a" is missing required key "when"`,
      `t.yaml:${pos(t, 'id: a', 1, 4)}: duplicate rule id "a" (already used by entry 1 of the list)`,
      `t.yaml:${pos(t, 'whne')}: unknown key "whne" (did you mean "when"?)`,
    ]);
  });
});

describe('never throws', () => {
  it('turns odd input into positioned errors', () => {
    const odd = ['\u0000\u0001', '{{{{', '- - - -', '*alias', '!!binary x', 'a: &x [*x]', 'id: .nan\n', `${'['.repeat(5000)}`,
      'zones: { c: { z: [[.nan, 0], [0, 0], [0, 1]] } }', 'rules: [{ kind: duration, when: { not: { not: { all: [] } } } }]'];
    for (const text of odd) {
      const r = loadSopText(text, 'odd.yaml');
      expect(r.ok).toBe(false);
      for (const e of r.errors) {
        expect(e.line).toBeGreaterThanOrEqual(1);
        expect(e.column).toBeGreaterThanOrEqual(1);
      }
    }
  });

  it('refuses .nan as a coordinate', () => {
    const t = HEAD.replace('[0.60, 0.75]]', '[.nan, 0.75]]') + '  - id: r\n    kind: forbidden\n    when: { person_in: grinder }\n';
    expect(errorsOf(t)).toEqual([`t.yaml:${pos(t, '.nan')}: coordinate NaN is not a number`]);
  });
});

describe('bounds of durations and counts', () => {
  it('reports a 400-digit duration and an 8-day one at their line and column, instead of a rule that never fires', () => {
    const huge = '9'.repeat(400);
    const text = `${HEAD}  - id: r\n    kind: required\n    when: { person_in: grinder }\n    max_gap: ${huge}s\n  - id: d\n    kind: duration\n    when: { hands_in: grinder }\n    min: 8d\n    max: 192h\n`;
    expect(errorsOf(text)).toEqual([
      `t.yaml:${pos(text, huge)}: bad duration "${huge}s": at most 7 days (168h)`,
      expect.stringMatching(new RegExp(`^t\\.yaml:${pos(text, '8d')}: `)),
      `t.yaml:${pos(text, '192h')}: bad duration "192h": at most 7 days (168h)`,
    ]);
  });

  it('refuses a count bound past 1000', () => {
    const text = `${HEAD}  - id: r\n    kind: forbidden\n    when: { count: { of: person, gte: 100000 } }\n`;
    const errors = errorsOf(text);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(new RegExp(`^t\\.yaml:${pos(text, '100000')}: .*1000`));
  });
});

describe('titles in two languages (title_zh)', () => {
  const rule = '  - id: wash\n    kind: duration\n    title: Hands washed\n    when: { hands_in: grinder }\n    min: 20s\n';

  it('keeps the plain title form as it was, with no Chinese title', () => {
    const r = loadSopText(`${HEAD}${rule}`, 't.yaml');
    if (!r.ok) throw new Error(r.errors.map(formatSopError).join('\n'));
    expect(r.sop.title).toBe('Bar');
    expect(r.sop.titleZh).toBeUndefined();
    expect(r.sop.rules[0]?.title).toBe('Hands washed');
    expect(r.sop.rules[0]?.titleZh).toBeUndefined();
  });

  it('compiles title_zh of the file, a rule and a step beside the English title', () => {
    const text = `${HEAD.replace('title: Bar\n', 'title: Bar\ntitle_zh: 吧台\n')}${rule.replace('    title: Hands washed\n', '    title: Hands washed\n    title_zh: 洗手\n')}` +
      '  - id: shot\n    kind: sequence\n    trigger: { person_in: grinder }\n    within: 90s\n    steps:\n' +
      '      - id: grind\n        title: Grind\n        title_zh: 磨粉\n        detect: { person_in: grinder }\n';
    const r = loadSopText(text, 't.yaml');
    if (!r.ok) throw new Error(r.errors.map(formatSopError).join('\n'));
    expect(r.sop.titleZh).toBe('吧台');
    expect(r.sop.rules[0]).toMatchObject({ title: 'Hands washed', titleZh: '洗手' });
    const seq = r.sop.rules[1];
    expect(seq?.kind === 'sequence' ? seq.steps[0] : undefined).toMatchObject({ id: 'grind', title: 'Grind', titleZh: '磨粉' });
  });

  it('refuses an empty title_zh and a map where text is expected, at their line and column', () => {
    const text = `${HEAD.replace('title: Bar\n', 'title: Bar\ntitle_zh: ""\n')}${rule.replace('    title: Hands washed\n', '    title: Hands washed\n    title_zh: { zh: 洗手 }\n')}`;
    const errors = errorsOf(text);
    expect(errors).toHaveLength(2);
    expect(errors[0]).toMatch(new RegExp(`^t\\.yaml:${pos(text, '""')}: `));
    expect(errors[1]).toMatch(new RegExp(`^t\\.yaml:${pos(text, '{ zh: 洗手 }')}: `));
  });
});
