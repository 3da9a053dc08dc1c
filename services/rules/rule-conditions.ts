// Walks the conditions of a compiled rule: the leaf conditions it tests and the zones they name.
import type { Condition, Rule } from './compiled.ts';

export type LeafCondition = Extract<Condition, { type: 'person_in' | 'hands_in' | 'object' | 'count' }>;

/** Every condition a rule evaluates: `when`, or a sequence's trigger and step detections. */
export function ruleConditions(rule: Rule): Condition[] {
  switch (rule.kind) {
    case 'duration':
    case 'forbidden':
    case 'required':
      return [rule.when];
    case 'sequence':
      return [rule.trigger, ...rule.steps.map((s) => s.detect)];
  }
}

/** The leaves of a condition tree (all/any/not unfolded). */
export function leafConditions(c: Condition): LeafCondition[] {
  switch (c.type) {
    case 'all':
    case 'any':
      return c.of.flatMap(leafConditions);
    case 'not':
      return leafConditions(c.of);
    case 'person_in':
    case 'hands_in':
    case 'object':
    case 'count':
      return [c];
  }
}

/** The named zones a rule looks at (`*`, anywhere, is not a zone). */
export function ruleZones(rule: Rule): string[] {
  const zones = ruleConditions(rule).flatMap(leafConditions).map((leaf) => leaf.zone);
  return [...new Set(zones)].filter((z) => z !== '*');
}
