// The notify section of sopwatch.yaml (defaults, positioned errors, secrets only by variable name) and shift times.
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../services/core/config.ts';
import { formatLocal, latestEndedShift, zonedToUtc } from '../../services/notify/index.ts';

function problems(text: string): string[] {
  try {
    parseConfig(text, 'sopwatch.yaml');
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

describe('notify config', () => {
  it('defaults to no channels and sensible timings', () => {
    const n = parseConfig('', 'sopwatch.yaml').notify;
    expect(n).toMatchObject({ channels: [], stores: [], cooldownMs: 900_000, maxAttempts: 8, escalation: { afterMs: 1_800_000, minSeverity: 'high' } });
  });

  it('fills channel defaults', () => {
    const n = parseConfig('notify:\n  channels:\n    - { id: bar, type: wecom, urlEnv: WECOM_URL }\n', 'x.yaml').notify;
    expect(n.channels[0]).toEqual({ id: 'bar', type: 'wecom', urlEnv: 'WECOM_URL', stores: ['*'], minSeverity: 'medium', events: ['violation', 'digest'], timeoutMs: 10_000, feishuMsgType: 'interactive' });
  });

  it('points at the line of each problem: a literal URL, a missing urlEnv, a bad time, duplicate ids, a secret on the wrong type', () => {
    const text = [
      'notify:',
      '  stores:',
      '    - { store: main, shiftEnds: ["25:00"] }',
      '  channels:',
      '    - id: a',
      '      type: webhook',
      '      url: https://hooks.example.com/T0KEN',
      '    - { id: b, type: slack }',
      '    - { id: b, type: slack, urlEnv: S, secretEnv: X }',
      '    - { id: m, type: email }',
      '',
    ].join('\n');
    expect(problems(text)).toEqual([
      'sopwatch.yaml:3:34: notify.stores.0.shiftEnds.0: expected string to match \'^([01][0-9]|2[0-3]):[0-5][0-9]$\'',
      'sopwatch.yaml:7:7: unknown key "url"',
    ]);
    expect(problems(text.replace('"25:00"', '"22:00"').replace('      url: https://hooks.example.com/T0KEN\n', '      urlEnv: HOOK\n'))).toEqual([
      'sopwatch.yaml:8:22: a slack channel needs urlEnv (the environment variable holding its URL)',
      'sopwatch.yaml:9:13: duplicate channel id "b"',
      'sopwatch.yaml:9:51: slack has no signing secret; secretEnv is for dingtalk and feishu',
      'sopwatch.yaml:10:22: an email channel needs an email block (host, from, to)',
    ]);
  });

  it('refuses a mail address that could inject a header, and a half-given SMTP login', () => {
    const base = (email: string) => `notify:\n  channels:\n    - id: m\n      type: email\n      email: ${email}\n`;
    expect(problems(base('{ host: h, from: "a@b.c\\nBcc: x@y.z", to: [m@x.y] }'))).toHaveLength(1);
    expect(problems(base('{ host: h, from: a@b.c, to: [m@x.y], userEnv: U }'))).toEqual(['sopwatch.yaml:5:14: give both userEnv and passwordEnv, or neither']);
    expect(problems(base('{ host: h, from: a@b.c, to: [m@x.y], userEnv: U, passwordEnv: P }'))).toEqual([]);
  });
});

describe('shift ends in a store\'s time zone', () => {
  it('finds the latest ended shift and the one before it, across midnight', () => {
    const tz = 'Asia/Shanghai';
    const at = (d: number, h: number, m = 0) => zonedToUtc(tz, 2025, 3, d, h, m);
    expect(at(14, 14)).toBe(Date.UTC(2025, 2, 14, 6, 0));
    expect(latestEndedShift(at(14, 15), tz, ['14:00', '22:00'])).toEqual({ startMs: at(13, 22), endMs: at(14, 14) });
    expect(latestEndedShift(at(14, 23), tz, ['14:00', '22:00'])).toEqual({ startMs: at(14, 14), endMs: at(14, 22) });
    expect(latestEndedShift(at(14, 9), tz, ['14:00', '22:00'])).toEqual({ startMs: at(13, 14), endMs: at(13, 22) });
    expect(latestEndedShift(at(14, 9), tz, ['06:00'])).toEqual({ startMs: at(13, 6), endMs: at(14, 6) });
    expect(latestEndedShift(at(14, 9), tz, [])).toBeUndefined();
    expect(formatLocal(at(14, 9, 5), tz)).toBe('2025-03-14 09:05 (Asia/Shanghai)');
  });

  it('follows daylight saving time and falls back to UTC for an unknown zone', () => {
    // New York moved to summer time on 2025-03-09: 22:00 local is 03:00 UTC the next day before, 02:00 UTC after.
    expect(zonedToUtc('America/New_York', 2025, 3, 8, 22, 0)).toBe(Date.UTC(2025, 2, 9, 3, 0));
    expect(zonedToUtc('America/New_York', 2025, 3, 10, 22, 0)).toBe(Date.UTC(2025, 2, 11, 2, 0));
    expect(formatLocal(Date.UTC(2025, 2, 14, 1, 5), 'Mars/Olympus')).toBe('2025-03-14 01:05 (UTC)');
  });
});
