// Numbers, times and sizes as people read them, in the dashboard's language. Pure: no DOM.

/** Seconds from a clip's start as m:ss.s (h:mm:ss past an hour). */
export function clipTime(s: number): string {
  const total = Math.max(0, s);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const sec = total % 60;
  const ss = sec.toFixed(1).padStart(4, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss.slice(0, 2)}` : `${m}:${ss}`;
}

/** A length of time: "45 s", "3 min 5 s", "2 h 10 min". */
export function span(seconds: number, units: { s: string; min: string; h: string }): string {
  const s = Math.round(seconds);
  if (s < 60) return `${Math.max(0, Number(seconds.toFixed(seconds < 10 ? 1 : 0)))} ${units.s}`;
  const m = Math.floor(s / 60);
  if (m < 60) return s % 60 === 0 ? `${m} ${units.min}` : `${m} ${units.min} ${s % 60} ${units.s}`;
  const h = Math.floor(m / 60);
  return m % 60 === 0 ? `${h} ${units.h}` : `${h} ${units.h} ${m % 60} ${units.min}`;
}

export function bytes(n: number, locale: string): string {
  const units = ['B', 'KB', 'MB', 'GB'];
  let v = n;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i += 1;
  }
  return `${new Intl.NumberFormat(locale, { maximumFractionDigits: i === 0 ? 0 : 1 }).format(v)} ${units[i]}`;
}

export function percent(fraction: number, locale: string): string {
  return new Intl.NumberFormat(locale, { style: 'percent', maximumFractionDigits: 0 }).format(fraction);
}

/** Date and time of day in the store's time zone (the report's days are that zone's days too). */
export function dateTime(iso: string, locale: string, timeZone?: string): string {
  return new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short', ...(timeZone === undefined ? {} : { timeZone }) }).format(new Date(iso));
}

export function shortDay(day: string, locale: string): string {
  return new Intl.DateTimeFormat(locale, { month: 'short', day: 'numeric', timeZone: 'UTC' }).format(new Date(`${day}T00:00:00Z`));
}

/** "3 min ago" style, from the largest unit that is at least 1. */
export function ago(iso: string, nowMs: number, locale: string): string {
  const diffS = (new Date(iso).getTime() - nowMs) / 1000;
  const rtf = new Intl.RelativeTimeFormat(locale, { numeric: 'auto' });
  const abs = Math.abs(diffS);
  if (abs < 45) return rtf.format(Math.round(diffS), 'second');
  if (abs < 2700) return rtf.format(Math.round(diffS / 60), 'minute');
  if (abs < 86_400 * 1.5) return rtf.format(Math.round(diffS / 3600), 'hour');
  return rtf.format(Math.round(diffS / 86_400), 'day');
}

/** The local day (YYYY-MM-DD) of an instant in a time zone. */
export function localDay(iso: string, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).formatToParts(new Date(iso));
  const get = (t: string): string => parts.find((p) => p.type === t)?.value ?? '';
  return `${get('year')}-${get('month')}-${get('day')}`;
}

/** Every day from `from` to `to` inclusive (YYYY-MM-DD). */
export function daysBetween(from: string, to: string): string[] {
  const out: string[] = [];
  const end = Date.parse(`${to}T00:00:00Z`);
  for (let t = Date.parse(`${from}T00:00:00Z`); t <= end && out.length < 400; t += 86_400_000) out.push(new Date(t).toISOString().slice(0, 10));
  return out;
}

/** "Ticks" for an axis from 0 to `max`: round steps, about `count` of them. */
export function ticks(max: number, count: number): number[] {
  if (!(max > 0)) return [0];
  const raw = max / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? raw;
  const out: number[] = [];
  for (let v = 0; v <= max + 1e-9; v += step) out.push(Number(v.toFixed(6)));
  return out;
}
