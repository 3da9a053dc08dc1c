// Checks parsed SOP data against the JSON Schema and turns each ajv error into a plain sentence with a path.
import type { ErrorObject, ValidateFunction } from 'ajv';
import { DURATION_HINT, DURATION_PATTERN } from './duration.ts';
import { didYouMean } from './sop-suggest.ts';
import { loadSopValidator } from './sop-validator.ts';
import type { DataPath, Problem } from './sop-yaml.ts';

let validator: ValidateFunction | undefined;

function validate(): ValidateFunction {
  validator ??= loadSopValidator().validate;
  return validator;
}

/** Every schema problem of `data`, one per ajv error worth telling (if/then bookkeeping is dropped). */
export function schemaProblems(data: unknown): Problem[] {
  const check = validate();
  if (check(data)) return [];
  const errors = check.errors ?? [];
  // "must be one of yes, no" says more than "must be text": keep the enum/const error alone at its path.
  const choices = new Set(errors.filter((e) => e.keyword === 'enum' || e.keyword === 'const').map((e) => e.instancePath));
  const problems: Problem[] = [];
  for (const e of errors) {
    if (e.keyword === 'type' && choices.has(e.instancePath)) continue;
    const p = translate(e);
    if (p) problems.push(p);
  }
  return problems;
}

/** A JSON pointer (`/rules/2/when`) as a data path (`['rules', 2, 'when']`). */
export function toPath(pointer: string): Array<string | number> {
  if (pointer === '') return [];
  return pointer.split('/').slice(1).map((s) => {
    const seg = s.replace(/~1/g, '/').replace(/~0/g, '~');
    return /^(0|[1-9]\d*)$/.test(seg) ? Number(seg) : seg;
  });
}

/** The name a person would use for the thing at `path`: its key, or `list[2]` for an item. */
function nameOf(path: DataPath): string {
  const last = path[path.length - 1];
  if (last === undefined) return 'the file';
  if (typeof last === 'number') {
    const list = path[path.length - 2];
    if (list === 'rules') return `rule ${last + 1}`;
    if (list === 'steps') return `step ${last + 1}`;
    return `${nameOf(path.slice(0, -1))}[${last}]`;
  }
  return `"${last}"`;
}

/** `rule "x"`, `step "y"`, or the key name: how to speak of the mapping at `path`. */
function owner(path: DataPath, data: unknown): string {
  const list = path[path.length - 2];
  const id = typeof data === 'object' && data !== null ? (data as { id?: unknown }).id : undefined;
  const thing = list === 'rules' ? 'rule' : list === 'steps' ? 'step' : undefined;
  if (thing === undefined) return nameOf(path);
  return typeof id === 'string' ? `${thing} "${id}"` : `${thing} ${Number(path[path.length - 1]) + 1}`;
}

export function show(value: unknown): string {
  if (value === null || value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value) ?? typeof value;
}

/** JSON Schema type names in the words a person reads. */
export const TYPE_WORDS: Record<string, string> = {
  string: 'text', number: 'a number', integer: 'a whole number', boolean: 'true or false',
  object: 'a mapping (key: value lines)', array: 'a list',
};

const ENUM_NOUNS: Record<string, string> = {
  object: 'COCO label', of: 'COCO label', kind: 'rule kind', severity: 'severity', order: 'order',
  expect: 'expected answer', days: 'day',
};

function isDuration(schema: unknown): boolean {
  return typeof schema === 'object' && schema !== null && (schema as { pattern?: unknown }).pattern === DURATION_PATTERN;
}

/** `zones.<camera>.<zone>...`: where polygon messages apply. */
function zoneDepth(path: DataPath): number {
  return path[0] === 'zones' ? path.length : 0;
}

function translate(e: ErrorObject): Problem | undefined {
  const path = toPath(e.instancePath);
  const name = nameOf(path);
  const key = path[path.length - 1];
  const params = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'if':
      return undefined;
    case 'additionalProperties': {
      const extra = String(params.additionalProperty);
      const known = Object.keys((e.parentSchema as { properties?: object } | undefined)?.properties ?? {});
      if (extra === 'min' && known.includes('person_in')) {
        return { path: [...path, extra], at: 'key', message: 'unknown key "min": min goes only in a step\'s detect (a rule uses for, min or smoothing)' };
      }
      return { path: [...path, extra], at: 'key', message: `unknown key "${extra}"${didYouMean(extra, known)}` };
    }
    case 'required': {
      const missing = String(params.missingProperty);
      return { path, message: path.length === 0 ? `missing required key "${missing}" at the top of the file` : `${owner(path, e.data)} is missing required key "${missing}"` };
    }
    case 'type':
      if (isDuration(e.parentSchema)) return { path, message: `bad duration ${show(e.data)}: ${DURATION_HINT}` };
      if (zoneDepth(path) === 5) return { path, message: `coordinate ${show(e.data)} is not a number` };
      if (path.length === 0) return { path, message: 'an SOP file must be a YAML mapping with id, title, version, cameras and rules' };
      return { path, message: `${name} must be ${TYPE_WORDS[String(params.type)] ?? String(params.type)}, not ${show(e.data)}` };
    case 'pattern':
      return { path, message: patternMessage(path, e) };
    case 'enum': {
      // COCO labels are told by the semantic checks, which also reach rules of a misspelt kind.
      if (key === 'object' || key === 'of') return undefined;
      const value = String(e.data);
      const allowed = (params.allowedValues as unknown[]).map(String);
      const noun = ENUM_NOUNS[typeof key === 'number' ? String(path[path.length - 2]) : String(key)] ?? `value of ${name}`;
      const list = allowed.length <= 7 ? `; use one of ${allowed.join(', ')}` : '';
      return { path, message: `unknown ${noun} ${show(e.data)}${didYouMean(value, allowed)}${list}` };
    }
    case 'const':
      if (key === 'version' && typeof e.data !== 'number') return { path, message: `"version" must be the number 1, not ${show(e.data)}` };
      if (key === 'version') return { path, message: `unsupported format version ${show(e.data)}: this sopwatch reads version 1` };
      return { path, message: `${name} must be ${show(params.allowedValue)}` };
    case 'minItems':
      return { path, message: minItemsMessage(path, e) };
    case 'maxItems':
      if (zoneDepth(path) === 4) return { path, message: `a point is [x, y], not ${(e.data as unknown[]).length} numbers` };
      return { path, message: `${name} has too many entries (at most ${String(params.limit)})` };
    case 'additionalItems':
      return undefined;
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return { path, message: rangeMessage(path, e) };
    case 'minLength':
      return { path, message: `${name} must not be empty` };
    case 'minProperties':
      return { path, message: `${name} is empty: give a condition (person_in, hands_in, object, count, all, any or not)` };
    case 'uniqueItems': {
      const later = Math.max(Number(params.i), Number(params.j));
      return { path: [...path, later], message: `${name} lists ${show((e.data as unknown[])[later])} twice` };
    }
    default:
      return { path, message: `${name} ${e.message ?? 'is not valid'}` };
  }
}

function patternMessage(path: DataPath, e: ErrorObject): string {
  const key = path[path.length - 1];
  const value = show(e.data);
  if (isDuration(e.parentSchema)) return `bad duration ${value}: ${DURATION_HINT}`;
  if (key === 'from' || key === 'to') return `bad schedule time ${value}: use "HH:MM", e.g. "07:30"`;
  if (path.length === 1 && key === 'id') return `bad SOP id ${value}: use lower-case letters, digits and "-"`;
  if (key === 'id') return `bad id ${value}: use letters, digits, "-", "_" or "."`;
  return `${nameOf(path)} does not have the expected form`;
}

function minItemsMessage(path: DataPath, e: ErrorObject): string {
  const key = path[path.length - 1];
  const n = Array.isArray(e.data) ? e.data.length : 0;
  const depth = zoneDepth(path);
  if (depth === 3) return `zone "${String(key)}" has ${n} point${n === 1 ? '' : 's'}; a polygon needs at least 3`;
  if (depth === 4) return `a point is [x, y], not ${n} number${n === 1 ? '' : 's'}`;
  if (key === 'steps') return 'sequence without steps: list at least one step';
  if (key === 'rules') return 'no rules: list at least one rule';
  if (key === 'cameras') return 'no cameras: list camera ids or tags, or "*" for any camera';
  if (key === 'days') return 'no days: list at least one day, or leave days out for every day';
  if (key === 'all' || key === 'any') return `"${key}" needs at least one condition`;
  return `${nameOf(path)} is empty`;
}

function rangeMessage(path: DataPath, e: ErrorObject): string {
  const key = path[path.length - 1];
  if (zoneDepth(path) === 5) {
    return `coordinate ${show(e.data)} is outside 0..1 (points are fractions of the image width and height)`;
  }
  if (key === 'min_score') return `min_score ${show(e.data)} is outside 0..1`;
  const limit = String((e.params as { limit?: unknown }).limit);
  const word = e.keyword === 'minimum' || e.keyword === 'exclusiveMinimum' ? 'at least' : 'at most';
  return `${nameOf(path)} must be ${word} ${limit}, not ${show(e.data)}`;
}
