// Durations of SOP files: "500ms", "20s", "1.5s", "2m", "1h", and combined forms such as "1m30s".

/** The shape of a duration, as the JSON Schema checks it (units order is checked by `parseDuration`). */
export const DURATION_PATTERN = '^(?:\\d+(?:\\.\\d+)?(?:ms|h|m|s))+$';

const UNIT_MS = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 } as const;
type Unit = keyof typeof UNIT_MS;
const UNIT_RANK: Record<Unit, number> = { h: 0, m: 1, s: 2, ms: 3 };
const PART = /(\d+(?:\.\d+)?)(ms|h|m|s)/gy;

export const DURATION_HINT = 'use a number and a unit: 500ms, 20s, 1.5s, 2m, 1h, or combined as 1m30s';

/** The longest duration an SOP file may give: 7 days. Longer (or a number too big to be finite) is refused. */
export const MAX_DURATION_MS = 7 * 24 * 3_600_000;

export type DurationParse = { ok: true; ms: number } | { ok: false; reason: string };

/** Parses a duration; the result is whole milliseconds. Never throws. */
export function parseDuration(text: unknown): DurationParse {
  if (typeof text !== 'string') {
    return { ok: false, reason: `a duration is a string with a unit; ${DURATION_HINT}` };
  }
  PART.lastIndex = 0;
  let ms = 0;
  let lastRank = -1;
  let end = 0;
  for (let m = PART.exec(text); m !== null; m = PART.exec(text)) {
    const unit = m[2] as Unit;
    const rank = UNIT_RANK[unit];
    // Combined forms read like a clock ("1h30m"), so a unit may not repeat or come after a smaller one.
    if (rank <= lastRank) return { ok: false, reason: `units must go from largest to smallest, each once; ${DURATION_HINT}` };
    lastRank = rank;
    ms += Number(m[1]) * UNIT_MS[unit];
    end = PART.lastIndex;
  }
  if (end === 0 || end !== text.length) return { ok: false, reason: DURATION_HINT };
  if (!Number.isFinite(ms) || ms > MAX_DURATION_MS) return { ok: false, reason: 'at most 7 days (168h)' };
  return { ok: true, ms: Math.round(ms) };
}

/** Milliseconds as a person reads them: "500 ms", "20 s", "1.5 s", "2 min", "1 h 30 min". */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${trim(ms / 1000)} s`;
  const h = Math.floor(ms / 3_600_000);
  const min = Math.floor((ms % 3_600_000) / 60_000);
  const s = (ms % 60_000) / 1000;
  const parts: string[] = [];
  if (h > 0) parts.push(`${h} h`);
  if (min > 0) parts.push(`${min} min`);
  if (s > 0) parts.push(`${trim(s)} s`);
  return parts.join(' ');
}

function trim(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(3).replace(/0+$/, '');
}
