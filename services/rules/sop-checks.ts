// Checks of an SOP file that a JSON Schema cannot express: zones that exist, ids that repeat, bounds that
// contradict, times and time zones. They run on raw data (even when the schema failed) and skip what is malformed.
import { COCO_LABELS } from './compiled.ts';
import { DURATION_PATTERN, parseDuration } from './duration.ts';
import { CONDITION_KEYS } from './sop-file.schema.ts';
import { didYouMean } from './sop-suggest.ts';
import type { DataPath, Problem } from './sop-yaml.ts';

type Dict = Record<string, unknown>;
const isDict = (v: unknown): v is Dict => typeof v === 'object' && v !== null && !Array.isArray(v);
const DURATION_RE = new RegExp(DURATION_PATTERN);
const TIME_RE = /^(\d{1,2}):(\d{2})$/;

export function semanticProblems(data: unknown): Problem[] {
  if (!isDict(data)) return [];
  const out: Problem[] = [];
  const zones = zoneTable(data.zones, out);
  checkSmoothing(data.smoothing, ['smoothing'], out);
  if (!Array.isArray(data.rules)) return out;
  const ruleIds = new Map<string, number>();
  data.rules.forEach((rule, i) => {
    if (!isDict(rule)) return;
    const at: DataPath = ['rules', i];
    firstSeen(ruleIds, rule.id, i, [...at, 'id'], 'rule id', out);
    checkSmoothing(rule.smoothing, [...at, 'smoothing'], out);
    for (const key of ['when', 'trigger'] as const) checkCondition(rule[key], [...at, key], zones, out, false);
    for (const key of ['for', 'within', 'max_gap', 'min', 'max', 'idle'] as const) {
      checkDuration(rule[key], [...at, key], key !== 'for' && key !== 'min', out);
    }
    if (rule.kind === 'duration') checkDurationRule(rule, at, out);
    if (rule.kind === 'required' && isDict(rule.schedule)) checkSchedule(rule.schedule, [...at, 'schedule'], out);
    if (rule.kind === 'sequence' && Array.isArray(rule.steps)) {
      const stepIds = new Map<string, number>();
      rule.steps.forEach((step, j) => {
        if (!isDict(step)) return;
        const sAt: DataPath = [...at, 'steps', j];
        firstSeen(stepIds, step.id, j, [...sAt, 'id'], 'step id', out);
        checkCondition(step.detect, [...sAt, 'detect'], zones, out, true);
        if (isDict(step.detect)) checkDuration(step.detect.min, [...sAt, 'detect', 'min'], false, out);
      });
    }
  });
  return out;
}

function firstSeen(seen: Map<string, number>, id: unknown, index: number, path: DataPath, what: string, out: Problem[]): void {
  if (typeof id !== 'string') return;
  const first = seen.get(id);
  if (first === undefined) seen.set(id, index);
  else out.push({ path, message: `duplicate ${what} "${id}" (already used by entry ${first + 1} of the list)` });
}

/** Camera key -> zone names, or undefined when the file has no usable `zones`. */
type ZoneTable = Map<string, Set<string>>;

function zoneTable(zones: unknown, out: Problem[]): ZoneTable | undefined {
  if (zones === undefined) return new Map();
  if (!isDict(zones)) return undefined;
  const table: ZoneTable = new Map();
  for (const [camera, byName] of Object.entries(zones)) {
    if (!isDict(byName)) continue;
    for (const name of Object.keys(byName)) {
      if (name === '*') out.push({ path: ['zones', camera, name], at: 'key', message: 'zone name "*" is reserved: it means anywhere in the image' });
    }
    table.set(camera, new Set(Object.keys(byName)));
  }
  return table;
}

function checkZone(zone: unknown, path: DataPath, zones: ZoneTable | undefined, out: Problem[]): void {
  if (typeof zone !== 'string' || zone === '*' || zone === '' || zones === undefined) return;
  if (zones.get('*')?.has(zone)) return;
  const cameras = [...zones.keys()].filter((c) => c !== '*');
  const having = cameras.filter((c) => zones.get(c)?.has(zone));
  if (having.length === 0) {
    const all = new Set([...zones.values()].flatMap((s) => [...s]));
    const where = all.size === 0 ? ': the file defines no zones' : didYouMean(zone, all);
    out.push({ path, message: `unknown zone "${zone}"${where}` });
    return;
  }
  const missing = cameras.filter((c) => !zones.get(c)?.has(zone));
  if (missing.length > 0) {
    const list = missing.map((c) => `"${c}"`).join(', ');
    out.push({ path, message: `zone "${zone}" is not defined for camera ${list} (define it there too, or under zones "*")` });
  }
}

function checkCondition(c: unknown, path: DataPath, zones: ZoneTable | undefined, out: Problem[], isDetect: boolean): void {
  if (!isDict(c)) return;
  const keys = Object.keys(c);
  const leaves = keys.filter((k) => (CONDITION_KEYS as readonly string[]).includes(k));
  // Keys the schema does not know are reported there; here only a condition made of modifiers alone.
  if (leaves.length === 0 && keys.some((k) => isKnownConditionKey(k, isDetect))) {
    out.push({ path, message: 'the condition has none of person_in, hands_in, object, count, all, any, not' });
  }
  if (leaves.length > 1) {
    out.push({ path: [...path, leaves[1] ?? ''], at: 'key', message: `a condition takes one of person_in, hands_in, object, count, all, any, not; found ${leaves.join(' and ')} (combine them with all: or any:)` });
  }
  for (const k of ['in', 'min_score'] as const) {
    if (k in c && !('object' in c)) out.push({ path: [...path, k], at: 'key', message: `"${k}" only goes with "object"${k === 'in' && 'count' in c ? ' (for count, put in: inside count)' : ''}` });
  }
  checkLabel(c.object, [...path, 'object'], out);
  checkZone(c.person_in, [...path, 'person_in'], zones, out);
  checkZone(c.hands_in, [...path, 'hands_in'], zones, out);
  if ('object' in c) checkZone(c.in, [...path, 'in'], zones, out);
  if (isDict(c.count)) {
    const n = c.count;
    checkLabel(n.of, [...path, 'count', 'of'], out);
    checkZone(n.in, [...path, 'count', 'in'], zones, out);
    if (n.gte === undefined && n.lte === undefined) out.push({ path: [...path, 'count'], message: 'count needs gte, lte or both' });
    if (typeof n.gte === 'number' && typeof n.lte === 'number' && n.gte > n.lte) {
      out.push({ path: [...path, 'count', 'lte'], message: `count can never be true: gte ${n.gte} is more than lte ${n.lte}` });
    }
  }
  for (const k of ['all', 'any'] as const) {
    const list = c[k];
    if (Array.isArray(list)) list.forEach((x, i) => checkCondition(x, [...path, k, i], zones, out, false));
  }
  checkCondition(c.not, [...path, 'not'], zones, out, false);
}

/** Here rather than in the schema, so that labels are checked even in a rule whose kind is misspelt. */
function checkLabel(label: unknown, path: DataPath, out: Problem[]): void {
  if (typeof label !== 'string' || (COCO_LABELS as readonly string[]).includes(label)) return;
  out.push({ path, message: `unknown COCO label "${label}"${didYouMean(label, COCO_LABELS)}` });
}

function isKnownConditionKey(k: string, isDetect: boolean): boolean {
  return (CONDITION_KEYS as readonly string[]).includes(k) || k === 'in' || k === 'min_score' || (isDetect && k === 'min');
}

/** Only durations of the right shape are checked here; the schema reports the rest. */
function checkDuration(v: unknown, path: DataPath, positive: boolean, out: Problem[]): number | undefined {
  if (typeof v !== 'string' || !DURATION_RE.test(v)) return undefined;
  const parsed = parseDuration(v);
  if (!parsed.ok) {
    out.push({ path, message: `bad duration "${v}": ${parsed.reason}` });
    return undefined;
  }
  if (positive && parsed.ms <= 0) out.push({ path, message: `${String(path[path.length - 1])} must be more than 0` });
  return parsed.ms;
}

function checkSmoothing(s: unknown, path: DataPath, out: Problem[]): void {
  if (!isDict(s)) return;
  checkDuration(s.enter, [...path, 'enter'], false, out);
  checkDuration(s.exit, [...path, 'exit'], false, out);
}

function checkDurationRule(rule: Dict, at: DataPath, out: Problem[]): void {
  if (rule.min === undefined && rule.max === undefined) {
    out.push({ path: [...at, 'kind'], message: 'a duration rule needs min, max or both' });
    return;
  }
  const min = typeof rule.min === 'string' ? parseDuration(rule.min) : undefined;
  const max = typeof rule.max === 'string' ? parseDuration(rule.max) : undefined;
  if (min?.ok && max?.ok && min.ms > max.ms) {
    out.push({ path: [...at, 'max'], message: `min ${String(rule.min)} is more than max ${String(rule.max)}: no episode can pass` });
  }
}

function checkSchedule(s: Dict, path: DataPath, out: Problem[]): void {
  const from = clockMinutes(s.from, [...path, 'from'], false, out);
  const to = clockMinutes(s.to, [...path, 'to'], true, out);
  if (from !== undefined && from === to) {
    out.push({ path: [...path, 'to'], message: `schedule from and to are both "${String(s.to)}"; for the whole day use from: "00:00", to: "24:00"` });
  }
  if (typeof s.tz === 'string' && s.tz !== '' && !isTimeZone(s.tz)) {
    out.push({ path: [...path, 'tz'], message: `unknown time zone "${s.tz}": use an IANA name such as "Europe/Paris" or "UTC"` });
  }
}

function clockMinutes(v: unknown, path: DataPath, isEnd: boolean, out: Problem[]): number | undefined {
  if (typeof v !== 'string') return undefined;
  const m = TIME_RE.exec(v);
  if (!m) return undefined;
  const h = Number(m[1]);
  const min = Number(m[2]);
  if ((h < 24 && min < 60) || (isEnd && h === 24 && min === 0)) return h * 60 + min;
  out.push({ path, message: `bad schedule time "${v}": hours go 00..23 and minutes 00..59${isEnd ? ' (24:00 means midnight at the end of the day)' : ''}` });
  return undefined;
}

export function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}
