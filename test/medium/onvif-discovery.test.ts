// WS-Discovery, run only inside a throw-away network namespace (`unshare -n`, lo up, multicast routed to lo), so no
// probe ever leaves on a real interface: the camera is found, and found devices are never contacted.
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

// Runs in the namespace: a fake camera (SOAP + discovery responder), then our discovery, then reports what happened.
const CHILD = `
import { startOnvifDouble, startDiscoveryResponder } from './test/doubles/onvif-server.ts';
import { discoverOnvif } from './services/ingester/onvif-discovery.ts';
const cam = await startOnvifDouble({ username: 'admin', password: 'x-secret', streamUri: () => 'rtsp://127.0.0.1:554/a' });
const responder = await startDiscoveryResponder({ xaddrs: [cam.baseUrl + '/onvif/device_service'], name: 'Bar Cam', location: 'espresso bar', urn: 'urn:uuid:cafe-0001' });
const found = await discoverOnvif({ timeoutMs: 700, probes: 2 });
await new Promise((r) => setTimeout(r, 300));
console.log(JSON.stringify({ found, probes: responder.probes, soapCalls: cam.calls.length, port: cam.port }));
await responder.stop();
await cam.stop();
`;

describe.skipIf(!canUnshare())('ONVIF discovery (needs root for unshare -n; skipped otherwise)', () => {
  it('finds the camera in a private namespace and never probes it without credentials', async () => {
    const script = 'ip link set lo up && ip link set lo multicast on && ip route add 224.0.0.0/4 dev lo && exec "$0" --import tsx --input-type=module -e "$1"';
    const child = spawn('/usr/bin/unshare', ['-n', 'sh', '-c', script, process.execPath, CHILD], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
    expect(code, err).toBe(0);
    const report = JSON.parse(out.trim().split('\n').at(-1) ?? '{}') as { found: Array<Record<string, unknown>>; probes: number; soapCalls: number; port: number };
    expect(report.probes).toBe(2);
    expect(report.found).toHaveLength(1);
    expect(report.found[0]).toMatchObject({ urn: 'urn:uuid:cafe-0001', host: '127.0.0.1', port: report.port, name: 'Bar Cam', location: 'espresso bar' });
    expect(report.soapCalls).toBe(0);
  });
});
