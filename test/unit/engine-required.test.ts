// `required` rules through the engine: gaps, the max_gap boundary, smoothing, schedules and time zones.
import { describe, expect, it } from 'vitest';
import { ViolationKind } from '../../services/core/contracts.ts';
import type { Schedule } from '../../services/rules/compiled.ts';
import { createRuleEngine } from '../../services/rules/engine.ts';
import { CAMERA, person, personIn, requiredRule, run, sop, stream, timeline, type Segment } from './engine-fixtures.ts';

const MIN = 60_000;
const HOUR = 60 * MIN;
const ALL_DAYS: Schedule['days'] = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
const staffed = (from: number, to: number): Segment => ({ from, to, obs: person('p:1', 'register') });
const rule = (maxGapMs = 30_000, over: Partial<Parameters<typeof requiredRule>[0]> = {}) =>
  requiredRule({ id: 'register-staffed', when: personIn('register'), maxGapMs, ...over });
const gaps = (r: ReturnType<typeof run>) => r.violations.map((v) => {
  const end = r.ends.find((e) => e.id === v.id);
  return [v.startMs, end?.endMs ?? v.endMs, v.ongoing === true];
});

describe('required without a schedule', () => {
  const cases: Array<[string, Segment[], number, Array<[number, number, boolean]>]> = [
    ['always there: nothing', [staffed(0, 60_000)], 60_000, []],
    ['a gap exactly max_gap long passes', [staffed(0, 10_000), staffed(40_000, 45_000)], 45_000, []],
    ['one frame longer is a gap, raised when it closes', [staffed(0, 10_000), staffed(40_200, 45_000)], 45_000, [[10_000, 40_200, false]]],
    ['a long gap is raised while open and closed when the condition returns', [staffed(0, 1_000), staffed(40_000, 42_000)], 42_000, [[1_000, 40_000, true]]],
    ['a gap still open at the end closes with the stream', [staffed(0, 10_000)], 50_000, [[10_000, 50_000, true]]],
    ['a stream that starts empty has a gap from its first frame', [staffed(35_000, 36_000)], 36_000, [[0, 35_000, true]]],
  ];
  it.each(cases)('%s', (_n, segments, to, expected) => {
    expect(gaps(run([rule()], stream(segments, { to })))).toEqual(expected);
  });

  it('is raised as soon as max_gap is exceeded', () => {
    const engine = createRuleEngine([sop([rule()])], { cameraId: CAMERA });
    const seen = timeline(engine, stream([staffed(0, 10_000)], { to: 45_000 }));
    expect(seen).toHaveLength(1);
    expect(seen[0]?.atMs).toBe(40_200);
    expect(seen[0]?.verdict).toMatchObject({
      type: 'violation',
      violation: {
        id: 'test-sop/register-staffed/gap/-/*/10000', kind: ViolationKind.Gap, subject: '*', startMs: 10_000,
        endMs: 40_200, ongoing: true, message: 'person at register: not seen for more than 30 s, the longest gap the SOP allows',
      },
    });
  });

  it('a closed gap says how long it was', () => {
    const r = run([rule()], stream([staffed(0, 10_000), staffed(45_000, 46_000)]));
    expect(r.violations[0]?.message).toMatch(/not seen for more than 30 s/);
    const closed = run([rule()], stream([staffed(0, 10_000), staffed(40_200, 41_000)]));
    expect(closed.violations[0]?.message).toBe('person at register: not seen for 30.2 s, the SOP allows at most 30 s');
  });

  it('a one-frame flicker on does not end a gap when enterMs smooths it', () => {
    const segments = [staffed(20_000, 20_000)];
    const smoothed = run([rule(30_000, { smoothing: { enterMs: 400, exitMs: 0 } })], stream(segments, { to: 35_000 }));
    expect(gaps(smoothed)).toEqual([[0, 35_000, true]]);
    // Without smoothing the flicker counts: the gap restarts from it.
    const raw = run([rule()], stream(segments, { to: 55_000 }));
    expect(gaps(raw)).toEqual([[20_000, 55_000, true]]);
  });

  it('a short absence inside exitMs is no gap at all', () => {
    const r = run([rule(1_000, { smoothing: { enterMs: 0, exitMs: 2_000 } })], stream([staffed(0, 5_000), staffed(6_400, 9_000)]));
    expect(r.violations).toEqual([]);
  });

  it('with exitMs longer than max_gap, the gap is raised as soon as the absence is confirmed', () => {
    const r = run([rule(1_000, { smoothing: { enterMs: 0, exitMs: 2_000 } })], stream([staffed(0, 5_000)], { to: 9_000 }));
    expect(gaps(r)).toEqual([[5_000, 9_000, true]]);
  });

  it('a schedule without a wall clock applies all the time', () => {
    const schedule: Schedule = { days: ['mon'], fromMin: 540, toMin: 600, tz: 'Asia/Shanghai' };
    expect(gaps(run([rule(30_000, { schedule })], stream([], { to: 40_000 })))).toEqual([[0, 40_000, true]]);
  });
});

describe('required with a schedule', () => {
  const empty = (hours: number, stepMs = 10_000) => stream([], { to: hours * HOUR, stepMs });
  const scheduled = (schedule: Schedule, maxGapMs = 30 * MIN) => rule(maxGapMs, { schedule });

  it('Asia/Shanghai 22:00-02:00: a gap opens at the window start and closes at its end', () => {
    const r = run([scheduled({ days: ALL_DAYS, fromMin: 22 * 60, toMin: 2 * 60, tz: 'Asia/Shanghai' })],
      empty(5), { clockOriginMs: Date.UTC(2024, 4, 1, 13, 59) }); // 21:59 local
    expect(r.violations).toHaveLength(1);
    expect(r.violations[0]).toMatchObject({ startMs: MIN, endMs: MIN + 30 * MIN + 10_000, ongoing: true });
    expect(r.ends).toEqual([{ id: r.violations[0]?.id, endMs: MIN + 4 * HOUR }]);
  });

  it('a window crossing midnight belongs to the day it starts on', () => {
    const fridayNight: Schedule = { days: ['fri'], fromMin: 22 * 60, toMin: 2 * 60, tz: 'Asia/Shanghai' };
    // Saturday 00:30 local is inside Friday's window: the gap starts with the stream.
    const saturday = run([scheduled(fridayNight, 20 * MIN)], empty(1), { clockOriginMs: Date.UTC(2024, 4, 3, 16, 30) });
    expect(gaps(saturday)).toEqual([[0, HOUR, true]]);
    // Friday 00:30 local belongs to Thursday's window, which does not exist.
    const friday = run([scheduled(fridayNight, 20 * MIN)], empty(1), { clockOriginMs: Date.UTC(2024, 4, 2, 16, 30) });
    expect(friday.violations).toEqual([]);
  });

  it('outside the window nothing is required', () => {
    const shop: Schedule = { days: ALL_DAYS, fromMin: 9 * 60, toMin: 17 * 60, tz: 'Asia/Shanghai' };
    const r = run([scheduled(shop)], empty(1), { clockOriginMs: Date.UTC(2024, 4, 3, 9, 30) }); // 17:30 local
    expect(r.violations).toEqual([]);
  });

  it('a gap starts at the later of the last true frame and the window start', () => {
    const shop: Schedule = { days: ALL_DAYS, fromMin: 9 * 60, toMin: 17 * 60, tz: 'Asia/Shanghai' };
    const origin = Date.UTC(2024, 4, 3, 0); // 08:00 local
    const leftAfterOpening = run([scheduled(shop)], stream([staffed(0, 70 * MIN)], { to: 2 * HOUR, stepMs: 10_000 }), { clockOriginMs: origin });
    expect(gaps(leftAfterOpening)).toEqual([[70 * MIN, 2 * HOUR, true]]);
    const leftBeforeOpening = run([scheduled(shop)], stream([staffed(0, 30 * MIN)], { to: 2 * HOUR, stepMs: 10_000 }), { clockOriginMs: origin });
    expect(gaps(leftBeforeOpening)).toEqual([[HOUR, 2 * HOUR, true]]);
  });

  it('America/New_York spring-forward day: a 01:00-04:00 window is 2 h long', () => {
    const night: Schedule = { days: ['sun'], fromMin: 60, toMin: 240, tz: 'America/New_York' };
    const r = run([scheduled(night)], empty(4), { clockOriginMs: Date.UTC(2024, 2, 10, 5) }); // 00:00 EST
    expect(gaps(r)).toEqual([[HOUR, 3 * HOUR, true]]);
  });

  it('America/New_York fall-back day: a 00:30-03:00 window is 3.5 h long', () => {
    const night: Schedule = { days: ['sun'], fromMin: 30, toMin: 180, tz: 'America/New_York' };
    const r = run([scheduled(night)], empty(5), { clockOriginMs: Date.UTC(2024, 10, 3, 4) }); // 00:00 EDT
    expect(gaps(r)).toEqual([[30 * MIN, 4 * HOUR, true]]);
  });

  it('back-to-back windows (24/7) do not split a gap at midnight', () => {
    const always: Schedule = { days: ALL_DAYS, fromMin: 0, toMin: 0, tz: 'Asia/Shanghai' };
    const r = run([scheduled(always)], empty(2), { clockOriginMs: Date.UTC(2024, 4, 3, 15) }); // 23:00 local
    expect(gaps(r)).toEqual([[0, 2 * HOUR, true]]);
  });

  it('a gap in each of two windows gives two violations', () => {
    const twice: Schedule = { days: ALL_DAYS, fromMin: 8 * 60, toMin: 9 * 60, tz: 'Asia/Shanghai' };
    const r = run([scheduled(twice)], stream([], { to: 26 * HOUR, stepMs: 60_000 }), { clockOriginMs: Date.UTC(2024, 4, 3, 0) });
    expect(gaps(r)).toEqual([[0, HOUR, true], [24 * HOUR, 25 * HOUR, true]]);
  });

  it('a window passed over by a hole in the frames is judged with the state before the hole', () => {
    const shop: Schedule = { days: ALL_DAYS, fromMin: 9 * 60, toMin: 10 * 60, tz: 'Asia/Shanghai' };
    const frames = [...stream([], { to: 10 * MIN, stepMs: 60_000 }), ...stream([], { from: 5 * HOUR, to: 5 * HOUR + 60_000, stepMs: 60_000 })];
    const r = run([scheduled(shop)], frames, { clockOriginMs: Date.UTC(2024, 4, 3, 0) }); // 08:00 local
    expect(gaps(r)).toEqual([[HOUR, 2 * HOUR, false]]);
  });

  it('a hole in the frames passing over two windows gives each its own gap', () => {
    const shop: Schedule = { days: ALL_DAYS, fromMin: 9 * 60, toMin: 10 * 60, tz: 'Asia/Shanghai' };
    // 08:00-08:10 local, then nothing until 13:00 the next day: both 09:00-10:00 windows were empty.
    const frames = [...stream([], { to: 10 * MIN, stepMs: 60_000 }), ...stream([], { from: 29 * HOUR, to: 29 * HOUR + 60_000, stepMs: 60_000 })];
    const r = run([scheduled(shop)], frames, { clockOriginMs: Date.UTC(2024, 4, 3, 0) });
    expect(r.violations.map((v) => [v.startMs, v.endMs, v.ongoing, v.message])).toEqual([
      [HOUR, 2 * HOUR, undefined, 'person at register: not seen for 60 min, the SOP allows at most 30 min'],
      [25 * HOUR, 26 * HOUR, undefined, 'person at register: not seen for 60 min, the SOP allows at most 30 min'],
    ]);
    expect(r.ends).toEqual([]);
  });
});
