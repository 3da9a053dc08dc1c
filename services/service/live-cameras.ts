// What the live worker watches: store cameras (a database row with a host, or a cameras.yaml entry of the same name)
// and, per store, the enabled SOP files narrowed to the cameras they apply to. A bad camera never stops the others.
import { createHash } from 'node:crypto';
import type { EnabledSop, LiveCameraRow } from '../core/storage/live-cameras.repository.ts';
import { liveConfigFromObject, type CameraConfig, type LiveConfig } from '../live/camera-config.ts';
import type { CompiledSop } from '../rules/compiled.ts';
import { sopsForCamera } from '../rules/engine.ts';

export type LiveSettings = Omit<LiveConfig, 'cameras'>;

export interface LiveCamera {
  row: LiveCameraRow;
  /** Its id is the camera's name: SOP files name cameras by name. */
  config: CameraConfig;
  /** Where the settings came from. */
  from: 'database' | 'file';
}

/** One store's cameras and rules: one LiveService runs it. */
export interface StorePlan {
  storeId: string;
  cameras: LiveCamera[];
  config: LiveConfig;
  /** Each SOP's `cameras` narrowed to the names of the cameras it applies to (camera choice of the enabled version). */
  sops: CompiledSop[];
  /** SOP id -> enabled version. */
  versions: Record<string, number>;
  /** Changes whenever anything above changes: the store's service is then restarted. */
  fingerprint: string;
}

export interface LivePlanInput {
  rows: readonly LiveCameraRow[];
  sops: readonly EnabledSop[];
  /** A cameras.yaml: its cameras are matched to store cameras by name; its settings apply to every camera. */
  file?: LiveConfig;
  /** Wins over the file's settings (tests: short stall limits). */
  settings?: Partial<LiveSettings>;
}

const describe = (row: LiveCameraRow): string => `camera "${row.name}" of store ${row.storeId}`;

function fromDatabase(row: LiveCameraRow & { host: string }): CameraConfig {
  // The id is checked with a stand-in: store camera names may use capitals, which the file format does not allow.
  const [config] = liveConfigFromObject({ cameras: [{ ...row.config, id: 'camera', host: row.host, tags: row.tags }] }).cameras;
  if (config === undefined) throw new Error('no camera');
  return { ...config, id: row.name };
}

export function planLive(input: LivePlanInput): { plans: StorePlan[]; problems: string[] } {
  const problems: string[] = [];
  const { cameras: _none, ...defaults } = liveConfigFromObject({});
  const { cameras: fileCameras = [], ...fileSettings } = input.file ?? { cameras: [] };
  const settings: LiveSettings = { ...defaults, ...(input.file === undefined ? {} : fileSettings), ...input.settings };
  const byName = new Map<string, LiveCameraRow[]>();
  for (const row of input.rows) byName.set(row.name, [...(byName.get(row.name) ?? []), row]);
  const fromFile = new Map<string, CameraConfig>();
  for (const cam of fileCameras) {
    const rows = byName.get(cam.id) ?? [];
    if (rows.length === 0) problems.push(`cameras file: camera "${cam.id}" is not a camera of any store (add it to a store with that name)`);
    else if (rows.length > 1) problems.push(`cameras file: camera "${cam.id}" is the name of cameras in ${rows.length} stores: give each its host in the store instead`);
    else fromFile.set(cam.id, cam);
  }

  const live: LiveCamera[] = [];
  for (const row of input.rows) {
    const { host } = row;
    try {
      if (host !== null) live.push({ row, config: fromDatabase({ ...row, host }), from: 'database' });
      else {
        const cam = fromFile.get(row.name);
        if (cam !== undefined) live.push({ row, config: { ...cam, id: row.name, tags: [...new Set([...cam.tags, ...row.tags])] }, from: 'file' });
      }
    } catch (err) {
      problems.push(`${describe(row)}: ${(err as Error).message}`);
    }
  }

  const plans: StorePlan[] = [];
  for (const storeId of [...new Set(live.map((c) => c.row.storeId))].sort()) {
    const cameras = live.filter((c) => c.row.storeId === storeId);
    const sops: CompiledSop[] = [];
    const versions: Record<string, number> = {};
    for (const file of input.sops.filter((s) => s.storeId === storeId)) {
      const compiled = file.compiled as unknown as CompiledSop;
      const names = cameras
        .filter((c) => (file.cameraIds === null || file.cameraIds.includes(c.row.id)) && sopsForCamera([compiled], c.config.id, c.config.tags).length > 0)
        .map((c) => c.config.id);
      if (names.length === 0) continue;
      sops.push({ ...compiled, cameras: names });
      versions[file.sopId] = file.version;
    }
    const config: LiveConfig = { ...settings, cameras: cameras.map((c) => c.config) };
    const fingerprint = createHash('sha256')
      .update(JSON.stringify({ config, rows: cameras.map((c) => c.row.id), versions, sops: sops.map((s) => [s.id, s.cameras]) }))
      .digest('hex');
    plans.push({ storeId, cameras, config, sops, versions, fingerprint });
  }
  return { plans, problems };
}
