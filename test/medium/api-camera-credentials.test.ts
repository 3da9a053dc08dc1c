// Camera credentials through the API (issue 10): a body naming an environment variable is refused; the password is
// write-only, stored sealed, and appears in no API answer, error body, audit row, server log line, store export or
// /metrics output.
import { PassThrough } from 'node:stream';
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSecretBox } from '../../services/core/secrets.ts';
import { AuditRepository } from '../../services/core/storage/index.ts';
import { LiveCameraRepository, cameraPasswordContext } from '../../services/core/storage/live-cameras.repository.ts';
import { exportStore } from '../../services/privacy/index.ts';
import { apiFixture, USERS, type ApiFixture, type Session } from './api-fixture.ts';

const PASSWORD = 'Cam-Pa55:word/with@odd#chars';
const NEW_PASSWORD = 'second-Secret-9931';
const METRICS = 'metrics-token-for-creds-test';

let f: ApiFixture;
let manager: Session;
let owner: Session;
let auditor: Session;
const log: string[] = [];
const bodies: string[] = [];

const streamUrl = (): string => `/api/stores/${f.stores.a1}/cameras/${f.a1.cameraId}/stream`;
const settings = { host: '10.1.2.3', source: 'rtsp', rtspUrl: 'rtsp://10.1.2.3:554/sub', username: 'viewer' };

async function put(session: Session, body: unknown): Promise<{ status: number; json: Record<string, unknown>; body: string }> {
  const res = await f.call(session, { method: 'PUT', url: streamUrl(), payload: body });
  bodies.push(res.body);
  return { status: res.statusCode, json: res.statusCode < 300 ? res.json<Record<string, unknown>>() : {}, body: res.body };
}

beforeAll(async () => {
  const stream = new PassThrough();
  stream.on('data', (chunk: Buffer) => log.push(chunk.toString('utf8')));
  // The most talkative level: whatever the server would ever log about a request is captured.
  f = await apiFixture({ config: { metricsToken: METRICS }, logger: { level: 'trace', stream } });
  manager = await f.login(USERS.managerA);
  owner = await f.login(USERS.owner1);
  auditor = await f.login(USERS.auditorA);
});
afterAll(async () => f?.close());

describe('stream settings with credentials', () => {
  it('refuses a body that names an environment variable as the password (the critical hole of issue 10)', async () => {
    const res = await put(manager, { ...settings, passwordEnv: 'SOPWATCH_METRICS_TOKEN' });
    expect(res.status).toBe(400);
    expect(res.body).toMatch(/passwordEnv is refused/);
    // Nothing was stored: the camera is still not watched.
    expect((await new LiveCameraRepository(f.db).streamConfig(f.a1.cameraId, f.stores.a1))?.host).toBeNull();
    // Other unknown keys are refused too, never dropped silently.
    const unknown = await put(manager, { ...settings, apiKeyEnv: 'X' });
    expect(unknown.status).toBe(400);
    expect((JSON.parse(unknown.body) as { message: string }).message).toBe('unknown setting(s): "apiKeyEnv"');
  });

  it('stores a manager\'s password sealed and answers hasPassword only', async () => {
    const res = await put(manager, { ...settings, password: PASSWORD });
    expect(res.status, res.body).toBe(200);
    expect(res.json).toMatchObject({ host: '10.1.2.3', username: 'viewer', hasPassword: true });
    expect(res.json).not.toHaveProperty('password');
    const got = await f.call(auditor, { method: 'GET', url: streamUrl() });
    bodies.push(got.body);
    expect(got.json()).toMatchObject({ hasPassword: true, username: 'viewer' });
    // At rest: sealed under the data directory's key, bound to this camera, not the password in any form.
    const [row] = (await new LiveCameraRepository(f.db).cameras()).filter((c) => c.id === f.a1.cameraId);
    const sealed = row?.passwordSealed ?? '';
    expect(sealed).toMatch(/^v1\.[0-9a-f]{8}\./);
    expect(sealed).not.toContain(PASSWORD);
    expect(sealed).not.toContain(Buffer.from(PASSWORD).toString('base64'));
    const box = await openSecretBox({ dataDir: f.dataDir });
    expect(box.open(sealed, cameraPasswordContext(f.a1.cameraId))).toBe(PASSWORD);
    const raw = await f.db.query('SELECT config::text AS c FROM cameras WHERE id = $1', [f.a1.cameraId]);
    expect(String(raw.rows[0]?.c)).not.toContain(PASSWORD);
  });

  it('keeps the password while the host stays, replaces it, and drops it when the host changes without it', async () => {
    expect((await put(owner, { ...settings, fps: 1 })).json).toMatchObject({ hasPassword: true, fps: 1 });
    expect((await put(owner, { ...settings, password: NEW_PASSWORD })).json).toMatchObject({ hasPassword: true });
    const moved = await put(manager, { ...settings, host: '10.9.9.9', rtspUrl: 'rtsp://10.9.9.9:554/sub' });
    expect(moved.json).toMatchObject({ host: '10.9.9.9', hasPassword: false });
    expect((await put(manager, { ...settings, password: PASSWORD })).json).toMatchObject({ hasPassword: true });
    expect((await put(manager, { ...settings, password: null })).json).toMatchObject({ hasPassword: false });
    expect((await put(manager, { ...settings, password: PASSWORD })).json).toMatchObject({ hasPassword: true });
  });

  it('refuses bad passwords and bad settings without repeating the password', async () => {
    for (const body of [
      { ...settings, password: `${PASSWORD}\r\nX-Injected: 1` },
      { ...settings, password: 'x'.repeat(257) },
      { ...settings, password: PASSWORD, fps: 99 },
      { ...settings, password: PASSWORD, rtspUrl: 'rtsp://10.66.6.6:554/x' },
      { ...settings, password: PASSWORD, mainRtspUrl: 'rtsp://10.66.6.6:554/main' },
      { ...settings, password: PASSWORD, mainRtspUrl: 'rtsp://10.1.2.3:8554/main' },
      { ...settings, password: PASSWORD, evidenceStream: 'main' },
      { ...settings, password: PASSWORD, username: 'a:b' },
      { ...settings, password: PASSWORD, host: 'user:pw@10.1.2.3' },
    ]) {
      const res = await put(manager, body);
      expect(res.status, res.body).toBe(400);
      expect(res.body).not.toContain(PASSWORD);
    }
    expect((await put(auditor, { ...settings, password: PASSWORD })).status).toBe(403);
  });

  it('the password appears in no answer, error body, audit row, log line, store export or /metrics', async () => {
    const metrics = await f.call(undefined, { method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${METRICS}` } });
    expect(metrics.statusCode).toBe(200);
    bodies.push(metrics.body);
    for (const url of [streamUrl(), `/api/stores/${f.stores.a1}/cameras`, `/api/stores/${f.stores.a1}/cameras/health`, '/api/docs/json']) {
      const res = await f.call(owner, { method: 'GET', url });
      expect(res.statusCode, url).toBe(200);
      bodies.push(res.body);
    }
    const audit = await new AuditRepository(f.db).list([f.stores.a1]);
    const streamAudit = audit.filter((a) => a.action === 'camera.stream');
    expect(streamAudit.length).toBeGreaterThanOrEqual(6);
    expect(streamAudit.map((a) => (a.detail as { password?: string }).password)).toEqual(expect.arrayContaining(['set', 'kept', 'removed']));
    const outDir = join(f.dataDir, 'export-out');
    await exportStore({ db: f.db, dataDir: f.dataDir }, { storeId: f.stores.a1, outDir, actor: 'test' });
    const exported: string[] = [];
    for (const name of await readdir(outDir, { recursive: true })) {
      const text = await readFile(join(outDir, name)).then((b) => b.toString('latin1'), () => '');
      exported.push(text);
    }
    await rm(outDir, { recursive: true, force: true });
    expect(exported.join('').length).toBeGreaterThan(100);
    expect(log.join('').length).toBeGreaterThan(1000);
    const places: Array<[string, string]> = [
      ['API answers and error bodies', bodies.join('\n')],
      ['audit rows', JSON.stringify(audit)],
      ['server log', log.join('')],
      ['store export', exported.join('\n')],
    ];
    for (const [where, text] of places) {
      for (const secret of [PASSWORD, NEW_PASSWORD, encodeURIComponent(PASSWORD), Buffer.from(PASSWORD).toString('base64')]) {
        expect(text.includes(secret), `${where} holds the camera password`).toBe(false);
      }
    }
  });
});
