// Which models a set of detector needs loads. Kept apart from the models so the main thread never loads TF.js.
import type { DetectorNeeds, ModelName } from './types.ts';

/** Persons, pose and hands all start from CenterNet's person boxes; pose and hands add MoveNet; faces BlazeFace. */
export function modelsFor(needs: DetectorNeeds): ModelName[] {
  const models: ModelName[] = [];
  if (needs.persons || needs.pose || needs.hands || needs.objects) models.push('centernet');
  if (needs.pose || needs.hands) models.push('movenet-lightning');
  if (needs.faces) models.push('blazeface');
  return models;
}
