// What the engine reports beyond verdicts: the cause chain of a rule it cannot run, a finish with no frames, the
// boundaries of a schedule window.
import { describe, expect, it } from 'vitest';
import { InputError } from '../../services/core/errors.ts';
import { createRuleEngine } from '../../services/rules/engine.ts';
import { checkTimeZone, ScheduleWindows } from '../../services/rules/schedule.ts';
import { CAMERA, personIn, requiredRule, sop } from './engine-fixtures.ts';

describe('errors keep their cause', () => {
  it('an unknown time zone: the runtime\'s RangeError under the InputError, and that under the engine\'s', () => {
    const caught = (f: () => void): unknown => { try { f(); } catch (e) { return e; } return undefined; };
    const zone = caught(() => checkTimeZone('Nowhere/Here'));
    expect(zone).toBeInstanceOf(InputError);
    expect((zone as Error).cause).toBeInstanceOf(RangeError);
    const bad = requiredRule({ id: 'night', when: personIn('door'), maxGapMs: 1, schedule: { days: ['mon'], fromMin: 0, toMin: 60, tz: 'Nowhere/Here' } });
    const engine = caught(() => createRuleEngine([sop([bad])], { cameraId: CAMERA, clockOriginMs: 0 }));
    expect((engine as Error).cause).toBeInstanceOf(InputError);
    expect(((engine as Error).cause as Error).message).toBe('unknown time zone "Nowhere/Here"');
  });
});

describe('finish with no frames', () => {
  it('gives nothing, and a second finish nothing either', () => {
    const engine = createRuleEngine([sop([requiredRule({ when: personIn('door'), maxGapMs: 1_000 })])], { cameraId: CAMERA });
    expect(engine.finish(60_000)).toStrictEqual([]);
    expect(engine.finish(120_000)).toStrictEqual([]);
  });
});

describe('ScheduleWindows.at', () => {
  it('a window holds its start and not its end', () => {
    // 09:00-10:00 in Shanghai (UTC+8) on 2024-05-03 is 01:00-02:00 UTC.
    const w = new ScheduleWindows({ days: ['fri'], fromMin: 9 * 60, toMin: 10 * 60, tz: 'Asia/Shanghai' });
    const start = Date.UTC(2024, 4, 3, 1);
    const end = Date.UTC(2024, 4, 3, 2);
    expect(w.at(start)).toStrictEqual({ startMs: start, endMs: end });
    expect(w.at(end - 1)).toStrictEqual({ startMs: start, endMs: end });
    expect(w.at(end)).toBeUndefined();
    expect(w.at(start - 1)).toBeUndefined();
  });
});
