// Wall-clock time in a store's time zone: formatting an instant, and the instants at which its shifts end.

export interface LocalParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** A store row may hold a zone this Node does not know; such a store is shown (and scheduled) in UTC. */
export function safeZone(tz: string): string {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return tz;
  } catch {
    return 'UTC';
  }
}

function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
    });
    formatters.set(tz, f);
  }
  return f;
}

export function localParts(ms: number, tz: string): LocalParts {
  const out: Record<string, number> = {};
  for (const p of formatter(safeZone(tz)).formatToParts(new Date(ms))) {
    if (p.type !== 'literal') out[p.type] = Number(p.value);
  }
  return { year: out.year ?? 1970, month: out.month ?? 1, day: out.day ?? 1, hour: out.hour ?? 0, minute: out.minute ?? 0, second: out.second ?? 0 };
}

/** How far the zone's wall clock is ahead of UTC at instant `ms`. */
function offsetMs(ms: number, tz: string): number {
  const p = localParts(ms, tz);
  return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) - Math.floor(ms / 1000) * 1000;
}

/** The instant a wall-clock time happens in `tz` (in a DST gap, the moment just after; in an overlap, the first). */
export function zonedToUtc(tz: string, year: number, month: number, day: number, hour: number, minute: number): number {
  const guess = Date.UTC(year, month - 1, day, hour, minute);
  const first = guess - offsetMs(guess, tz);
  const second = guess - offsetMs(first, tz);
  return Math.min(first, second);
}

const pad = (n: number): string => String(n).padStart(2, '0');

/** `2025-03-14 09:05 (Asia/Shanghai)`. */
export function formatLocal(ms: number, tz: string): string {
  const zone = safeZone(tz);
  const p = localParts(ms, zone);
  return `${p.year}-${pad(p.month)}-${pad(p.day)} ${pad(p.hour)}:${pad(p.minute)} (${zone})`;
}

export interface ShiftWindow {
  startMs: number;
  endMs: number;
}

/**
 * The latest shift that has ended at `nowMs`: it ends at the newest listed local time not after now, and starts
 * at the shift end before that (yesterday's last one for the first shift of a day).
 */
export function latestEndedShift(nowMs: number, tz: string, shiftEnds: readonly string[]): ShiftWindow | undefined {
  if (shiftEnds.length === 0) return undefined;
  const zone = safeZone(tz);
  const today = localParts(nowMs, zone);
  const ends: number[] = [];
  for (const daysBack of [2, 1, 0]) {
    // Noon of that local day, so stepping back whole days never lands on the wrong date around DST.
    const noon = Date.UTC(today.year, today.month - 1, today.day - daysBack, 12);
    const d = new Date(noon);
    for (const hm of shiftEnds) {
      const [h, m] = hm.split(':').map(Number) as [number, number];
      ends.push(zonedToUtc(zone, d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate(), h, m));
    }
  }
  const past = [...new Set(ends)].filter((t) => t <= nowMs).sort((a, b) => a - b);
  const endMs = past[past.length - 1];
  const startMs = past[past.length - 2];
  return endMs === undefined || startMs === undefined ? undefined : { startMs, endMs };
}
