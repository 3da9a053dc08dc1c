// Which models a set of detector needs loads. Kept apart from the models so the main thread never loads TF.js.
import type { DetectorNeeds, ModelName } from './types.ts';

/** What either set of needs asks for: one pool that serves both loads each model once. */
export function unionNeeds(a: DetectorNeeds, b: DetectorNeeds): DetectorNeeds {
  const union: DetectorNeeds = { persons: a.persons || b.persons, pose: a.pose || b.pose, hands: a.hands || b.hands, objects: a.objects || b.objects, faces: a.faces || b.faces };
  const labels = objectLabels(a, b);
  if (labels !== undefined) union.labels = labels;
  return union;
}

/** The object labels both together want: every label when either wants objects of any label. */
function objectLabels(a: DetectorNeeds, b: DetectorNeeds): string[] | undefined {
  const wanted = [a, b].filter((n) => n.objects);
  if (wanted.length === 0 || wanted.some((n) => n.labels === undefined)) return undefined;
  return [...new Set(wanted.flatMap((n) => n.labels ?? []))].sort();
}

/**
 * What a pool for the rules loads: where they want persons alone, the pose model too, for the frame stage's checks of
 * persons already found (services/frames/still-check.ts; the rules' view runs without it).
 */
export function withCheckModel(needs: DetectorNeeds): DetectorNeeds {
  return needs.persons && !needs.pose && !needs.hands && !needs.objects ? { ...needs, pose: true } : needs;
}

/** Persons, pose and hands all start from CenterNet's person boxes; pose and hands add MoveNet; faces BlazeFace. */
export function modelsFor(needs: DetectorNeeds): ModelName[] {
  const models: ModelName[] = [];
  if (needs.persons || needs.pose || needs.hands || needs.objects) models.push('centernet');
  if (needs.pose || needs.hands) models.push('movenet-lightning');
  if (needs.faces) models.push('blazeface');
  return models;
}
