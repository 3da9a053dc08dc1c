// What every rule kind shares (kinds/common.ts): how a model's answer is trusted, and durations as managers read them.
import { describe, expect, it } from 'vitest';
import type { VerifyAnswer } from '../../services/core/contracts.ts';
import { formatDuration, normaliseAnswer, unsureParts, unsureReason } from '../../services/rules/kinds/common.ts';

describe('normaliseAnswer', () => {
  const good: VerifyAnswer = { answer: 'no', confidence: 0.7, reason: 'a bare head', decidedBy: 'vlm:a/b', evidence: ['kf-1', 'kf-2'] };

  it('keeps a well-formed answer as it is', () => {
    expect(normaliseAnswer(good)).toEqual(good);
    expect(normaliseAnswer({ ...good, answer: 'yes' }).answer).toBe('yes');
  });

  it.each([
    ['undefined', undefined],
    ['null', null],
    ['a string', 'yes'],
  ])('%s is nobody\'s answer: unsure, with nothing in it', (_n, a) => {
    expect(normaliseAnswer(a as never)).toEqual({ answer: 'unsure', confidence: 0, reason: 'no reason given', decidedBy: 'none', evidence: [] });
  });

  it.each([
    ['no decider', { decidedBy: undefined }],
    ['an empty decider', { decidedBy: '' }],
    ['a decider that is not text', { decidedBy: 7 }],
  ])('%s: decided by none, and never yes or no', (_n, over) => {
    expect(normaliseAnswer({ ...good, ...over } as never)).toEqual({ ...good, answer: 'unsure', decidedBy: 'none' });
  });

  it('an unknown answer word is unsure', () => {
    expect(normaliseAnswer({ ...good, answer: 'maybe' } as never).answer).toBe('unsure');
  });

  it.each([
    [1.5, 1], [1, 1], [-0.2, 0], [0, 0], [Number.NaN, 0], [Number.POSITIVE_INFINITY, 0], ['0.9', 0],
  ])('confidence %j is taken as %j', (confidence, expected) => {
    expect(normaliseAnswer({ ...good, confidence } as never).confidence).toBe(expected);
  });

  it('a missing or empty reason says so; evidence keeps only names', () => {
    expect(normaliseAnswer({ ...good, reason: '' }).reason).toBe('no reason given');
    expect(normaliseAnswer({ ...good, reason: 3 } as never).reason).toBe('no reason given');
    expect(normaliseAnswer({ ...good, evidence: ['kf-1', 2, null, 'kf-3'] } as never).evidence).toEqual(['kf-1', 'kf-3']);
    expect(normaliseAnswer({ ...good, evidence: 'kf-1' } as never).evidence).toEqual([]);
  });

  it('the evidence list is a copy', () => {
    const evidence = ['kf-1'];
    const n = normaliseAnswer({ ...good, evidence });
    evidence.push('kf-2');
    expect(n.evidence).toEqual(['kf-1']);
  });
});

describe('unsureReason and unsureParts', () => {
  const unsure = normaliseAnswer({ answer: 'unsure', confidence: 0.4, reason: 'too dark', decidedBy: 'vlm:a/b', evidence: [] });
  const nobody = normaliseAnswer({ answer: 'yes', confidence: 0.9, reason: 'budget spent', decidedBy: 'none', evidence: [] });

  it('with and without a step', () => {
    expect([unsureReason(unsure), unsureReason(nobody), unsureReason(unsure, 'Tamp'), unsureReason(nobody, 'Tamp')]).toEqual([
      'the model was unsure: too dark', 'no model could answer: budget spent', 'Tamp: the model was unsure (too dark)',
      'Tamp: no model could answer (budget spent)',
    ]);
    expect([unsureParts(unsure), unsureParts(nobody), unsureParts(unsure, { id: 'tamp' }), unsureParts(nobody, { id: 'tamp' })]).toEqual([
      { code: 'model_unsure', values: { reason: 'too dark' } }, { code: 'no_model', values: {} },
      { code: 'model_unsure', values: { step: { id: 'tamp' }, reason: 'too dark' } }, { code: 'no_model', values: { step: { id: 'tamp' } } },
    ]);
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '0 s'], [400, '0.4 s'], [12_449, '12.4 s'], [12_450, '12.5 s'], [20_000, '20 s'], [119_999, '120 s'], [120_000, '2 min'],
    [90_000, '90 s'], [150_000, '2.5 min'], [300_000, '5 min'], [-5_000, '-5 s'], [-180_000, '-3 min'],
    [Number.POSITIVE_INFINITY, 'Infinity'], [Number.NaN, 'NaN'],
  ])('%j ms reads %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});
