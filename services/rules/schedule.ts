// Schedule windows in epoch ms: local days and minutes in an IANA zone, via Intl (DST-correct, no dependency).
import { InputError } from '../core/errors.ts';
import type { Schedule } from './compiled.ts';

/** A half-open interval `[startMs, endMs)`. */
export interface TimeWindow {
  startMs: number;
  endMs: number;
}

const DAY_MS = 86_400_000;
const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
/** Date's own range; Intl refuses times outside it. */
const MAX_EPOCH_MS = 8.64e15 - 2 * DAY_MS;
/** A hole in the frames longer than this is not judged window by window (bounded work). */
const MAX_SPAN_MS = 400 * DAY_MS;

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric',
      hour: 'numeric', minute: 'numeric', second: 'numeric',
    });
    formatters.set(tz, f);
  }
  return f;
}

/** Throws InputError when the zone is unknown to this runtime's Intl. */
export function checkTimeZone(tz: string): void {
  try {
    formatter(tz);
  } catch (cause) {
    throw new InputError(`unknown time zone "${tz}"`, { cause });
  }
}

interface LocalParts { year: number; month: number; day: number; hour: number; minute: number; second: number }

function localParts(epochMs: number, tz: string): LocalParts {
  const parts: Record<string, number> = {};
  for (const p of formatter(tz).formatToParts(epochMs)) if (p.type !== 'literal') parts[p.type] = Number(p.value);
  return {
    year: parts.year ?? 1970, month: parts.month ?? 1, day: parts.day ?? 1,
    hour: parts.hour ?? 0, minute: parts.minute ?? 0, second: parts.second ?? 0,
  };
}

/** Local time minus UTC at an instant, in ms. */
function offsetMs(epochMs: number, tz: string): number {
  const p = localParts(epochMs, tz);
  const wall = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  return wall - Math.floor(epochMs / 1000) * 1000;
}

/**
 * The instant of a local wall time. Like Temporal's `compatible`: a time that happens twice (clocks
 * go back) is its first occurrence; a time that never happens (clocks go forward) moves forward by the jump.
 */
export function localToEpoch(dayNumber: number, minutes: number, tz: string): number {
  const wall = dayNumber * DAY_MS + minutes * 60_000;
  const before = offsetMs(wall - DAY_MS, tz);
  const after = offsetMs(wall + DAY_MS, tz);
  const candidates = [wall - before, wall - after].filter((t, i) => offsetMs(t, tz) === (i === 0 ? before : after));
  return candidates.length > 0 ? Math.min(...candidates) : wall - before;
}

/** Days since 1970-01-01 of the local date at an instant. */
function localDayNumber(epochMs: number, tz: string): number {
  const p = localParts(epochMs, tz);
  return Math.floor(Date.UTC(p.year, p.month - 1, p.day) / DAY_MS);
}

/** The windows of one schedule, computed per local date and remembered a little while. */
export class ScheduleWindows {
  private readonly perDay = new Map<number, TimeWindow | null>();

  constructor(private readonly schedule: Schedule) {
    checkTimeZone(schedule.tz);
  }

  private windowOf(dayNumber: number): TimeWindow | null {
    const known = this.perDay.get(dayNumber);
    if (known !== undefined) return known;
    const { days, fromMin, toMin, tz } = this.schedule;
    const weekday = WEEKDAYS[new Date(dayNumber * DAY_MS).getUTCDay()];
    let w: TimeWindow | null = null;
    if (weekday !== undefined && days.includes(weekday)) {
      const startMs = localToEpoch(dayNumber, fromMin, tz);
      // to <= from: the window crosses midnight and ends on the next local day.
      const endMs = localToEpoch(dayNumber, toMin > fromMin ? toMin : toMin + 1440, tz);
      w = endMs > startMs ? { startMs, endMs } : null;
    }
    if (this.perDay.size > 64) this.perDay.clear();
    this.perDay.set(dayNumber, w);
    return w;
  }

  /** Windows that overlap `[fromMs, toMs]` (end > from, start <= to), sorted; epoch ms. */
  between(fromMs: number, toMs: number): TimeWindow[] {
    if (!Number.isFinite(fromMs) || !Number.isFinite(toMs) || toMs < fromMs) return [];
    const to = Math.min(toMs, MAX_EPOCH_MS);
    const from = Math.max(fromMs, to - MAX_SPAN_MS, -MAX_EPOCH_MS);
    if (to < from) return [];
    const out: TimeWindow[] = [];
    // A window that started the local day before may still be open (it crosses midnight).
    const last = localDayNumber(to, this.schedule.tz);
    for (let d = localDayNumber(from, this.schedule.tz) - 1; d <= last; d++) {
      const w = this.windowOf(d);
      if (w !== null && w.endMs > fromMs && w.startMs <= toMs) out.push(w);
    }
    return out;
  }

  /** The window containing an instant, if any. */
  at(epochMs: number): TimeWindow | undefined {
    return this.between(epochMs, epochMs).find((w) => w.startMs <= epochMs && epochMs < w.endMs);
  }
}
