// Works out which detector models the loaded SOP rules need, so that only those run.
import type { CompiledSop } from '../rules/compiled.ts';
import { leafConditions, ruleConditions } from '../rules/rule-conditions.ts';
import type { DetectorNeeds } from '../detector/types.ts';

/** What the rules ask of the detector: its own needs type (labels only when a rule reads objects). */
export type ModelNeeds = DetectorNeeds;

/** The models that the enabled rules of these files use. Faces are never needed for rules, only for blurring. */
export function modelNeedsFor(sops: readonly CompiledSop[]): ModelNeeds {
  const needs: ModelNeeds = { persons: false, pose: false, hands: false, objects: false, faces: false };
  const labels = new Set<string>();
  // `person` is a label too: the rules read people (kind person) for it, from the person boxes.
  const label = (l: string): void => {
    if (l === 'person') needs.persons = true;
    else {
      needs.objects = true;
      labels.add(l);
    }
  };
  const leaves = sops.flatMap((s) => s.rules.filter((r) => r.enabled)).flatMap(ruleConditions).flatMap(leafConditions);
  for (const leaf of leaves) {
    switch (leaf.type) {
      case 'person_in':
        needs.persons = true;
        break;
      case 'hands_in':
        needs.persons = true;
        needs.hands = true;
        break;
      case 'object':
        label(leaf.label);
        break;
      case 'count':
        label(leaf.of);
        break;
    }
  }
  return needs.objects ? { ...needs, labels: [...labels].sort() } : needs;
}
