// The YAML shape of an SOP file (`SopFile`), written once in TypeBox: it gives the TS type and the JSON Schema.
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { COCO_LABELS, type CocoLabel } from './compiled.ts';
import { DURATION_PATTERN } from './duration.ts';

const strict = { additionalProperties: false } as const;

export const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export const CONDITION_KEYS = ['person_in', 'hands_in', 'object', 'count', 'all', 'any', 'not'] as const;
export const RULE_KINDS = ['duration', 'forbidden', 'required', 'sequence'] as const;

/** A string that must be one of `values`, as a plain `enum` so that editors offer completions. */
function oneOf<T extends string>(values: readonly T[], description: string) {
  return Type.Unsafe<T>({ type: 'string', enum: [...values], description });
}

function duration(description: string) {
  return Type.String({ pattern: DURATION_PATTERN, description: `${description} A duration: 500ms, 20s, 1.5s, 2m, 1h or 1m30s (at most 7 days).` });
}

/** A use of a shared schema with its own description (the description editors show for that key). */
function described<T extends TSchema>(schema: T, description: string): T {
  return { ...schema, description };
}

const ZoneRef = Type.String({ minLength: 1, description: 'A zone name defined under `zones` (for every camera key, or under "*"); "*" means anywhere in the image.' });
const Label = Type.Unsafe<CocoLabel>({
  $id: 'CocoLabel', type: 'string', enum: [...COCO_LABELS],
  description: 'A COCO label the object detector reports, e.g. "cell phone", "cup", "knife".',
});
const Coordinate = Type.Number({ minimum: 0, maximum: 1, description: 'Fraction of the image width (x) or height (y), 0..1, origin top-left.' });
const Point = Type.Tuple([Coordinate, Coordinate], { description: 'A point [x, y], normalised 0..1.' });
const Polygon = Type.Array(Point, { minItems: 3, description: 'A polygon: at least three points [x, y], normalised 0..1, origin top-left.' });

/** No camera picture holds more things than this; a bigger bound is a typo. */
const MAX_COUNT = 1000;

const Count = Type.Object({
  of: described(Label, 'What to count: "person" or a COCO label.'),
  in: Type.Optional(described(ZoneRef, 'Zone to count in; anywhere in the image when absent.')),
  gte: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_COUNT, description: 'True when at least this many are seen.' })),
  lte: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_COUNT, description: 'True when at most this many are seen.' })),
}, { ...strict, description: 'True when the number of such things in the zone is within the bounds (give gte, lte or both).' });

function conditionProperties<T extends TSchema>(self: T) {
  return {
    person_in: Type.Optional(described(ZoneRef, "True when a tracked person's foot point (bottom-centre of the box) is inside this zone.")),
    hands_in: Type.Optional(described(ZoneRef, 'True when a hand (hand box centre or wrist keypoint) is inside this zone.')),
    object: Type.Optional(described(Label, 'True when an object with this COCO label is seen (inside `in` when given).')),
    in: Type.Optional(described(ZoneRef, 'With `object`: the zone that must contain the box centre; anywhere when absent.')),
    min_score: Type.Optional(Type.Number({ minimum: 0, maximum: 1, description: 'With `object`: the lowest detector score that counts (0..1).' })),
    count: Type.Optional(Count),
    all: Type.Optional(Type.Array(self, { minItems: 1, description: 'True when every condition in the list is true.' })),
    any: Type.Optional(Type.Array(self, { minItems: 1, description: 'True when at least one condition in the list is true.' })),
    not: Type.Optional(described(self, 'True when the condition is false.')),
  };
}

const CONDITION_HELP = 'Exactly one of person_in, hands_in, object (with optional in, min_score), count, all, any, not.';

/** A condition tree, judged on every sampled frame and smoothed over time. */
export const Condition = Type.Recursive(
  (This) => Type.Object(conditionProperties(This), { ...strict, minProperties: 1, description: `A condition. ${CONDITION_HELP}` }),
  { $id: 'Condition' },
);
export type Condition = Static<typeof Condition>;

const Detect = Type.Object({
  ...conditionProperties(Condition),
  min: Type.Optional(duration('Shortest time the condition must hold for the step to count (default 0s).')),
}, { ...strict, minProperties: 1, description: `How the detector recognises the step. ${CONDITION_HELP} Plus optional min.` });

const Verify = Type.Object({
  question: Type.String({ minLength: 1, description: 'One closed yes/no question for the vision-language model about keyframes taken while the detector condition held.' }),
  expect: oneOf(['yes', 'no'] as const, 'The answer a compliant scene gives; the opposite answer fails the step or confirms the forbidden rule.'),
  frames: Type.Optional(Type.Integer({ minimum: 1, maximum: 12, description: 'How many keyframes to send to the model (default 3).' })),
  per: Type.Optional(oneOf(['episode', 'subject'] as const, 'forbidden rules only (project extension): episode (default) asks one question per episode, about everyone in it; subject asks one per person and raises one violation per person. A sequence step is always asked once per run.')),
}, { ...strict, description: 'Ask the model to confirm. An "unsure" answer, or no model reachable, sends the case to a person (needs_review); it never passes or fails on its own.' });

const Smoothing = Type.Object({
  enter: Type.Optional(duration('A condition turns on after holding this long (default 500ms).')),
  exit: Type.Optional(duration('A condition turns off after failing this long (default 1500ms).')),
}, { ...strict, description: 'Hysteresis: filters detector flicker. Rule-level values override file-level ones.' });

const Schedule = Type.Object({
  days: Type.Optional(Type.Array(oneOf(DAYS, 'A day: mon, tue, wed, thu, fri, sat or sun.'), { minItems: 1, uniqueItems: true, description: 'Days the window starts on (default every day).' })),
  from: Type.String({ pattern: '^\\d{1,2}:\\d{2}$', description: 'Start of the window, local time "HH:MM" (00:00..23:59).' }),
  to: Type.String({ pattern: '^\\d{1,2}:\\d{2}$', description: 'End of the window, local time "HH:MM" (00:00..24:00); earlier than `from` means it crosses midnight.' }),
  tz: Type.Optional(Type.String({ minLength: 1, description: 'IANA time zone, e.g. "Europe/Paris" (default UTC).' })),
}, { ...strict, description: 'When the rule applies. Outside the window nothing is flagged.' });

const ruleBase = {
  id: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]*$', description: 'Rule id, unique within the file: letters, digits, "-", "_", ".".' }),
  title: Type.Optional(Type.String({ description: 'What the rule checks, in a few words (default: the id).' })),
  title_zh: Type.Optional(Type.String({ minLength: 1, description: 'Project extension. The title in Simplified Chinese, shown to viewers who read Chinese (default: `title`).' })),
  severity: Type.Optional(oneOf(['low', 'medium', 'high'] as const, 'How serious a violation is (default medium).')),
  enabled: Type.Optional(Type.Boolean({ description: 'false turns the rule off without deleting it (default true).' })),
  shadow: Type.Optional(Type.Boolean({ description: 'true records violations for review but never alerts: for trying a rule out (default false).' })),
  smoothing: Type.Optional(Smoothing),
};

const kind = <K extends string>(k: K, description: string) => Type.Literal(k, { description });

const DurationRule = Type.Object({
  ...ruleBase,
  kind: kind('duration', 'duration: an episode of `when` must last at least `min` (too_short) and at most `max` (too_long).'),
  when: described(Condition, 'The episode: while this holds.'),
  min: Type.Optional(duration('An episode that ends shorter than this is too_short.')),
  max: Type.Optional(duration('An episode that runs longer than this is too_long, raised as soon as it passes.')),
}, { ...strict, description: 'A duration rule: give min, max or both.' });

const ForbiddenRule = Type.Object({
  ...ruleBase,
  kind: kind('forbidden', 'forbidden: `when` must not hold for `for` or longer.'),
  when: described(Condition, 'What must not happen.'),
  for: Type.Optional(duration('How long `when` must hold before it counts (default 0s).')),
  verify: Type.Optional(Verify),
}, { ...strict, description: 'A forbidden rule; with verify, only raised when the model answers the opposite of expect.' });

const RequiredRule = Type.Object({
  ...ruleBase,
  kind: kind('required', 'required: inside the schedule, `when` must never be false for longer than `max_gap`.'),
  when: described(Condition, 'What must keep happening.'),
  max_gap: duration('Longest time `when` may be false before a gap is raised.'),
  schedule: Type.Optional(Schedule),
}, { ...strict, description: 'A required rule (a station that must be attended).' });

const Step = Type.Object({
  id: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]*$', description: 'Step id, unique within the rule.' }),
  title: Type.Optional(Type.String({ description: 'What the step is, in a few words (default: the id).' })),
  title_zh: Type.Optional(Type.String({ minLength: 1, description: 'Project extension. The step title in Simplified Chinese (default: `title`).' })),
  detect: Detect,
  verify: Type.Optional(Verify),
}, { ...strict, description: 'One step of the sequence.' });

const SequenceRule = Type.Object({
  ...ruleBase,
  kind: kind('sequence', 'sequence: each time `trigger` becomes true a run starts; its steps must all be seen, in order, within `within`.'),
  trigger: described(Condition, 'Each time this becomes true, a new run starts.'),
  steps: Type.Array(Step, { minItems: 1, description: 'The steps, in the order they must happen.' }),
  within: duration('A run must finish all its steps within this time (else timeout).'),
  order: Type.Optional(oneOf(['strict', 'any'] as const, 'strict: steps in the listed order (default); any: in any order.')),
  idle: Type.Optional(duration('A run whose trigger and steps have all been false this long ends early (default 10s).')),
}, { ...strict, description: 'A sequence rule.' });

const RULE_BRANCHES = { duration: DurationRule, forbidden: ForbiddenRule, required: RequiredRule, sequence: SequenceRule };
export type DurationRule = Static<typeof DurationRule>;
export type ForbiddenRule = Static<typeof ForbiddenRule>;
export type RequiredRule = Static<typeof RequiredRule>;
export type SequenceRule = Static<typeof SequenceRule>;
export type SopRule = DurationRule | ForbiddenRule | RequiredRule | SequenceRule;

// Chosen by `kind` with if/then rather than anyOf, so that errors speak of the one kind the author meant.
const Rule = Type.Unsafe<SopRule>({
  type: 'object',
  required: ['kind'],
  properties: { kind: oneOf(RULE_KINDS, 'duration, forbidden, required or sequence.') },
  allOf: Object.entries(RULE_BRANCHES).map(([k, then]) => ({ if: { properties: { kind: { const: k } }, required: ['kind'] }, then })),
  description: 'A rule. Its `kind` decides which other keys it takes.',
});

export const SopFileSchema = Type.Object({
  id: Type.String({ pattern: '^[a-z0-9][a-z0-9-]*$', description: 'Unique id of this SOP across all files: lower-case letters, digits and "-".' }),
  title: Type.String({ minLength: 1, description: 'Name of the procedure, shown to the store manager.' }),
  title_zh: Type.Optional(Type.String({ minLength: 1, description: 'Project extension. The name in Simplified Chinese, shown to viewers who read Chinese (default: `title`).' })),
  version: Type.Literal(1, { description: 'Format version of this file; 1 is the only one so far.' }),
  revision: Type.Optional(Type.Integer({ minimum: 0, maximum: 2_147_483_647, description: "The author's own revision number of this file." })),
  description: Type.Optional(Type.String({ description: 'Free text: what the procedure is for.' })),
  cameras: Type.Array(Type.String({ minLength: 1, description: 'A camera id or tag; "*" means any camera.' }), { minItems: 1, uniqueItems: true, description: 'Camera ids or tags this file applies to; "*" = any.' }),
  zones: Type.Optional(Type.Record(Type.String({ minLength: 1 }), Type.Record(Type.String({ minLength: 1 }), Polygon, { ...strict, description: 'Zone name -> polygon.' }), { ...strict, description: 'Zones per camera id (or "*" for every camera): zone name -> polygon.' })),
  motion_mask: Type.Optional(Type.Record(Type.String({ minLength: 1 }), Type.Array(Polygon, { maxItems: 32, description: 'Polygons where motion is ignored.' }), { ...strict, description: 'Project extension. Areas per camera id (or "*") that always move (a clock, a screen, a window onto the street): motion there never wakes the detector. Things inside are still detected when the detector runs for other reasons.' })),
  smoothing: Type.Optional(Smoothing),
  rules: Type.Array(Rule, { minItems: 1, description: 'The rules of this procedure.' }),
}, { ...strict, title: 'sopwatch SOP file (format v1)', description: 'A standard operating procedure: where to look, and what must or must not happen there.' });

export type SopFile = Static<typeof SopFileSchema>;

/** Schemas used in several places, emitted once under `definitions` and referred to by JSON pointer. */
const SHARED: Record<string, TSchema> = { Condition, CocoLabel: Label };

/**
 * The JSON Schema (draft-07) of an SOP file, for editors and for the loader's validator.
 * Shared and recursive schemas move into `definitions` so that every tool resolves them the same way.
 */
export function sopJsonSchema(): Record<string, unknown> {
  const relink = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(relink);
    if (node === null || typeof node !== 'object') return node;
    const obj = node as Record<string, unknown>;
    const shared = [obj.$id, obj.$ref].find((v): v is string => typeof v === 'string' && v in SHARED);
    if (shared !== undefined) {
      const ref = { $ref: `#/definitions/${shared}` };
      return typeof obj.description === 'string' ? { ...ref, description: obj.description } : ref;
    }
    return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, relink(v)]));
  };
  const definitions = Object.fromEntries(
    Object.entries(SHARED).map(([name, schema]) => {
      const { $id: _id, ...body } = schema as unknown as Record<string, unknown>;
      return [name, relink(body)];
    }),
  );
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    ...(relink(SopFileSchema) as Record<string, unknown>),
    definitions,
  };
}

/** The schema as committed in sop-rules/sop.schema.json. */
export function sopJsonSchemaText(): string {
  return `${JSON.stringify(sopJsonSchema(), null, 2)}\n`;
}
