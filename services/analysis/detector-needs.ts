// Works out which detector models the loaded SOP rules need, so that only those run.
import type { Condition, CompiledSop } from '../rules/compiled.ts';

export interface ModelNeeds {
  persons: boolean;
  pose: boolean;
  hands: boolean;
  objects: boolean;
  faces: boolean;
}

function visit(c: Condition, needs: ModelNeeds): void {
  switch (c.type) {
    case 'person_in':
      needs.persons = true;
      return;
    case 'hands_in':
      needs.persons = true;
      needs.hands = true;
      return;
    case 'object':
      needs.objects = true;
      return;
    case 'count':
      if (c.of === 'person') needs.persons = true;
      else needs.objects = true;
      return;
    case 'all':
    case 'any':
      for (const child of c.of) visit(child, needs);
      return;
    case 'not':
      visit(c.of, needs);
      return;
  }
}

/** The models that the enabled rules of these files use. Faces are never needed for rules, only for blurring. */
export function modelNeedsFor(sops: readonly CompiledSop[]): ModelNeeds {
  const needs: ModelNeeds = { persons: false, pose: false, hands: false, objects: false, faces: false };
  for (const sop of sops) {
    for (const rule of sop.rules) {
      if (!rule.enabled) continue;
      switch (rule.kind) {
        case 'duration':
        case 'forbidden':
        case 'required':
          visit(rule.when, needs);
          break;
        case 'sequence':
          visit(rule.trigger, needs);
          for (const step of rule.steps) visit(step.detect, needs);
          break;
      }
    }
  }
  return needs;
}
