// Schedule windows: local days and minutes in IANA zones, windows crossing midnight, DST change days.
import { describe, expect, it } from 'vitest';
import { InputError } from '../../services/core/errors.ts';
import type { Schedule } from '../../services/rules/compiled.ts';
import { checkTimeZone, localToEpoch, ScheduleWindows } from '../../services/rules/schedule.ts';

const ALL_DAYS: Schedule['days'] = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
const HOUR = 3_600_000;
const dayNumber = (y: number, m: number, d: number): number => Date.UTC(y, m - 1, d) / 86_400_000;
const hm = (h: number, m = 0): number => h * 60 + m;

describe('localToEpoch', () => {
  it.each<[string, string, number, number, number]>([
    ['Shanghai is UTC+8 all year', 'Asia/Shanghai', dayNumber(2024, 5, 3), hm(22), Date.UTC(2024, 4, 3, 14)],
    ['New York in winter is UTC-5', 'America/New_York', dayNumber(2024, 1, 15), hm(9), Date.UTC(2024, 0, 15, 14)],
    ['New York in summer is UTC-4', 'America/New_York', dayNumber(2024, 7, 15), hm(9), Date.UTC(2024, 6, 15, 13)],
    ['a time skipped by spring-forward moves forward', 'America/New_York', dayNumber(2024, 3, 10), hm(2, 30), Date.UTC(2024, 2, 10, 7, 30)],
    ['a time repeated by fall-back is its first occurrence', 'America/New_York', dayNumber(2024, 11, 3), hm(1, 30), Date.UTC(2024, 10, 3, 5, 30)],
    ['minutes past 24 h roll into the next day', 'Asia/Shanghai', dayNumber(2024, 5, 3), hm(26), Date.UTC(2024, 4, 3, 18)],
  ])('%s', (_n, tz, day, minutes, expected) => {
    expect(localToEpoch(day, minutes, tz)).toBe(expected);
  });
});

describe('ScheduleWindows', () => {
  it('a window with to <= from crosses midnight and belongs to the day it starts on', () => {
    const w = new ScheduleWindows({ days: ['fri'], fromMin: hm(22), toMin: hm(2), tz: 'Asia/Shanghai' });
    // 2024-05-03 is a Friday: its window runs to Saturday 02:00.
    const friday = { startMs: Date.UTC(2024, 4, 3, 14), endMs: Date.UTC(2024, 4, 3, 18) };
    expect(w.at(Date.UTC(2024, 4, 3, 17))).toEqual(friday); // Saturday 01:00 local
    expect(w.at(Date.UTC(2024, 4, 2, 17))).toBeUndefined(); // Friday 01:00 local: Thursday's window
    expect(w.at(Date.UTC(2024, 4, 3, 18))).toBeUndefined(); // the end is not inside
    expect(w.at(Date.UTC(2024, 4, 3, 14))).toEqual(friday); // the start is
  });

  it('lists the windows overlapping a span, sorted, including one opened the day before', () => {
    const w = new ScheduleWindows({ days: ALL_DAYS, fromMin: hm(22), toMin: hm(2), tz: 'Asia/Shanghai' });
    const list = w.between(Date.UTC(2024, 4, 3, 17), Date.UTC(2024, 4, 5, 13));
    expect(list).toEqual([
      { startMs: Date.UTC(2024, 4, 3, 14), endMs: Date.UTC(2024, 4, 3, 18) },
      { startMs: Date.UTC(2024, 4, 4, 14), endMs: Date.UTC(2024, 4, 4, 18) },
    ]);
  });

  it('to == from is a 24 h window every listed day', () => {
    const w = new ScheduleWindows({ days: ALL_DAYS, fromMin: 0, toMin: 0, tz: 'Asia/Shanghai' });
    const [a, b] = w.between(Date.UTC(2024, 4, 3, 12), Date.UTC(2024, 4, 3, 20));
    expect(a?.endMs).toBe(b?.startMs);
    expect((a?.endMs ?? 0) - (a?.startMs ?? 0)).toBe(24 * HOUR);
  });

  it('spring-forward day: 01:00 to 04:00 in New York lasts 2 h', () => {
    const w = new ScheduleWindows({ days: ['sun'], fromMin: hm(1), toMin: hm(4), tz: 'America/New_York' });
    expect(w.at(Date.UTC(2024, 2, 10, 7))).toEqual({ startMs: Date.UTC(2024, 2, 10, 6), endMs: Date.UTC(2024, 2, 10, 8) });
    // A week later the same window lasts 3 h again.
    expect(w.at(Date.UTC(2024, 2, 17, 7))).toEqual({ startMs: Date.UTC(2024, 2, 17, 5), endMs: Date.UTC(2024, 2, 17, 8) });
  });

  it('fall-back day: 00:30 to 03:00 in New York lasts 3.5 h', () => {
    const w = new ScheduleWindows({ days: ['sun'], fromMin: hm(0, 30), toMin: hm(3), tz: 'America/New_York' });
    const win = w.at(Date.UTC(2024, 10, 3, 6));
    expect(win).toEqual({ startMs: Date.UTC(2024, 10, 3, 4, 30), endMs: Date.UTC(2024, 10, 3, 8) });
  });

  it('a window crossing midnight on a DST day uses each end\'s own offset', () => {
    // Saturday 22:00 EST to Sunday 04:00 EDT: 5 h, not 6.
    const w = new ScheduleWindows({ days: ['sat'], fromMin: hm(22), toMin: hm(4), tz: 'America/New_York' });
    expect(w.at(Date.UTC(2024, 2, 10, 5))).toEqual({ startMs: Date.UTC(2024, 2, 10, 3), endMs: Date.UTC(2024, 2, 10, 8) });
  });

  it('stays bounded for absurd spans and out-of-range times', () => {
    const w = new ScheduleWindows({ days: ALL_DAYS, fromMin: hm(9), toMin: hm(17), tz: 'Europe/Paris' });
    expect(w.between(0, 1e15).length).toBeLessThanOrEqual(402);
    expect(w.between(Number.NaN, 5)).toEqual([]);
    expect(w.between(9e15, 9.1e15)).toEqual([]);
  });

  it('refuses an unknown time zone with an InputError', () => {
    expect(() => checkTimeZone('Mars/Olympus_Mons')).toThrow(InputError);
    expect(() => new ScheduleWindows({ days: ['mon'], fromMin: 0, toMin: 60, tz: 'Nowhere/Here' })).toThrow(/unknown time zone/);
  });
});
