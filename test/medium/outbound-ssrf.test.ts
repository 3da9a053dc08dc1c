// Server-side request forgery through camera stream settings: a manager aims a camera at a loopback service (a canary
// TCP listener on 127.0.0.1). The API refuses the setting with a 400 that names the rule, and a worker given such a
// setting anyway (an old database row) never connects; with the operator's explicit opt-in, the same row does connect,
// so the canary is known to notice connections.
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CameraRepository } from '../../services/core/storage/cameras.repository.ts';
import { CameraStatusRepository } from '../../services/core/storage/camera-status.repository.ts';
import { LiveCameraRepository } from '../../services/core/storage/live-cameras.repository.ts';
import { startLiveWorker, type LiveWorker } from '../../services/service/live-worker.ts';
import { apiFixture, USERS, type ApiFixture, type Session } from './api-fixture.ts';
import { defaults, loopback } from '../doubles/outbound.ts';

interface Canary {
  port: number;
  /** Connections accepted, and the first bytes each sent. */
  hits: string[];
  close(): Promise<void>;
}

async function canary(): Promise<Canary> {
  const hits: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    const i = hits.push('') - 1;
    socket.on('data', (d: Buffer) => {
      hits[i] = `${hits[i] ?? ''}${d.toString('latin1')}`.slice(0, 200);
    });
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    hits,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

let f: ApiFixture;
let manager: Session;
let trap: Canary;

beforeAll(async () => {
  f = await apiFixture({ config: { cameraPolicy: defaults.camera } });
  manager = await f.login(USERS.managerA);
  trap = await canary();
});

afterAll(async () => {
  await trap?.close();
  await f?.close();
});

const streamUrl = (): string => `/api/stores/${f.stores.a1}/cameras/${f.a1.cameraId}/stream`;

describe('stream settings aimed at the server itself', () => {
  it('are refused with a 400 naming the rule, for every way of spelling loopback and the cloud metadata address', async () => {
    const P = trap.port;
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ host: '127.0.0.1', source: 'rtsp', rtspUrl: `rtsp://127.0.0.1:${P}/x`, rtspPorts: [P], username: 'cam' }, 'loopback'],
      [{ host: 'localhost', source: 'rtsp', rtspUrl: `rtsp://localhost:${P}/x`, rtspPorts: [P] }, 'loopback'],
      [{ host: '::ffff:127.0.0.1', source: 'auto', onvifPort: P }, 'loopback'],
      [{ host: '::ffff:7f00:1', source: 'auto', onvifPort: P }, 'loopback'],
      [{ host: '127.1.2.3', source: 'auto', onvifPort: P }, 'loopback'],
      [{ host: '[::1]', source: 'auto', onvifPort: P }, 'loopback'],
      [{ host: '169.254.169.254', source: 'snapshot', snapshotUrl: 'http://169.254.169.254/latest/meta-data/', snapshotPorts: [80] }, 'link-local'],
      [{ host: '0.0.0.0', source: 'auto', onvifPort: P }, 'unspecified'],
      [{ host: '224.0.0.1', source: 'auto' }, 'multicast'],
      [{ host: '8.8.8.8', source: 'auto' }, 'outside-camera-networks'],
    ];
    for (const [body, rule] of cases) {
      const res = await f.call(manager, { method: 'PUT', url: streamUrl(), payload: body });
      expect(res.statusCode, `${JSON.stringify(body)}: ${res.body}`).toBe(400);
      expect(res.json<{ message: string }>().message, JSON.stringify(body)).toContain(`the rule "${rule}"`);
    }
    // Nothing was saved: the camera still has no host.
    const saved = await f.call(manager, { method: 'GET', url: streamUrl() });
    expect(saved.json<{ host: string | null }>().host).toBeNull();
    // A camera inside the default camera networks is accepted.
    const ok = await f.call(manager, { method: 'PUT', url: streamUrl(), payload: { host: '192.168.1.64', source: 'rtsp', rtspUrl: 'rtsp://192.168.1.64/stream2' } });
    expect(ok.statusCode, ok.body).toBe(200);
    expect(trap.hits).toEqual([]);
  });
});

describe('a worker given a loopback camera anyway (an old database row)', () => {
  let dataDir: string;
  const workers: LiveWorker[] = [];

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'sopwatch-ssrf-'));
  });
  afterEach(async () => {
    await Promise.all(workers.splice(0).map((w) => w.stop()));
  });
  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  async function rows(): Promise<string[]> {
    const P = trap.port;
    const cameras = new CameraRepository(f.db);
    const live = new LiveCameraRepository(f.db);
    const settings: Array<[string, Parameters<LiveCameraRepository['setStreamConfig']>[3]]> = [
      ['ssrf-rtsp', { source: 'rtsp', rtspUrl: `rtsp://127.0.0.1:${P}/x`, rtspPorts: [P], username: 'cam' }],
      ['ssrf-snapshot', { source: 'snapshot', snapshotUrl: `http://127.0.0.1:${P}/any/path`, snapshotPorts: [P] }],
      ['ssrf-onvif', { source: 'auto', onvifPort: P, username: 'cam' }],
    ];
    const ids: string[] = [];
    for (const [name, config] of settings) {
      const existing = (await cameras.list([f.stores.a2])).find((c) => c.name === name);
      const id = existing?.id ?? (await cameras.create({ storeId: f.stores.a2, name })).id;
      await live.setStreamConfig(id, f.stores.a2, '127.0.0.1', config);
      ids.push(id);
    }
    return ids;
  }

  async function offlineReported(ids: string[]): Promise<Array<Record<string, unknown>>> {
    const status = new CameraStatusRepository(f.db);
    const deadline = Date.now() + 15_000;
    for (;;) {
      const rows = (await status.statuses([f.stores.a2])).filter((s) => ids.includes(s.cameraId));
      const done = rows.filter((r) => typeof r.health.lastError === 'string');
      if (done.length === ids.length) return done.map((r) => r.health);
      if (Date.now() > deadline) throw new Error(`no error reported for every camera: ${JSON.stringify(rows)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  it('never connects under the default policy, and reports the refusal', async () => {
    const ids = await rows();
    const w = await startLiveWorker({
      db: f.db, dataDir, outbound: defaults.camera, reportEveryMs: 200, refreshMs: 60_000, onError: () => undefined,
      settings: { stallMs: 1000, startTimeoutMs: 1500, backoffInitialMs: 100, backoffMaxMs: 400 },
    });
    workers.push(w);
    const health = await offlineReported(ids);
    // Several restarts with backoff have happened by now; not one reached the canary.
    await new Promise((r) => setTimeout(r, 2000));
    expect(trap.hits).toEqual([]);
    for (const h of health) expect(String(h.lastError)).toMatch(/loopback/);
    // The API tells a manager what to do, not what the inside network looks like.
    const owner = await f.login(USERS.owner1);
    const res = await f.call(owner, { method: 'GET', url: `/api/stores/${f.stores.a2}/cameras/health` });
    expect(res.statusCode).toBe(200);
    const views = res.json<Array<{ cameraId: string; problem: string | null; lastError: string | null }>>().filter((v) => ids.includes(v.cameraId));
    expect(views.map((v) => v.problem)).toEqual(['address_not_allowed', 'address_not_allowed', 'address_not_allowed']);
    // `source` echoes the manager's own setting; nothing else may show what the network answered.
    const shown = JSON.stringify(res.json<Array<Record<string, unknown>>>().map(({ source: _mine, ...rest }) => rest));
    expect(shown).not.toMatch(/127\.0\.0\.1|ECONNREFUSED|HTTP \d{3}|loopback|:\d{4,5}\b.*refused/);
  });

  it('does connect once the operator lists 127.0.0.1/32 (the canary notices)', async () => {
    const ids = await rows();
    const w = await startLiveWorker({
      db: f.db, dataDir, outbound: loopback.camera, reportEveryMs: 200, refreshMs: 60_000, onError: () => undefined,
      settings: { stallMs: 8000, startTimeoutMs: 8000, backoffInitialMs: 100, backoffMaxMs: 400 },
    });
    workers.push(w);
    const deadline = Date.now() + 20_000;
    const all = (): boolean => ['OPTIONS rtsp://', 'GET /any/path', 'POST /onvif/device_service'].every((p) => trap.hits.some((h) => h.startsWith(p)));
    while (!all() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    const said = trap.hits.join('\n');
    expect(said).toMatch(/^OPTIONS rtsp:\/\/127\.0\.0\.1:\d+\/x RTSP\/1\.0/m);
    expect(said).toMatch(/^GET \/any\/path HTTP\/1\.1/m);
    expect(said).toMatch(/^POST \/onvif\/device_service HTTP\/1\.1/m);
    expect(ids).toHaveLength(3);
  });
});
