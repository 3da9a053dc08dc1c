// `sopwatch cameras add`: a store camera by name (uploads only), or with its address, checked like the API checks it
// (the camera settings' schema, URLs on the camera itself, the operator's camera networks); a password read from stdin
// only (never argv, never the environment), stored sealed under the installation's key.
import { Value } from '@sinclair/typebox/value';
import { NewCamera } from '../api/schemas/camera.ts';
import { checkStreamHost } from '../api/stream-policy.ts';
import { env, outboundPolicies } from '../core/env.ts';
import { UsageError } from '../core/errors.ts';
import { openSecretBox } from '../core/secrets.ts';
import { AuditRepository } from '../core/storage/index.ts';
import { CameraRepository } from '../core/storage/cameras.repository.ts';
import { LiveCameraRepository, cameraPasswordContext } from '../core/storage/live-cameras.repository.ts';
import { StoreRepository } from '../core/storage/stores.repository.ts';
import { checkCameraUri } from '../ingester/camera-uri.ts';
import { liveConfigFromObject } from '../live/camera-config.ts';
import { openCommandDatabase } from './open-database.ts';

export interface CameraAddOptions {
  store: string;
  name: string;
  host?: string;
  source?: string;
  rtspUrl?: string;
  snapshotUrl?: string;
  onvifPort?: string;
  username?: string;
  tags?: string;
  /** The password, already read from stdin. */
  password?: string;
}

const port = (v: string | undefined, what: string): number | undefined => {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new UsageError(`cameras add: ${what} must be a port number 1..65535`);
  return n;
};

/** Stream settings from the options, checked as the API checks them; throws UsageError with the reason. */
export function streamSettingsOf(o: CameraAddOptions & { host: string }): Record<string, unknown> {
  const portOf = (url: string | undefined): number[] => {
    if (url === undefined) return [];
    try {
      const u = new URL(url);
      return u.port === '' ? [] : [Number(u.port)];
    } catch {
      throw new UsageError(`cameras add: not a URL: ${url.replace(/\/\/[^@/]*@/, '//***@')}`);
    }
  };
  const settings: Record<string, unknown> = {
    ...(o.source === undefined ? {} : { source: o.source }),
    ...(o.rtspUrl === undefined ? {} : { rtspUrl: o.rtspUrl, rtspPorts: [...new Set([554, ...portOf(o.rtspUrl)])] }),
    ...(o.snapshotUrl === undefined ? {} : { snapshotUrl: o.snapshotUrl, snapshotPorts: [...new Set([80, ...portOf(o.snapshotUrl)])] }),
    ...(o.onvifPort === undefined ? {} : { onvifPort: port(o.onvifPort, '--onvif-port') }),
    ...(o.username === undefined ? {} : { username: o.username }),
  };
  try {
    const [checked] = liveConfigFromObject({ cameras: [{ ...settings, id: 'camera', host: o.host }] }).cameras;
    if (checked?.rtspUrl !== undefined) checkCameraUri(checked.rtspUrl, { host: o.host, ports: checked.rtspPorts, schemes: ['rtsp', 'rtsps'] }, 'rtspUrl');
    if (checked?.snapshotUrl !== undefined) checkCameraUri(checked.snapshotUrl, { host: o.host, ports: checked.snapshotPorts, schemes: ['http', 'https'] }, '--snapshot-url');
  } catch (err) {
    throw new UsageError(`cameras add: ${(err as Error).message}`);
  }
  return settings;
}

export async function addCamera(o: CameraAddOptions): Promise<{ id: string; storeId: string; name: string; host: string | null; hasPassword: boolean }> {
  const tags = o.tags === undefined ? [] : o.tags.split(',').map((t) => t.trim()).filter((t) => t !== '');
  const problems = [...Value.Errors(NewCamera, { name: o.name, tags })].map((e) => `${e.path.slice(1) || 'name'}: ${e.message.toLowerCase()}`);
  if (problems.length > 0) throw new UsageError(`cameras add: ${problems.join('; ')} (a name is letters, digits, - and _, as SOP files name cameras)`);
  if (o.host === undefined && (o.rtspUrl !== undefined || o.snapshotUrl !== undefined || o.password !== undefined || o.username !== undefined)) {
    throw new UsageError('cameras add: --host is required with a stream URL, user name or password');
  }
  const settings = o.host === undefined ? undefined : streamSettingsOf({ ...o, host: o.host });
  if (o.host !== undefined) {
    try {
      await checkStreamHost(o.host, outboundPolicies().camera);
    } catch (err) {
      throw new UsageError(`cameras add: ${(err as Error).message} (SOPWATCH_CAMERA_NETWORKS lists the networks cameras may be in)`);
    }
  }
  const db = await openCommandDatabase();
  try {
    const stores = new StoreRepository(db);
    let store = await stores.get(o.store);
    if (store === undefined) {
      const named = (await db.query('SELECT id FROM stores WHERE name = $1', [o.store])).rows.map((r) => r.id as string);
      if (named.length > 1) throw new UsageError(`cameras add: ${named.length} stores are named "${o.store}": give the store's id`);
      store = named[0] === undefined ? undefined : await stores.get(named[0]);
    }
    if (store === undefined) throw new UsageError(`cameras add: no store "${o.store}" (give its id or its exact name)`);
    const cameras = new CameraRepository(db);
    if ((await cameras.list([store.id])).some((c) => c.name === o.name)) throw new UsageError(`cameras add: store "${store.name}" already has a camera named "${o.name}"`);
    const camera = await cameras.create({ storeId: store.id, name: o.name, tags });
    let hasPassword = false;
    if (o.host !== undefined && settings !== undefined) {
      const e = env();
      const sealed = o.password === undefined ? null : (await openSecretBox({ dataDir: e.dataDir, ...(e.secretKey === undefined ? {} : { envKey: e.secretKey }) })).seal(o.password, cameraPasswordContext(camera.id));
      await new LiveCameraRepository(db).setStreamConfig(camera.id, store.id, o.host, settings, { sealed });
      hasPassword = sealed !== null;
    }
    await new AuditRepository(db).append({ actor: 'cli', storeId: store.id, action: 'camera.create', target: camera.id, detail: { name: o.name, host: o.host ?? null, password: hasPassword ? 'set' : 'none' } });
    return { id: camera.id, storeId: store.id, name: camera.name, host: o.host ?? null, hasPassword };
  } finally {
    await db.close();
  }
}
