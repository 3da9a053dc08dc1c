// What the live worker watches: store cameras (a database row with a host, or a cameras.yaml entry of the same name)
// and, per store, the enabled SOP files narrowed to the cameras they apply to. A bad camera never stops the others.
import { createHash } from 'node:crypto';
import { secretFromEnv } from '../core/env.ts';
import type { EnabledSop, LiveCameraRow } from '../core/storage/live-cameras.repository.ts';
import { liveConfigFromObject, type CameraConfig, type LiveConfig } from '../live/camera-config.ts';
import type { CompiledSop } from '../rules/compiled.ts';
import { sopsForCamera } from '../rules/engine.ts';

export type LiveSettings = Omit<LiveConfig, 'cameras'>;

/** How the worker signs in to a camera: one plain object, handed to whatever connects (never logged, never stored). */
export interface CameraCredentials {
  username: string;
  password: string;
}

export interface LiveCamera {
  row: LiveCameraRow;
  /** Its id is the camera's name: SOP files name cameras by name. */
  config: CameraConfig;
  /** Where the settings came from. */
  from: 'database' | 'file';
  /** The stored password (opened) for a database camera, or the one its passwordEnv names for a cameras.yaml camera. */
  credentials?: CameraCredentials;
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
  /** Opens a camera row's sealed password; without it, a camera with a stored password is not watched (a problem). */
  openPassword?: (row: LiveCameraRow & { passwordSealed: string }) => string;
  /** The value of an environment variable a cameras.yaml camera names (default: this process's environment). */
  envSecret?: (name: string) => string | undefined;
}

const describe = (row: LiveCameraRow): string => `camera "${row.name}" of store ${row.storeId}`;

function fromDatabase(row: LiveCameraRow & { host: string }): CameraConfig {
  // A variable name saved through the API before schema v5 is never read: only the operator's own file may name one.
  const { passwordEnv: _never, ...settings } = row.config;
  // The id is checked with a stand-in: store camera names may use capitals, which the file format does not allow.
  const [config] = liveConfigFromObject({ cameras: [{ ...settings, id: 'camera', host: row.host, tags: row.tags }] }).cameras;
  if (config === undefined) throw new Error('no camera');
  return { ...config, id: row.name };
}

function databaseCredentials(row: LiveCameraRow, config: CameraConfig, open: LivePlanInput['openPassword']): CameraCredentials | undefined {
  const sealed = row.passwordSealed;
  if (sealed === null) return undefined;
  if (open === undefined) throw new Error('a password is stored but this worker has no key to open it');
  try {
    return { username: config.username ?? '', password: open({ ...row, passwordSealed: sealed }) };
  } catch (err) {
    // The message of a SecretError names key ids only, never the value.
    throw new Error(`its stored password cannot be opened: ${(err as Error).message}`);
  }
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
      if (host !== null) {
        const config = fromDatabase({ ...row, host });
        const credentials = databaseCredentials(row, config, input.openPassword);
        live.push({ row, config, from: 'database', ...(credentials === undefined ? {} : { credentials }) });
      } else {
        const cam = fromFile.get(row.name);
        const password = cam?.passwordEnv === undefined ? undefined : (input.envSecret ?? secretFromEnv)(cam.passwordEnv);
        if (cam !== undefined) {
          live.push({
            row, config: { ...cam, id: row.name, tags: [...new Set([...cam.tags, ...row.tags])] }, from: 'file',
            ...(password === undefined ? {} : { credentials: { username: cam.username ?? '', password } }),
          });
        }
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
      // The sealed passwords (ciphertext, new on every save) make a changed password restart the store.
      .update(JSON.stringify({ config, rows: cameras.map((c) => c.row.id), sealed: cameras.map((c) => c.row.passwordSealed), versions, sops: sops.map((s) => [s.id, s.cameras]) }))
      .digest('hex');
    plans.push({ storeId, cameras, config, sops, versions, fingerprint });
  }
  return { plans, problems };
}
