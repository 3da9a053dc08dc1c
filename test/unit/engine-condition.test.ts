// Conditions per frame: which subjects a condition holds for, and how combinations mix subject and scene level.
import { describe, expect, it } from 'vitest';
import type { Observation } from '../../services/core/contracts.ts';
import type { Condition } from '../../services/rules/compiled.ts';
import { describeCondition, FrameFacts } from '../../services/rules/condition.ts';
import { hand, handsIn, objectIn, person, personIn, thing } from './engine-fixtures.ts';

const scene: Observation[] = [
  ...person('p:1', 'sink'), ...person('p:2', 'bar'),
  ...hand('p:1', 'sink'), ...hand('h:7', 'sink'), ...hand('p:2', 'bar'),
  ...thing('cup', 'sink', 'o:1', 0.8), ...thing('cup', 'bar', 'o:2', 0.4),
  ...thing('cup', 'sink', 'o:1', 0.8), // the same cup twice: counted once
];

const count = (of: string, zone: string, gte?: number, lte?: number): Condition => {
  const c: Condition = { type: 'count', of, zone };
  if (gte !== undefined) c.gte = gte;
  if (lte !== undefined) c.lte = lte;
  return c;
};
const all = (...of: Condition[]): Condition => ({ type: 'all', of });
const any = (...of: Condition[]): Condition => ({ type: 'any', of });
const not = (of: Condition): Condition => ({ type: 'not', of });

describe('conditions evaluate to subject sets', () => {
  const cases: Array<[string, Condition, string[]]> = [
    ['person_in a zone: the persons there', personIn('sink'), ['p:1']],
    ['person_in *: every person', personIn('*'), ['p:1', 'p:2']],
    ['person_in an empty zone', personIn('door'), []],
    ['hands_in: owned hands as persons, others as h:', handsIn('sink'), ['h:7', 'p:1']],
    ['object in zone: scene-level true', objectIn('cup', 'sink'), ['*']],
    ['object anywhere', objectIn('cup'), ['*']],
    ['object not there', objectIn('knife'), []],
    ['object below min_score', objectIn('cup', 'bar', 0.5), []],
    ['object at min_score exactly', objectIn('cup', 'bar', 0.4), ['*']],
    ['object person matches person observations', objectIn('person', 'bar'), ['*']],
    ['count of person, distinct', count('person', '*', 2, 2), ['*']],
    ['count of person too few', count('person', 'sink', 2), []],
    ['count of cup counts distinct tracks', count('cup', '*', 2, 2), ['*']],
    ['count of cup in sink counts the duplicate once', count('cup', 'sink', 1, 1), ['*']],
    ['count lte 0 of an absent label', count('knife', '*', undefined, 0), ['*']],
    ['count lte 0 of a present label', count('cup', '*', undefined, 0), []],
    ['any: union with the scene key', any(personIn('sink'), objectIn('cup', 'sink')), ['*', 'p:1']],
    ['any: scene-level only', any(objectIn('knife'), objectIn('cup')), ['*']],
    ['any: subject only', any(personIn('sink'), personIn('bar')), ['p:1', 'p:2']],
    ['all: intersection of subject sets', all(personIn('*'), handsIn('sink')), ['p:1']],
    ['all: a true scene child keeps the subjects', all(personIn('sink'), objectIn('cup')), ['p:1']],
    ['all: a false scene child empties it', all(personIn('sink'), objectIn('knife')), []],
    ['all: scene-level only', all(objectIn('cup'), count('person', '*', 1)), ['*']],
    ['all: * inside a subject set means everyone',
      all(any(personIn('door'), objectIn('cup')), personIn('bar')), ['p:2']],
    ['not: scene-level, false when anything holds', not(personIn('sink')), []],
    ['not: true when nothing holds', not(personIn('door')), ['*']],
    ['not of not', not(not(objectIn('cup'))), ['*']],
    ['empty all is true, empty any is false', all(all(), not(any())), ['*']],
    ['count honours a min_score when given', { ...count('cup', '*', 2), minScore: 0.5 } as Condition, []],
  ];
  it.each(cases)('%s', (_name, condition, expected) => {
    expect([...new FrameFacts(scene).subjects(condition)].sort()).toEqual(expected);
  });

  it('ignores malformed observations instead of throwing', () => {
    const junk = [null, 42, { kind: 'person' }, { kind: 'person', label: 'person', zone: 'sink', subject: '' },
      ...person('p:3', 'sink')] as unknown[];
    expect([...new FrameFacts(junk).subjects(personIn('sink'))]).toEqual(['p:3']);
    expect([...new FrameFacts(undefined).subjects(personIn('sink'))]).toEqual([]);
  });

  it('treats zone * as anywhere even when the observer sent no * entry', () => {
    const bare: Observation[] = [{ kind: 'person', label: 'person', zone: 'sink', subject: 'p:9', score: 1 }];
    expect([...new FrameFacts(bare).subjects(personIn('*'))]).toEqual(['p:9']);
  });
});

describe('describeCondition', () => {
  it.each<[Condition, string]>([
    [handsIn('sink'), 'hands at sink'],
    [personIn('*'), 'a person'],
    [objectIn('cell phone', 'machine'), 'cell phone at machine'],
    [count('person', 'counter', 1, 2), '1 to 2 person at counter'],
    [all(personIn('bar'), not(objectIn('cup'))), 'person at bar and no cup'],
    [any(all(handsIn('a'), handsIn('b')), objectIn('knife')), '(hands at a and hands at b) or knife'],
  ])('%j reads "%s"', (c, text) => {
    expect(describeCondition(c)).toBe(text);
  });
});
