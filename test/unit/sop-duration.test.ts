// Durations of SOP files: the accepted forms, the refused ones, and how they read back.
import { describe, expect, it } from 'vitest';
import { DURATION_PATTERN, MAX_DURATION_MS, formatDuration, parseDuration } from '../../services/rules/duration.ts';

describe('parseDuration', () => {
  it.each([
    ['500ms', 500], ['20s', 20_000], ['1.5s', 1500], ['2m', 120_000], ['1h', 3_600_000], ['0s', 0],
    ['1m30s', 90_000], ['1h15m', 4_500_000], ['2s500ms', 2500], ['1h0m1s', 3_601_000], ['0.25s', 250],
  ])('%s is %i ms', (text, ms) => {
    expect(parseDuration(text)).toEqual({ ok: true, ms });
    expect(new RegExp(DURATION_PATTERN).test(text)).toBe(true);
  });

  it.each(['', '20', '20 s', 's', '1.s', '-1s', '20sec', '1d', '1M', ' 2s', '2s '])('refuses %j', (text) => {
    expect(parseDuration(text).ok).toBe(false);
    expect(new RegExp(DURATION_PATTERN).test(text)).toBe(false);
  });

  it('refuses units out of order or repeated, which the schema pattern lets through', () => {
    for (const text of ['30s1m', '1s1s', '500ms1s', '1m1h']) {
      expect(new RegExp(DURATION_PATTERN).test(text)).toBe(true);
      expect(parseDuration(text)).toEqual({ ok: false, reason: expect.stringContaining('largest to smallest') });
    }
  });

  it('refuses more than 7 days, and a number too long to be finite, instead of reading Infinity', () => {
    expect(parseDuration('168h')).toEqual({ ok: true, ms: MAX_DURATION_MS });
    for (const text of ['168h1ms', '10081m', `${'9'.repeat(400)}s`, `${'1'.repeat(400)}ms`]) {
      expect(parseDuration(text)).toEqual({ ok: false, reason: 'at most 7 days (168h)' });
    }
  });

  it('refuses what is not a string', () => {
    for (const v of [3, null, undefined, {}, ['1s']]) expect(parseDuration(v).ok).toBe(false);
  });
});

describe('formatDuration', () => {
  it.each([[500, '500 ms'], [20_000, '20 s'], [1500, '1.5 s'], [90_000, '1 min 30 s'], [3_600_000, '1 h'], [4_500_000, '1 h 15 min']])(
    '%i ms reads "%s"',
    (ms, text) => expect(formatDuration(ms)).toBe(text),
  );
});
