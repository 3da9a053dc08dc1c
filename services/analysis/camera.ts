// Picks which camera's zones apply to a clip: the `--camera` flag, or the only camera the files name.
import { UsageError } from '../core/errors.ts';
import type { CompiledSop } from '../rules/compiled.ts';

/**
 * A file with zones for exactly one camera (or only `*`) needs no flag; with several cameras
 * the user must say which one filmed the clip.
 */
export function resolveCamera(sops: readonly CompiledSop[], requested?: string): string {
  const named = new Set<string>();
  for (const sop of sops) {
    for (const key of Object.keys(sop.zones)) if (key !== '*') named.add(key);
  }
  if (requested !== undefined) {
    if (named.size > 0 && !named.has(requested) && !sops.some((s) => '*' in s.zones)) {
      throw new UsageError(`camera "${requested}" has no zones in the SOP files (they name: ${[...named].sort().join(', ')})`);
    }
    return requested;
  }
  if (named.size === 0) return '*';
  if (named.size === 1) return [...named][0] ?? '*';
  throw new UsageError(`the SOP files have zones for several cameras (${[...named].sort().join(', ')}): pick one with --camera`);
}
