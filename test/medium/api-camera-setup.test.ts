// Setting a store up through the API (issue 14): a camera added by name, its address and write-only password, a
// connection test against the snapshot double (a fresh, blurred picture or a plain problem), store scoping, and the
// SOP library as a gallery whose filled copy the SOP loader accepts.
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LiveCameraRepository } from '../../services/core/storage/live-cameras.repository.ts';
import { loadSopText } from '../../services/rules/sop-loader.ts';
import { loopback } from '../doubles/outbound.ts';
import { startSnapshotDouble, type SnapshotDouble } from '../doubles/snapshot-server.ts';
import { apiFixture, USERS, type ApiFixture, type Session } from './api-fixture.ts';

const CAM_PASSWORD = 'Sn4p-Secret:pw@1';

let f: ApiFixture;
let manager: Session;
let managerB: Session;
let auditor: Session;
let cam: SnapshotDouble;
const bodies: string[] = [];

async function call(session: Session, method: string, url: string, payload?: unknown): Promise<{ status: number; body: string; json: <T>() => T }> {
  const res = await f.call(session, { method, url, ...(payload === undefined ? {} : { payload }) });
  bodies.push(res.body);
  return { status: res.statusCode, body: res.body, json: <T>() => JSON.parse(res.body) as T };
}

beforeAll(async () => {
  const jpeg = await sharp({ create: { width: 320, height: 180, channels: 3, background: '#5a8' } }).jpeg().toBuffer();
  cam = await startSnapshotDouble({ jpeg: () => jpeg, username: 'admin', password: CAM_PASSWORD });
  // The operator allows this machine's loopback for cameras, as a demo with the simulator would.
  f = await apiFixture({ config: { cameraPolicy: loopback.camera } });
  manager = await f.login(USERS.managerA);
  managerB = await f.login(USERS.managerB);
  auditor = await f.login(USERS.auditorA);
});
afterAll(async () => {
  await f?.close();
  await cam?.stop();
});

describe('a camera added from nothing', () => {
  let cameraId = '';
  const base = (): string => `/api/stores/${f.stores.a1}/cameras/${cameraId}`;

  it('is valid with a name only (uploads only), and its test says it has no address', async () => {
    const created = await call(manager, 'POST', `/api/stores/${f.stores.a1}/cameras`, { name: 'bar-2' });
    expect(created.status, created.body).toBe(201);
    cameraId = created.json<{ id: string }>().id;
    const test = await call(manager, 'POST', `${base()}/test`);
    expect(test.status).toBe(200);
    expect(test.json()).toMatchObject({ ok: false, problem: 'no_address', snapshotAt: null });
  });

  it('takes a fresh picture through the stored address and password, kept as the camera\'s snapshot', async () => {
    const put = await call(manager, 'PUT', `${base()}/stream`, {
      host: '127.0.0.1', source: 'snapshot', snapshotUrl: cam.url, snapshotPorts: [cam.port], username: 'admin', password: CAM_PASSWORD,
    });
    expect(put.status, put.body).toBe(200);
    expect(put.json()).toMatchObject({ hasPassword: true });
    const before = cam.requests;
    const test = await call(manager, 'POST', `${base()}/test`);
    expect(test.status, test.body).toBe(200);
    const r = test.json<{ ok: boolean; snapshotAt: string; source: string }>();
    expect(r).toMatchObject({ ok: true, problem: null });
    expect(Date.now() - Date.parse(r.snapshotAt)).toBeLessThan(60_000);
    expect(cam.requests).toBeGreaterThan(before);
    const snap = await f.call(auditor, { method: 'GET', url: `${base()}/snapshot.jpg` });
    expect(snap.statusCode).toBe(200);
    expect(snap.headers['content-type']).toBe('image/jpeg');
    const meta = await sharp(snap.rawPayload).metadata();
    expect([meta.width, meta.height]).toEqual([320, 180]);
  }, 60_000);

  it('says "wrong password" when the camera refuses it, and "unreachable" when nothing answers', async () => {
    expect((await call(manager, 'PUT', `${base()}/stream`, { host: '127.0.0.1', source: 'snapshot', snapshotUrl: cam.url, snapshotPorts: [cam.port], username: 'admin', password: 'not-it' })).status).toBe(200);
    const wrong = await call(manager, 'POST', `${base()}/test`);
    expect(wrong.json()).toMatchObject({ ok: false, problem: 'wrong_password' });
    expect(wrong.json<{ message: string }>().message).toMatch(/password/);
    const free = await startSnapshotDouble({ jpeg: () => Buffer.alloc(0), username: 'a', password: 'b' });
    const deadUrl = free.url;
    await free.stop();
    expect((await call(manager, 'PUT', `${base()}/stream`, { host: '127.0.0.1', source: 'snapshot', snapshotUrl: deadUrl, snapshotPorts: [free.port] })).status).toBe(200);
    const gone = await call(manager, 'POST', `${base()}/test`);
    expect(gone.json()).toMatchObject({ ok: false, problem: 'unreachable' });
  }, 60_000);

  it('says "not allowed" for an address outside the operator\'s camera networks (saved before the policy changed)', async () => {
    const other = await call(manager, 'POST', `/api/stores/${f.stores.a1}/cameras`, { name: 'yard' });
    const id = other.json<{ id: string }>().id;
    await new LiveCameraRepository(f.db).setStreamConfig(id, f.stores.a1, '169.254.7.7', { source: 'snapshot', snapshotUrl: 'http://169.254.7.7/snap.jpg' });
    const test = await call(manager, 'POST', `/api/stores/${f.stores.a1}/cameras/${id}/test`);
    expect(test.json()).toMatchObject({ ok: false, problem: 'address_not_allowed' });
  });

  it('is out of reach of a manager of another store, and read-only for an auditor', async () => {
    expect((await call(managerB, 'POST', `/api/stores/${f.stores.a1}/cameras`, { name: 'intruder' })).status).toBe(404);
    expect((await call(managerB, 'POST', `${base()}/test`)).status).toBe(404);
    expect((await call(managerB, 'POST', `/api/stores/${f.stores.b}/cameras/${cameraId}/test`)).status).toBe(404);
    expect((await call(managerB, 'POST', `/api/stores/${f.stores.a1}/cameras/discover`, {})).status).toBe(404);
    expect((await call(auditor, 'POST', `${base()}/test`)).status).toBe(403);
    expect((await call(auditor, 'POST', `/api/stores/${f.stores.a1}/cameras/discover`, {})).status).toBe(403);
    expect((await call(auditor, 'POST', `/api/stores/${f.stores.a1}/cameras`, { name: 'aud' })).status).toBe(403);
  });

  it('never returns a password in any answer', () => {
    expect(bodies.length).toBeGreaterThan(10);
    for (const b of bodies) {
      expect(b).not.toContain(CAM_PASSWORD);
      expect(b).not.toContain('not-it');
    }
  });
});

describe('the SOP gallery', () => {
  it('lists the library files with what they check and the values people change', async () => {
    const res = await call(auditor, 'GET', `/api/stores/${f.stores.a1}/sop-gallery`);
    expect(res.status).toBe(200);
    const list = res.json<Array<{ name: string; title: string; explanation: string; camera: string; zones: string[]; rules: Array<{ id: string; severity: string; durations: Record<string, string>; schedule: unknown }> }>>();
    expect(list.map((e) => e.name)).toEqual(expect.arrayContaining(['hand-washing.yaml', 'station-attendance.yaml', 'espresso-bar.yaml']));
    const hand = list.find((e) => e.name === 'hand-washing.yaml');
    expect(hand).toMatchObject({ title: 'Hand washing before prep', camera: 'kitchen-1', zones: ['door', 'sink', 'prep-table'] });
    expect(hand?.explanation.length).toBeGreaterThan(40);
    expect(hand?.rules[0]).toMatchObject({ durations: { min: '20s' }, severity: 'medium' });
    const till = list.find((e) => e.name === 'station-attendance.yaml')?.rules[0];
    expect(till).toMatchObject({ durations: { max_gap: '3m' }, schedule: { days: ['mon', 'tue', 'wed', 'thu', 'fri'], from: '07:00', to: '19:00', tz: 'Europe/London' } });
    expect((await f.call(undefined, { method: 'GET', url: `/api/stores/${f.stores.a1}/sop-gallery` })).statusCode).toBe(401);
  });

  it('fills a copy for a store camera that the SOP loader accepts, comments kept', async () => {
    const res = await call(manager, 'POST', `/api/stores/${f.stores.a1}/sop-gallery/fill`, {
      file: 'station-attendance.yaml',
      camera: 'bar-2',
      rules: {
        'till-weekdays': { severity: 'high', durations: { max_gap: '90s' }, schedule: { days: ['mon', 'tue'], from: '06:30', to: '20:00', tz: 'Asia/Shanghai' } },
        'bar-rush-two-staff': { schedule: null },
      },
    });
    expect(res.status, res.body).toBe(200);
    const { yaml, fileName } = res.json<{ yaml: string; fileName: string }>();
    expect(fileName).toBe('station-attendance.yaml');
    expect(yaml).toContain('# Stations that must be staffed');
    const load = loadSopText(yaml, fileName);
    expect(load.ok, JSON.stringify(load)).toBe(true);
    if (!load.ok) return;
    expect(load.sop.cameras).toEqual(['bar-2']);
    expect(Object.keys(load.sop.zones)).toEqual(['bar-2']);
    const till = load.sop.rules.find((r) => r.id === 'till-weekdays') as unknown as { severity: string; maxGapMs: number; schedule: unknown };
    expect(till.severity).toBe('high');
    expect(yaml).toMatch(/max_gap: 90s/);
    expect(yaml).toMatch(/schedule: \{ days: \[ mon, tue \], from: "?06:30"?, to: "?20:00"?, tz: Asia\/Shanghai \}/);
    expect(yaml.split('bar-rush-two-staff')[1]).not.toMatch(/schedule:/);
  });

  it('refuses a bad duration or an unknown file with a clear 4xx', async () => {
    const fill = `/api/stores/${f.stores.a1}/sop-gallery/fill`;
    const bad = await call(manager, 'POST', fill, { file: 'hand-washing.yaml', rules: { 'wash-long-enough': { durations: { min: 'twenty' } } } });
    expect(bad.status).toBe(400);
    expect((await call(manager, 'POST', fill, { file: 'nope.yaml' })).status).toBe(404);
    expect((await call(manager, 'POST', fill, { file: '../package.json' })).status).toBe(400);
    expect((await call(auditor, 'POST', fill, { file: 'hand-washing.yaml' })).status).toBe(403);
    expect((await call(managerB, 'POST', fill, { file: 'hand-washing.yaml' })).status).toBe(404);
    expect((await call(managerB, 'GET', `/api/stores/${f.stores.a1}/sop-gallery`)).status).toBe(404);
  });
});
