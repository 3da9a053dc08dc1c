// Condition evaluation: one frame's observations -> the set of subject keys a condition holds for.
import type { Observation } from '../core/contracts.ts';
import type { Condition } from './compiled.ts';

/** The key that stands for "the whole scene" (and, inside a subject set, "every subject"). */
export const SCENE = '*';

/**
 * A condition's truth in one frame. Subject-level conditions (`person_in`, `hands_in`, and
 * combinations that contain one) hold for a set of subjects; scene-level ones are just true or false.
 */
export type Truth =
  | { scene: true; holds: boolean }
  | { scene: false; subjects: ReadonlySet<string> };

const EMPTY: ReadonlySet<string> = new Set<string>();
const SCENE_ONLY: ReadonlySet<string> = new Set<string>([SCENE]);

/** The subjects a truth holds for; a scene-level truth is `{'*'}` when true, `{}` when false. */
export function subjectsOf(truth: Truth): ReadonlySet<string> {
  if (truth.scene) return truth.holds ? SCENE_ONLY : EMPTY;
  return truth.subjects;
}

/** Person subjects are tracks of people (`p:N`); every other key (`*`, `h:N`, `o:N`) is not. */
export function isPersonKey(key: string): boolean {
  return key.startsWith('p:');
}

function validObservation(o: unknown): o is Observation {
  if (typeof o !== 'object' || o === null) return false;
  const r = o as Record<string, unknown>;
  return typeof r.kind === 'string' && typeof r.label === 'string' && typeof r.zone === 'string' &&
    typeof r.subject === 'string' && r.subject !== '';
}

function inZone(o: Observation, zone: string): boolean {
  // Zone `*` means anywhere: a thing in any named zone is also somewhere in the image.
  return zone === SCENE || o.zone === zone;
}

/** One frame's observations, queried by conditions; results are memoised per condition node. */
export class FrameFacts {
  private readonly observations: Observation[];
  private readonly memo = new Map<Condition, Truth>();

  constructor(observations: unknown) {
    this.observations = Array.isArray(observations) ? observations.filter(validObservation) : [];
  }

  evaluate(condition: Condition): Truth {
    const known = this.memo.get(condition);
    if (known !== undefined) return known;
    const truth = this.compute(condition);
    this.memo.set(condition, truth);
    return truth;
  }

  /** Subject keys the condition holds for (scene-level truths as `{'*'}` or `{}`). */
  subjects(condition: Condition): ReadonlySet<string> {
    return subjectsOf(this.evaluate(condition));
  }

  private subjectsWhere(kind: Observation['kind'], zone: string): Set<string> {
    const out = new Set<string>();
    for (const o of this.observations) if (o.kind === kind && inZone(o, zone)) out.add(o.subject);
    return out;
  }

  private matchesLabel(o: Observation, label: string): boolean {
    // `person` is a COCO label too: the observer reports people with kind `person`.
    return o.label === label && (o.kind === 'object' || (label === 'person' && o.kind === 'person'));
  }

  private compute(c: Condition): Truth {
    switch (c.type) {
      case 'person_in':
        return { scene: false, subjects: this.subjectsWhere('person', c.zone) };
      case 'hands_in':
        return { scene: false, subjects: this.subjectsWhere('hand', c.zone) };
      case 'object': {
        const min = c.minScore ?? Number.NEGATIVE_INFINITY;
        const seen = this.observations.some((o) => this.matchesLabel(o, c.label) && inZone(o, c.zone) && o.score >= min);
        return { scene: true, holds: seen };
      }
      case 'count': {
        // `min_score` on counts is not in the compiled type yet; honoured if a compiler passes it.
        const min = 'minScore' in c && typeof c.minScore === 'number' ? c.minScore : Number.NEGATIVE_INFINITY;
        const distinct = new Set<string>();
        for (const o of this.observations) {
          if (inZone(o, c.zone) && this.matchesLabel(o, c.of) && o.score >= min) distinct.add(o.subject);
        }
        const n = distinct.size;
        return { scene: true, holds: (c.gte === undefined || n >= c.gte) && (c.lte === undefined || n <= c.lte) };
      }
      case 'any':
        return this.any(c.of.map((child) => this.evaluate(child)));
      case 'all':
        return this.all(c.of.map((child) => this.evaluate(child)));
      case 'not':
        return { scene: true, holds: subjectsOf(this.evaluate(c.of)).size === 0 };
    }
  }

  private any(parts: Truth[]): Truth {
    if (parts.every((p) => p.scene)) return { scene: true, holds: parts.some((p) => p.scene && p.holds) };
    const out = new Set<string>();
    for (const p of parts) for (const k of subjectsOf(p)) out.add(k);
    return { scene: false, subjects: out };
  }

  private all(parts: Truth[]): Truth {
    const sceneHolds = parts.every((p) => !p.scene || p.holds);
    const subjectParts = parts.filter((p): p is Extract<Truth, { scene: false }> => !p.scene);
    if (subjectParts.length === 0) return { scene: true, holds: sceneHolds };
    if (!sceneHolds) return { scene: false, subjects: EMPTY };
    let acc: ReadonlySet<string> = subjectParts[0]?.subjects ?? EMPTY;
    for (const p of subjectParts.slice(1)) acc = intersect(acc, p.subjects);
    return { scene: false, subjects: acc };
  }
}

/** Intersection where `*` inside a set means "holds for every subject". */
function intersect(a: ReadonlySet<string>, b: ReadonlySet<string>): ReadonlySet<string> {
  const aAll = a.has(SCENE);
  const bAll = b.has(SCENE);
  if (aAll && bAll) return new Set([...a, ...b]);
  if (aAll) return b;
  if (bAll) return a;
  const out = new Set<string>();
  for (const k of a) if (b.has(k)) out.add(k);
  return out;
}

function where(zone: string): string {
  return zone === SCENE ? '' : ` at ${zone}`;
}

/** A short phrase a manager can read: `hands at sink`, `cell phone at machine`. */
export function describeCondition(c: Condition): string {
  switch (c.type) {
    case 'person_in':
      return c.zone === SCENE ? 'a person' : `person at ${c.zone}`;
    case 'hands_in':
      return `hands${where(c.zone)}`;
    case 'object':
      return `${c.label}${where(c.zone)}`;
    case 'count': {
      const bounds = c.gte !== undefined && c.lte !== undefined
        ? (c.gte === c.lte ? `exactly ${c.gte}` : `${c.gte} to ${c.lte}`)
        : c.gte !== undefined ? `at least ${c.gte}` : c.lte !== undefined ? `at most ${c.lte}` : 'any number of';
      return `${bounds} ${c.of}${where(c.zone)}`;
    }
    case 'all':
      return c.of.map(nested).join(' and ');
    case 'any':
      return c.of.map(nested).join(' or ');
    case 'not':
      return `no ${nested(c.of)}`;
  }
}

function nested(c: Condition): string {
  const text = describeCondition(c);
  return c.type === 'all' || c.type === 'any' ? `(${text})` : text;
}
