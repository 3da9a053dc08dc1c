// Rewrites one zone's polygon inside an SOP file's YAML text, leaving every other byte (comments, order, layout) as it was.
// The server validates the result on upload; this only has to find the right value and write a flow sequence there.

export type Point = [number, number];

export type ZoneEdit = { ok: true; yaml: string } | { ok: false; reason: string };

interface Line {
  text: string;
  indent: number;
  /** Blank or comment only. */
  empty: boolean;
}

interface Key {
  indent: number;
  name: string;
  /** Index in the line just after the colon. */
  valueAt: number;
}

const KEY = /^(\s*)(?:"((?:[^"\\]|\\.)*)"|'((?:[^']|'')*)'|([^\s#'"{[\]},&*!|>%@`-][^:#]*?|-[^\s:#][^:#]*?))\s*:(?=\s|$)/;

function keyOf(line: string): Key | undefined {
  const m = KEY.exec(line);
  if (!m) return undefined;
  const name = m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : m[3] !== undefined ? m[3].replace(/''/g, "'") : (m[4] ?? '').trim();
  return { indent: (m[1] ?? '').length, name, valueAt: m[0].length };
}

/** A number with at most 3 decimals, as YAML reads it back. */
function num(v: number): string {
  const r = Math.round(Math.min(1, Math.max(0, v)) * 1000) / 1000;
  return String(r);
}

export function formatPolygon(points: readonly Point[]): string {
  return `[${points.map(([x, y]) => `[${num(x)}, ${num(y)}]`).join(', ')}]`;
}

/** End index (exclusive) of the flow collection opening at `text[start]`, across lines; -1 when it never closes. */
function flowEnd(text: string, start: number): number {
  let depth = 0;
  let quote: string | undefined;
  for (let i = start; i < text.length; i++) {
    const c = text[i];
    if (quote !== undefined) {
      if (c === '\\' && quote === '"') i += 1;
      else if (c === quote) quote = undefined;
      continue;
    }
    if (c === '"' || c === "'") quote = c;
    else if (c === '#' && /\s/.test(text[i - 1] ?? ' ')) {
      const nl = text.indexOf('\n', i);
      if (nl < 0) return -1;
      i = nl;
    } else if (c === '[' || c === '{') depth += 1;
    else if (c === ']' || c === '}') {
      depth -= 1;
      if (depth === 0) return i + 1;
    }
  }
  return -1;
}

/** Children of the block that starts after line `from` at an indent deeper than `parentIndent`: [first, end). */
function blockEnd(lines: Line[], from: number, parentIndent: number): number {
  let end = from;
  for (let i = from; i < lines.length; i++) {
    const l = lines[i] as Line;
    if (l.empty) continue;
    if (l.indent <= parentIndent) break;
    end = i + 1;
  }
  return end;
}

function findKey(lines: Line[], from: number, to: number, name: string): { index: number; key: Key } | undefined {
  let childIndent: number | undefined;
  for (let i = from; i < to; i++) {
    const l = lines[i] as Line;
    if (l.empty) continue;
    childIndent ??= l.indent;
    if (l.indent !== childIndent) continue;
    const key = keyOf(l.text);
    if (key && key.name === name) return { index: i, key };
  }
  return undefined;
}

/**
 * Sets `zones.<camera>.<zone>` to `polygon`. The zone must exist already (rules refer to zones by name; a new
 * zone would be unused). Flow (`[[0, 0], ...]`) and block (`- [0, 0]`) values are both replaced by one flow line.
 */
export function setZonePolygon(yaml: string, camera: string, zone: string, polygon: readonly Point[]): ZoneEdit {
  if (polygon.length < 3) return { ok: false, reason: 'a zone needs at least 3 points' };
  const raw = yaml.split('\n');
  const lines: Line[] = raw.map((text) => {
    const body = text.replace(/\r$/, '');
    const trimmed = body.trimStart();
    return { text: body, indent: body.length - trimmed.length, empty: trimmed === '' || trimmed.startsWith('#') };
  });
  const zonesAt = lines.findIndex((l) => !l.empty && l.indent === 0 && keyOf(l.text)?.name === 'zones');
  if (zonesAt < 0) return { ok: false, reason: 'the file has no zones: section' };
  const zonesKey = keyOf((lines[zonesAt] as Line).text) as Key;
  if (!/^\s*(#.*)?$/.test((lines[zonesAt] as Line).text.slice(zonesKey.valueAt))) return { ok: false, reason: 'zones: is written inline; edit it in the YAML editor' };
  const zonesEnd = blockEnd(lines, zonesAt + 1, 0);
  const cam = findKey(lines, zonesAt + 1, zonesEnd, camera);
  if (!cam) return { ok: false, reason: `zones: has no camera "${camera}"` };
  const camLine = lines[cam.index] as Line;
  if (!/^\s*(#.*)?$/.test(camLine.text.slice(cam.key.valueAt))) return { ok: false, reason: `the zones of "${camera}" are written inline; edit them in the YAML editor` };
  const camEnd = blockEnd(lines, cam.index + 1, cam.key.indent);
  const z = findKey(lines, cam.index + 1, camEnd, zone);
  if (!z) return { ok: false, reason: `camera "${camera}" has no zone "${zone}"` };

  const zoneLine = lines[z.index] as Line;
  const after = zoneLine.text.slice(z.key.valueAt);
  const value = after.trimStart();
  const head = zoneLine.text.slice(0, z.key.valueAt);
  const flow = formatPolygon(polygon);
  const eol = (raw[z.index] ?? '').endsWith('\r') ? '\r' : '';
  if (value.startsWith('[')) {
    // The flow value may run over several lines: measure it in the joined text from the zone line on.
    const rest = lines.slice(z.index).map((l) => l.text).join('\n');
    const start = z.key.valueAt + (after.length - value.length);
    const end = flowEnd(rest, start);
    if (end < 0) return { ok: false, reason: `the polygon of zone "${zone}" is not closed` };
    const spanned = rest.slice(0, end).split('\n').length;
    const tail = rest.slice(end).split('\n')[0] ?? '';
    raw.splice(z.index, spanned, `${head} ${flow}${tail}${eol}`);
    return { ok: true, yaml: raw.join('\n') };
  }
  if (value === '' || value.startsWith('#')) {
    // Block sequence: its items sit deeper than the key, or at the key's own indent starting with "-".
    let end = z.index + 1;
    for (let i = z.index + 1; i < lines.length; i++) {
      const l = lines[i] as Line;
      if (l.empty) continue;
      const item = l.indent === z.key.indent && l.text.trimStart().startsWith('-');
      if (l.indent <= z.key.indent && !item) break;
      end = i + 1;
    }
    if (end === z.index + 1) return { ok: false, reason: `zone "${zone}" has no points` };
    const comment = value.startsWith('#') ? ` ${value}` : '';
    raw.splice(z.index, end - z.index, `${head} ${flow}${comment}${eol}`);
    return { ok: true, yaml: raw.join('\n') };
  }
  return { ok: false, reason: `the polygon of zone "${zone}" is written in a form this editor does not change; edit it in the YAML editor` };
}
