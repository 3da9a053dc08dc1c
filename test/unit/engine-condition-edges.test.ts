// Conditions at their edges: every wording of a count, nesting in messages, each malformed field of an observation,
// what a count counts, and its min_score boundary.
import { describe, expect, it } from 'vitest';
import type { Observation } from '../../services/core/contracts.ts';
import type { Condition } from '../../services/rules/compiled.ts';
import { describeCondition, FrameFacts } from '../../services/rules/condition.ts';
import { hand, handsIn, objectIn, person, personIn, thing } from './engine-fixtures.ts';

const count = (of: string, bounds: { gte?: number; lte?: number }, zone = 'counter'): Condition => ({ type: 'count', of, zone, ...bounds });

describe('describeCondition: counts and nesting', () => {
  it.each<[Condition, string]>([
    [count('cup', { gte: 2, lte: 2 }), 'exactly 2 cup at counter'],
    [count('cup', { gte: 1, lte: 3 }), '1 to 3 cup at counter'],
    [count('cup', { gte: 2 }), 'at least 2 cup at counter'],
    [count('cup', { lte: 4 }), 'at most 4 cup at counter'],
    [count('cup', {}), 'any number of cup at counter'],
    [count('person', { gte: 1 }, '*'), 'at least 1 person'],
    [{ type: 'not', of: { type: 'all', of: [handsIn('a'), handsIn('b')] } }, 'no (hands at a and hands at b)'],
    [{ type: 'not', of: { type: 'any', of: [personIn('a'), objectIn('cup')] } }, 'no (person at a or cup)'],
    [{ type: 'all', of: [{ type: 'not', of: handsIn('a') }, objectIn('cup', 'b')] }, 'no hands at a and cup at b'],
  ])('%j reads "%s"', (c, text) => {
    expect(describeCondition(c)).toBe(text);
  });
});

describe('FrameFacts: malformed observations', () => {
  const good = { kind: 'person', label: 'person', zone: 'sink', subject: 'p:1', score: 0.9 };
  it.each([
    ['kind not text', { kind: 1, subject: 'p:2' }],
    ['no label', { label: undefined, subject: 'p:3' }],
    ['zone not text', { zone: 7, subject: 'p:4' }],
    ['subject not text', { subject: 5 }],
    ['empty subject', { subject: '' }],
  ])('one field wrong (%s): that observation is ignored, the others kept', (_n, over) => {
    const facts = new FrameFacts([good, { ...good, ...over }]);
    expect([...facts.subjects(personIn('sink'))]).toStrictEqual(['p:1']);
    expect([...facts.subjects(personIn('*'))]).toStrictEqual(['p:1']);
  });
});

describe('FrameFacts: what a count counts', () => {
  const frame: Observation[] = [
    ...thing('cup', 'counter', 'o:1', 0.7), ...thing('cup', 'counter', 'o:2', 0.5), ...person('p:1', 'counter'), ...hand('p:1', 'counter'),
  ];
  const holds = (c: Condition): boolean => new FrameFacts(frame).subjects(c).size > 0;

  it('objects by label, people by the label person, never hands', () => {
    expect([holds(count('cup', { gte: 2, lte: 2 })), holds(count('person', { gte: 1, lte: 1 })), holds(count('hand', { gte: 1 }))])
      .toStrictEqual([true, true, false]);
  });

  it('min_score is inclusive', () => {
    expect(holds({ ...count('cup', { gte: 1, lte: 1 }), minScore: 0.7 } as Condition)).toBe(true);
    expect(holds({ ...count('cup', { gte: 1 }), minScore: 0.71 } as Condition)).toBe(false);
  });
});

describe('FrameFacts: all of conditions that hold for everyone', () => {
  // `any(cup anywhere, person at x)` holds for everyone (`*`) when a cup is seen, plus whoever is at x.
  const frame: Observation[] = [...thing('cup', 'bar'), ...thing('knife', 'bar'), ...person('p:1', 'a'), ...person('p:2', 'b')];
  const anyOf = (...of: Condition[]): Condition => ({ type: 'any', of });
  const allOf = (...of: Condition[]): Condition => ({ type: 'all', of });
  const subjects = (c: Condition): string[] => [...new FrameFacts(frame).subjects(c)].sort();

  it('two such parts keep everyone and the subjects of both', () => {
    expect(subjects(allOf(anyOf(objectIn('cup'), personIn('a')), anyOf(objectIn('knife'), personIn('b'))))).toStrictEqual(['*', 'p:1', 'p:2']);
  });

  it('with a part that holds for some subjects, those subjects', () => {
    expect(subjects(allOf(personIn('a'), anyOf(objectIn('cup'), personIn('nowhere'))))).toStrictEqual(['p:1']);
    expect(subjects(allOf(anyOf(objectIn('cup'), personIn('nowhere')), personIn('b')))).toStrictEqual(['p:2']);
  });
});
