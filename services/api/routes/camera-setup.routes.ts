// Setting a camera up from the dashboard: ONVIF discovery for a store (owners and managers, rate-limited, bounded, only
// cameras inside the operator's camera networks listed, none contacted) and "Test connection": one fresh picture through
// the stored settings and sealed password, kept (faces blurred) as the camera's snapshot, or the problem in plain words.
import { join } from 'node:path';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { createFaceFinder, type FaceFinder } from '../../analysis/face-finder.ts';
import { outboundPolicies } from '../../core/env.ts';
import { OutboundRefusedError, resolveChecked } from '../../core/net-policy.ts';
import { openSecretBox, type SecretBox } from '../../core/secrets.ts';
import { CameraStatusRepository } from '../../core/storage/camera-status.repository.ts';
import { LiveCameraRepository, cameraPasswordContext } from '../../core/storage/live-cameras.repository.ts';
import { discoverOnvif, type DiscoveredCamera } from '../../ingester/onvif-discovery.ts';
import { callerOf } from '../access.ts';
import { cameraConfigOf, cleanSnapshot, testConnection } from '../camera-connection.ts';
import { badRequest, conflict, HttpError, notFound } from '../http-errors.ts';
import { CameraParams } from '../schemas/camera.ts';
import { ConnectionTest, DiscoverBody, Discovered } from '../schemas/camera-setup.ts';
import { ErrorBody, errorResponses } from '../schemas/common.ts';
import { StoreParams } from '../schemas/store.ts';

/** Per user: this many discoveries or connection tests within RATE_WINDOW_MS. */
const RATE_MAX = 6;
const RATE_WINDOW_MS = 60_000;
/** A connection test gives up after this long. */
const TEST_TIMEOUT_MS = 12_000;

export async function cameraSetupRoutes(app: FastifyInstance): Promise<void> {
  const { deps, repos } = app.sopwatch;
  const status = new CameraStatusRepository(deps.db);
  const liveCameras = new LiveCameraRepository(deps.db);
  const policy = (): ReturnType<typeof outboundPolicies>['camera'] => app.sopwatch.config.cameraPolicy ?? outboundPolicies().camera;
  let box: Promise<SecretBox> | undefined;
  const secrets = (): Promise<SecretBox> => (box ??= deps.secrets !== undefined ? Promise.resolve(deps.secrets) : openSecretBox({ dataDir: deps.dataDir }));
  let faces: FaceFinder | undefined;
  app.addHook('onClose', async () => faces?.close());

  const recent = new Map<string, number[]>();
  const rateLimit = (userId: string, what: string): void => {
    const now = Date.now();
    const times = (recent.get(userId) ?? []).filter((t) => now - t < RATE_WINDOW_MS);
    if (times.length >= RATE_MAX) {
      const waitS = Math.ceil((RATE_WINDOW_MS - (now - (times[0] ?? now))) / 1000);
      throw new HttpError(429, 'rate_limited', `too many ${what} in a minute: wait ${waitS} s and try again`, { headers: { 'retry-after': String(waitS) } });
    }
    recent.set(userId, [...times, now]);
  };
  // Discovery uses the library's one socket: one at a time per process. Tests of one camera at a time too.
  let discovering = false;
  const testing = new Set<string>();

  app.post<{ Params: StoreParams; Body: DiscoverBody }>('/api/stores/:storeId/cameras/discover', {
    schema: {
      tags: ['cameras'], params: StoreParams, body: DiscoverBody, response: { 200: Discovered, 409: Type.Ref(ErrorBody), 429: Type.Ref(ErrorBody), ...errorResponses },
      summary: 'ONVIF cameras on the server\'s network (WS-Discovery, two probes of at most 3 s): listed when inside the operator\'s camera networks, never contacted',
    },
    // Validation would drop unknown keys silently: a body with anything else is refused before a probe goes out.
    preValidation: async (req) => {
      const body = req.body as Record<string, unknown> | null;
      const unknown = body !== null && typeof body === 'object' && !Array.isArray(body) ? Object.keys(body).filter((k) => k !== 'timeoutMs') : [];
      if (unknown.length > 0) throw badRequest(`unknown setting(s): ${unknown.map((k) => JSON.stringify(k.slice(0, 64))).join(', ')}`);
    },
  }, async (req) => {
    const caller = callerOf(req);
    rateLimit(caller.userId, 'camera searches');
    if (discovering) throw conflict('a camera search is already running: try again in a few seconds');
    discovering = true;
    const began = Date.now();
    let found: DiscoveredCamera[];
    try {
      found = await discoverOnvif({ timeoutMs: req.body.timeoutMs ?? 1500, probes: 2 });
    } finally {
      discovering = false;
    }
    const known = new Map((await repos.cameras.list([req.params.storeId])).flatMap((c) => (c.host === null ? [] : [[c.host, c.name] as const])));
    const cameras = [];
    let outside = 0;
    for (const c of found) {
      if (c.host === undefined || c.port === undefined) continue;
      try {
        await resolveChecked(policy(), c.host);
      } catch (err) {
        if (err instanceof OutboundRefusedError) {
          outside += 1;
          continue;
        }
        throw err;
      }
      cameras.push({ urn: c.urn.slice(0, 300), host: c.host, port: c.port, name: c.name?.slice(0, 200) ?? null, location: c.location?.slice(0, 200) ?? null, hardware: c.hardware?.slice(0, 200) ?? null, knownAs: known.get(c.host) ?? null });
    }
    await repos.audit.append({ actor: caller.userId, storeId: req.params.storeId, action: 'camera.discover', target: req.params.storeId, detail: { listed: cameras.length, outside } });
    return { cameras, outside, ms: Date.now() - began };
  });

  app.post<{ Params: CameraParams }>('/api/stores/:storeId/cameras/:cameraId/test', {
    schema: {
      tags: ['cameras'], params: CameraParams, response: { 200: ConnectionTest, 409: Type.Ref(ErrorBody), 429: Type.Ref(ErrorBody), ...errorResponses },
      summary: 'Connect to the camera with its stored settings and password and take one fresh picture (faces blurred; then GET snapshot.jpg), or say why not',
    },
  }, async (req) => {
    const caller = callerOf(req);
    const row = await liveCameras.camera(req.params.cameraId, req.params.storeId);
    if (row === undefined) throw notFound('camera');
    rateLimit(caller.userId, 'connection tests');
    const began = Date.now();
    const answer = (r: Omit<ConnectionTest, 'ms'>): ConnectionTest => ({ ...r, ms: Date.now() - began });
    if (row.host === null) {
      return answer({ ok: false, problem: 'no_address', message: 'This camera has no address: it takes uploaded clips only. Enter its address to watch it live.', snapshotAt: null, source: null });
    }
    if (testing.has(row.id)) throw conflict('a connection test of this camera is already running');
    testing.add(row.id);
    try {
      const password = row.passwordSealed === null ? undefined : (await secrets()).open(row.passwordSealed, cameraPasswordContext(row.id));
      const result = await testConnection({ cam: cameraConfigOf({ ...row, host: row.host }), password, policy: policy(), timeoutMs: TEST_TIMEOUT_MS });
      const detail = result.ok ? `ok in ${result.ms} ms` : `${result.problem}: ${result.detail}`;
      await repos.audit.append({ actor: caller.userId, storeId: row.storeId, action: 'camera.test', target: row.id, detail: { result: detail.slice(0, 300) } });
      if (!result.ok) {
        req.log.info({ camera: row.id, detail: result.detail }, 'camera connection test failed');
        return answer({ ok: false, problem: result.problem, message: result.message, snapshotAt: null, source: null });
      }
      const rel = ['live', 'snapshots', row.storeId, `${row.id}.jpg`].join('/');
      faces ??= createFaceFinder();
      const clean = await cleanSnapshot(faces, result.jpeg, join(deps.dataDir, rel), row.id);
      if (clean === undefined) {
        return answer({ ok: false, problem: 'faces', message: 'The camera answered, but a face in its picture could not be blurred, so the picture was not kept. Try again when nobody stands close to the camera.', snapshotAt: null, source: result.source });
      }
      const at = new Date();
      await status.wantSnapshot(row.id, row.storeId);
      await status.setSnapshot(row.id, row.storeId, rel, at);
      return answer({ ok: true, problem: null, message: null, snapshotAt: at.toISOString(), source: result.source });
    } finally {
      testing.delete(row.id);
    }
  });
}
