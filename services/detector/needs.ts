// Which models a set of detector needs loads. Kept apart from the models so the main thread never loads TF.js.
import type { DetectorNeeds, ModelName } from './types.ts';

/** What either set of needs asks for: one pool that serves both loads each model once. */
export function unionNeeds(a: DetectorNeeds, b: DetectorNeeds): DetectorNeeds {
  return { persons: a.persons || b.persons, pose: a.pose || b.pose, hands: a.hands || b.hands, objects: a.objects || b.objects, faces: a.faces || b.faces };
}

/** Persons, pose and hands all start from CenterNet's person boxes; pose and hands add MoveNet; faces BlazeFace. */
export function modelsFor(needs: DetectorNeeds): ModelName[] {
  const models: ModelName[] = [];
  if (needs.persons || needs.pose || needs.hands || needs.objects) models.push('centernet');
  if (needs.pose || needs.hands) models.push('movenet-lightning');
  if (needs.faces) models.push('blazeface');
  return models;
}
