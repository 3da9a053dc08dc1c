// Live cameras of a store: health as their worker reports it, the newest picture (faces blurred) for the zone editor,
// and how the worker reaches each camera. Every route is scoped to the caller's stores like the others.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { callerOf } from '../access.ts';
import { badRequest, notFound } from '../http-errors.ts';
import { CameraHealth, StreamSettings, StreamSettingsBody } from '../schemas/camera-health.ts';
import { CameraParams } from '../schemas/camera.ts';
import { errorResponses } from '../schemas/common.ts';
import { StoreParams } from '../schemas/store.ts';
import { CameraStatusRepository } from '../../core/storage/camera-status.repository.ts';
import { CameraUnmonitoredRepository } from '../../core/storage/camera-unmonitored.repository.ts';
import { openSecretBox, type SecretBox } from '../../core/secrets.ts';
import { LiveCameraRepository, cameraPasswordContext, type PasswordChange } from '../../core/storage/live-cameras.repository.ts';
import { checkCameraUri } from '../../ingester/camera-uri.ts';
import { liveConfigFromObject } from '../../live/camera-config.ts';
import { healthView } from '../camera-views.ts';
import { checkStreamHost } from '../stream-policy.ts';
import { outboundPolicies } from '../../core/env.ts';

/** Snapshots are written by the worker under this folder of the data directory, and nowhere else is served. */
const SNAPSHOT_DIR = 'live/snapshots/';

export async function cameraHealthRoutes(app: FastifyInstance): Promise<void> {
  const { deps, repos } = app.sopwatch;
  const status = new CameraStatusRepository(deps.db);
  const spans = new CameraUnmonitoredRepository(deps.db);
  const liveCameras = new LiveCameraRepository(deps.db);
  let box: Promise<SecretBox> | undefined;
  const secrets = (): Promise<SecretBox> => (box ??= deps.secrets !== undefined ? Promise.resolve(deps.secrets) : openSecretBox({ dataDir: deps.dataDir }));

  async function healthOf(storeId: string, only?: string): Promise<CameraHealth[]> {
    const cameras = (await repos.cameras.list([storeId])).filter((c) => only === undefined || c.id === only);
    const byCamera = new Map((await status.statuses([storeId])).map((s) => [s.cameraId, s]));
    const recent = await spans.recent([storeId], 500);
    return cameras.map((c) => healthView(c, byCamera.get(c.id), recent.filter((s) => s.cameraId === c.id).slice(0, 10)));
  }

  app.get<{ Params: StoreParams }>('/api/stores/:storeId/cameras/health', {
    schema: { tags: ['cameras'], summary: 'Health of every camera of the store, as its worker last reported it', params: StoreParams, response: { 200: Type.Array(CameraHealth), ...errorResponses } },
  }, async (req) => {
    return healthOf(req.params.storeId);
  });

  app.get<{ Params: CameraParams }>('/api/stores/:storeId/cameras/:cameraId/health', {
    schema: { tags: ['cameras'], summary: 'Health of one camera', params: CameraParams, response: { 200: CameraHealth, ...errorResponses } },
  }, async (req) => {
    const [one] = await healthOf(req.params.storeId, req.params.cameraId);
    if (one === undefined) throw notFound('camera');
    return one;
  });

  app.get<{ Params: CameraParams }>('/api/stores/:storeId/cameras/:cameraId/snapshot.jpg', {
    schema: {
      tags: ['cameras'], params: CameraParams, produces: ['image/jpeg'],
      summary: 'The newest picture of the camera, faces blurred (404 until the worker has one; asking makes it refresh every few seconds)',
    },
  }, async (req, reply) => {
    const camera = await repos.cameras.get(req.params.cameraId, [req.params.storeId]);
    if (!camera) throw notFound('camera');
    await status.wantSnapshot(camera.id, camera.storeId);
    const row = (await status.statuses([camera.storeId])).find((s) => s.cameraId === camera.id);
    const rel = row?.snapshotPath;
    if (rel === undefined || rel === null || !rel.startsWith(SNAPSHOT_DIR) || rel.includes('..')) throw notFound('snapshot');
    const path = join(deps.dataDir, rel);
    const size = await stat(path).then((s) => (s.isFile() ? s.size : -1), () => -1);
    if (size < 0) throw notFound('snapshot');
    return reply
      .header('content-type', 'image/jpeg')
      .header('content-length', String(size))
      .header('cache-control', 'private, no-store')
      .header('x-snapshot-at', row?.snapshotAt?.toISOString() ?? '')
      .send(createReadStream(path));
  });

  app.get<{ Params: CameraParams }>('/api/stores/:storeId/cameras/:cameraId/stream', {
    schema: { tags: ['cameras'], summary: 'How the worker reaches the camera (the password is never returned: hasPassword says whether one is stored)', params: CameraParams, response: { 200: StreamSettings, ...errorResponses } },
  }, async (req) => {
    const found = await liveCameras.streamConfig(req.params.cameraId, req.params.storeId);
    if (!found) throw notFound('camera');
    const { passwordEnv: _dropped, ...config } = found.config;
    return { ...config, host: found.host, hasPassword: found.hasPassword };
  });

  app.put<{ Params: CameraParams; Body: StreamSettingsBody }>('/api/stores/:storeId/cameras/:cameraId/stream', {
    schema: {
      tags: ['cameras'], params: CameraParams, body: StreamSettingsBody, response: { 200: StreamSettings, ...errorResponses },
      summary: 'Set how the worker reaches the camera (a host makes it watched live), with the camera account\'s password (write-only, stored encrypted)',
    },
    // Unknown keys would be dropped silently by validation: a variable name in a body must be refused, loudly.
    preValidation: async (req) => refuseUnknownKeys(req.body, StreamSettingsBody.properties),
  }, async (req) => {
    const caller = callerOf(req);
    const { host, password, ...config } = req.body;
    if (host !== null) {
      let checked;
      try {
        [checked] = liveConfigFromObject({ cameras: [{ ...config, id: 'camera', host }] }).cameras;
      } catch (err) {
        throw badRequest((err as Error).message);
      }
      // A URL given here must point at the camera itself: the worker never fetches anything else.
      try {
        if (checked?.rtspUrl !== undefined) checkCameraUri(checked.rtspUrl, { host, ports: checked.rtspPorts, schemes: ['rtsp', 'rtsps'] }, 'rtspUrl');
        if (checked?.mainRtspUrl !== undefined) checkCameraUri(checked.mainRtspUrl, { host, ports: checked.rtspPorts, schemes: ['rtsp', 'rtsps'] }, 'mainRtspUrl');
        if (checked?.snapshotUrl !== undefined) {
          checkCameraUri(checked.snapshotUrl, { host, ports: checked.snapshotPorts.length > 0 ? checked.snapshotPorts : [checked.onvifPort], schemes: ['http', 'https'] }, 'snapshotUrl');
        }
      } catch (err) {
        throw badRequest((err as Error).message);
      }
      await checkStreamHost(host, app.sopwatch.config.cameraPolicy ?? outboundPolicies().camera);
    }
    const current = await liveCameras.streamConfig(req.params.cameraId, req.params.storeId);
    if (!current) throw notFound('camera');
    // A stored password follows its host only: pointing the camera elsewhere without giving it again drops it, so that
    // nobody can send a password they cannot read to a host of their choosing.
    let change: PasswordChange = 'keep';
    if (password !== undefined) change = { sealed: password === null ? null : (await secrets()).seal(password, cameraPasswordContext(req.params.cameraId)) };
    else if (current.hasPassword && current.host !== host) change = { sealed: null };
    if (!(await liveCameras.setStreamConfig(req.params.cameraId, req.params.storeId, host, config, change))) throw notFound('camera');
    const hasPassword = change === 'keep' ? current.hasPassword : change.sealed !== null;
    const passwordNote = change === 'keep' ? 'kept' : change.sealed === null ? (current.hasPassword ? 'removed' : 'none') : 'set';
    await repos.audit.append({ actor: caller.userId, storeId: req.params.storeId, action: 'camera.stream', target: req.params.cameraId, detail: { host, source: config.source, password: passwordNote } });
    return { ...config, host, hasPassword };
  });
}

/** A 400 naming every key the schema does not know; a variable name where a password belongs gets its own message. */
function refuseUnknownKeys(body: unknown, known: Record<string, unknown>): void {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return;
  const unknown = Object.keys(body).filter((k) => !Object.hasOwn(known, k));
  if (unknown.includes('passwordEnv')) {
    throw badRequest('passwordEnv is refused here: the API never reads the server\'s environment. Send the camera\'s password itself in "password" (stored encrypted, never shown again)');
  }
  if (unknown.length > 0) throw badRequest(`unknown setting(s): ${unknown.map((k) => JSON.stringify(k.slice(0, 64))).join(', ')}`);
}
