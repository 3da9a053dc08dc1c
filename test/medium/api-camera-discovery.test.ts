// "Find cameras on the network" through the API (issue 14), run only inside a throw-away network namespace
// (`unshare -n`, lo up, multicast routed to lo) like onvif-discovery.test.ts, so no probe leaves on a real interface:
// the fake camera is listed when the operator's camera networks include it and hidden (counted) when they do not, no
// found camera is contacted, a manager of another store cannot search this store, and searches are rate-limited.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

function canUnshare(): boolean {
  if (!existsSync('/usr/bin/unshare') || process.getuid?.() !== 0) return false;
  try {
    execFileSync('/usr/bin/unshare', ['-n', 'true'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

// Runs in the namespace: a fake camera with its discovery responder, and the API on PGlite called with inject.
const CHILD = `
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startOnvifDouble, startDiscoveryResponder } from './test/doubles/onvif-server.ts';
import { addUser, buildApp, CSRF_HEADER, SESSION_COOKIE } from './services/api/index.ts';
import { InProcessQueue } from './services/core/queue/index.ts';
import { openDatabase } from './services/core/storage/index.ts';
import { StoreRepository } from './services/core/storage/stores.repository.ts';
import { loopback, defaults } from './test/doubles/outbound.ts';
import { FIXTURE_HASHING } from './test/fixtures/accounts.ts';
const cam = await startOnvifDouble({ username: 'admin', password: 'x-secret', streamUri: () => 'rtsp://127.0.0.1:554/a' });
const responder = await startDiscoveryResponder({ xaddrs: [cam.baseUrl + '/onvif/device_service'], name: 'Bar Cam', location: 'espresso bar', urn: 'urn:uuid:cafe-0002' });
const db = await openDatabase({ memory: true });
const stores = new StoreRepository(db);
const a = await stores.create({ name: 'A', franchise: 'F1' });
const b = await stores.create({ name: 'B', franchise: 'F2' });
const PW = 'correct horse battery staple';
await addUser(db, { email: 'm@a.test', role: 'manager', stores: [a.id], password: PW, hashing: FIXTURE_HASHING });
await addUser(db, { email: 'm@b.test', role: 'manager', stores: [b.id], password: PW, hashing: FIXTURE_HASHING });
const out = {};
for (const [label, policy] of [['loopback', loopback.camera], ['defaults', defaults.camera]]) {
  const app = buildApp({ db, queue: new InProcessQueue(), dataDir: await mkdtemp(join(tmpdir(), 'sw-disc-')), config: { cameraPolicy: policy } });
  await app.ready();
  const login = async (email) => {
    const r = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { email, password: PW } });
    return { cookie: SESSION_COOKIE + '=' + r.cookies.find((c) => c.name === SESSION_COOKIE).value, [CSRF_HEADER]: r.json().csrfToken };
  };
  const ma = await login('m@a.test');
  const mb = await login('m@b.test');
  const find = (h, store) => app.inject({ method: 'POST', url: '/api/stores/' + store + '/cameras/discover', payload: { timeoutMs: 300 }, headers: h });
  const first = await find(ma, a.id);
  const foreign = await find(mb, a.id);
  const statuses = [first.statusCode];
  if (label === 'loopback') for (let i = 0; i < 6; i++) statuses.push((await find(ma, a.id)).statusCode);
  out[label] = { first: first.json(), foreign: foreign.statusCode, statuses };
  await app.close();
}
await new Promise((r) => setTimeout(r, 300));
console.log(JSON.stringify({ ...out, soapCalls: cam.calls.length, port: cam.port, probes: responder.probes }));
await responder.stop();
await cam.stop();
await db.close();
process.exit(0);
`;

describe.skipIf(!canUnshare())('camera discovery through the API (needs root for unshare -n; skipped otherwise)', () => {
  it('lists the camera inside the allowed networks, hides it outside them, never contacts it, stays in the store, is rate-limited', async () => {
    const script = 'ip link set lo up && ip link set lo multicast on && ip route add 224.0.0.0/4 dev lo && exec "$0" --import tsx --input-type=module -e "$1"';
    const child = spawn('/usr/bin/unshare', ['-n', 'sh', '-c', script, process.execPath, CHILD], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
    expect(code, err).toBe(0);
    type Answer = { first: { cameras: Array<Record<string, unknown>>; outside: number; ms: number }; foreign: number; statuses: number[] };
    const report = JSON.parse(out.trim().split('\n').at(-1) ?? '{}') as { loopback: Answer; defaults: Answer; soapCalls: number; port: number; probes: number };
    expect(report.loopback.first.cameras).toEqual([
      { urn: 'urn:uuid:cafe-0002', host: '127.0.0.1', port: report.port, name: 'Bar Cam', location: 'espresso bar', hardware: null, knownAs: null },
    ]);
    expect(report.loopback.first.outside).toBe(0);
    // Two probes of 0.3 s: bounded time.
    expect(report.loopback.first.ms).toBeLessThan(2500);
    // The default camera networks do not include loopback: the camera answered but is not offered.
    expect(report.defaults.first.cameras).toEqual([]);
    expect(report.defaults.first.outside).toBe(1);
    expect(report.loopback.foreign).toBe(404);
    // Six searches a minute per person, then 429.
    expect(report.loopback.statuses).toEqual([200, 200, 200, 200, 200, 200, 429]);
    expect(report.probes).toBeGreaterThanOrEqual(2);
    expect(report.soapCalls).toBe(0);
  }, 60_000);
});
