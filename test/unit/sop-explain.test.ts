// `sop explain`: what a store manager reads before a rule goes live, rule kind by rule kind.
import { describe, expect, it } from 'vitest';
import { explainSop } from '../../services/rules/sop-explain.ts';
import { loadSopText } from '../../services/rules/sop-loader.ts';

function explain(rules: string, extra = ''): string {
  const text = `id: t\ntitle: Test SOP\nversion: 1\ncameras: [cam-1]\n${extra}zones:\n  cam-1:\n    sink: [[0, 0], [1, 0], [1, 1]]\n    bar: [[0, 0], [1, 0], [1, 1]]\nrules:\n${rules}`;
  const load = loadSopText(text, 't.yaml');
  if (!load.ok) throw new Error(load.errors.map((e) => e.message).join('\n'));
  return explainSop(load.sop);
}

describe('explainSop', () => {
  it('duration rules: what, where, how long, severity', () => {
    const out = explain('  - id: wash\n    kind: duration\n    when: { person_in: sink }\n    min: 20s\n    max: 2m\n    severity: high\n');
    expect(out).toContain('Flags a visit to zone sink that lasts less than 20 s (too_short).');
    expect(out).toContain('Flags a visit to zone sink that lasts more than 2 min, as soon as it passes 2 min (too_long).');
    expect(out).toContain('Severity: high.');
  });

  it('forbidden rules with and without a model question', () => {
    const out = explain(
      '  - id: phone\n    kind: forbidden\n    when: { object: cell phone, in: bar }\n    for: 3s\n' +
        '  - id: gloves\n    kind: forbidden\n    when: { hands_in: bar }\n    verify: { question: "Gloves on?", expect: yes, frames: 2 }\n',
    );
    expect(out).toContain('Flags it when a cell phone is seen in zone bar for 3 s or longer (forbidden).');
    expect(out).toContain('When hands are in zone bar, asks the model "Gloves on?" about 2 frames; a compliant scene answers "yes".');
    expect(out).toContain('Flags it (forbidden) only when the model answers "no".');
    expect(out).toContain('goes to a person for review');
    expect(out).toContain('Counts episodes, not people: several at once make one violation that lists them, from the first one in to the last one out, and one question about all of them.');
  });

  it('says which kind counts what: per subject, per episode, the scene', () => {
    const out = explain(
      '  - id: wash\n    kind: duration\n    when: { hands_in: bar }\n    min: 20s\n' +
        '  - id: net\n    kind: forbidden\n    when: { person_in: bar }\n    verify: { question: "Is this person wearing a hair net?", expect: yes, per: subject }\n' +
        '  - id: staffed\n    kind: required\n    when: { person_in: bar }\n    max_gap: 5m\n',
    );
    expect(out).toContain('Counts each person apart: every person\'s episode is judged on its own.');
    expect(out).toContain('Counts each person apart: one question and one violation per person.');
    expect(out).toContain('Counts the scene: anyone holding the condition closes a gap.');
  });

  it('required rules with a schedule, and counts', () => {
    const out = explain('  - id: staff\n    kind: required\n    when: { count: { of: person, in: bar, gte: 2 } }\n    max_gap: 5m\n' +
      '    schedule: { days: [sat, sun], from: "22:00", to: "02:00", tz: Europe/Paris }\n');
    expect(out).toContain('From 22:00 to 02:00 (crossing midnight) on Sat, Sun, time zone Europe/Paris, flags any stretch longer than 5 min when fewer than 2 people are in zone bar (gap).');
  });

  it('sequences: trigger, steps in order, model questions, idle end, shadow and disabled', () => {
    const out = explain('  - id: seq\n    kind: sequence\n    title: Wash then serve\n    trigger: { not: { hands_in: sink } }\n    within: 1m30s\n    shadow: true\n    enabled: false\n' +
      '    steps:\n      - id: a\n        title: Wash\n        detect: { hands_in: sink, min: 20s }\n        verify: { question: "Soap?", expect: yes }\n      - id: b\n        detect: { any: [{ object: cup }, { person_in: bar }] }\n');
    expect(out).toContain('1. Wash then serve [seq, sequence]');
    expect(out).toContain('OFF: this rule is disabled');
    expect(out).toContain('A run starts each time no hands are in zone sink.');
    expect(out).toContain('within 1 min 30 s:');
    expect(out).toContain('1. Wash (a): hands are in zone sink for at least 20 s. Then asks the model "Soap?"');
    expect(out).toContain('2. b: any of these holds: (a cup is seen anywhere in view) or (a person is in zone bar). Detector only, no model question.');
    expect(out).toContain('(verify_failed)');
    expect(out).toContain('Shadow mode');
  });

  it('states the smoothing that applies', () => {
    const out = explain('  - id: d\n    kind: duration\n    when: { person_in: sink }\n    min: 1s\n', 'smoothing: { enter: 1s, exit: 3s }\n');
    expect(out).toContain('Counts a condition as started once it has held 1 s, and as ended once it has been false 3 s');
  });
});
