// The outbound-connection policy on addresses (every spelling of loopback, link-local, mapped IPv6 forms), its
// settings, and the coarse camera problems the API shows instead of low-level network errors.
import { describe, expect, it } from 'vitest';
import { outboundPolicies, parseEnv } from '../../services/core/env.ts';
import { parseAddress, pinnedLookup, refusal, resolveChecked } from '../../services/core/net-policy.ts';
import { cameraProblem } from '../../services/ingester/camera-problem.ts';

const fresh = outboundPolicies(parseEnv({}));
const optedIn = outboundPolicies(parseEnv({ SOPWATCH_CAMERA_NETWORKS: '127.0.0.1/32', SOPWATCH_OUTBOUND_ALLOW: '127.0.0.1/32' }));
const everything = outboundPolicies(parseEnv({ SOPWATCH_CAMERA_NETWORKS: '0.0.0.0/0,::/0', SOPWATCH_OUTBOUND_ALLOW: '0.0.0.0/0,::/0' }));
const rule = (p: typeof fresh.camera, a: string): string => refusal(p, a)?.rule ?? 'allowed';

describe('outbound policy', () => {
  it('refuses loopback in every spelling, unless the operator lists loopback itself', () => {
    for (const a of ['127.0.0.1', '127.9.9.9', '::1', '::ffff:127.0.0.1', '::ffff:7f00:1', '::127.0.0.1', '64:ff9b::7f00:1', '[::1]']) {
      expect(rule(fresh.camera, a), a).toBe('loopback');
      expect(rule(fresh.service, a), a).toBe('loopback');
      // 0.0.0.0/0 is not an explicit opt-in to loopback.
      expect(rule(everything.camera, a), a).toBe('loopback');
    }
    expect(rule(optedIn.camera, '127.0.0.1')).toBe('allowed');
    expect(rule(optedIn.camera, '::ffff:127.0.0.1')).toBe('allowed');
    expect(rule(optedIn.camera, '127.0.0.2')).toBe('loopback');
  });

  it('never connects to link-local (cloud metadata), unspecified, multicast or broadcast addresses', () => {
    const cases: Array<[string, string]> = [
      ['169.254.169.254', 'link-local'], ['::ffff:169.254.169.254', 'link-local'], ['fe80::1', 'link-local'],
      ['0.0.0.0', 'unspecified'], ['::', 'unspecified'], ['224.0.0.251', 'multicast'], ['ff02::1', 'multicast'], ['255.255.255.255', 'broadcast'],
    ];
    for (const [a, r] of cases) {
      expect(rule(everything.camera, a), a).toBe(r);
      expect(rule(everything.service, a), a).toBe(r);
    }
  });

  it('keeps cameras inside the camera networks and services on public addresses or the listed networks', () => {
    expect(['10.1.2.3', '172.20.0.5', '192.168.1.64', 'fd12::5'].map((a) => rule(fresh.camera, a))).toEqual(['allowed', 'allowed', 'allowed', 'allowed']);
    expect(rule(fresh.camera, '8.8.8.8')).toBe('outside-camera-networks');
    expect(rule(fresh.camera, '172.32.0.1')).toBe('outside-camera-networks');
    expect(rule(fresh.service, '8.8.8.8')).toBe('allowed');
    expect(rule(fresh.service, '2606:4700::1111')).toBe('allowed');
    for (const a of ['10.0.0.5', '192.168.1.1', '100.64.0.1', 'fd00::1']) expect(rule(fresh.service, a), a).toBe('private-not-allowed');
    const lan = outboundPolicies(parseEnv({ SOPWATCH_OUTBOUND_ALLOW: '10.20.0.0/16' }));
    expect(rule(lan.service, '10.20.3.4')).toBe('allowed');
    expect(rule(lan.service, '10.21.3.4')).toBe('private-not-allowed');
  });

  it('validates its settings in the one config place', () => {
    expect(() => parseEnv({ SOPWATCH_CAMERA_NETWORKS: '10.0.0.0/33' })).toThrow(/SOPWATCH_CAMERA_NETWORKS: "10.0.0.0\/33"/);
    expect(() => parseEnv({ SOPWATCH_OUTBOUND_ALLOW: 'example.com' })).toThrow(/SOPWATCH_OUTBOUND_ALLOW/);
    expect(parseEnv({ SOPWATCH_CAMERA_NETWORKS: '10.1.0.0/16, fd00::/8' }).cameraNetworks.map((c) => c.text)).toEqual(['10.1.0.0/16', 'fd00::/8']);
    expect(parseAddress('not-an-ip')).toBeUndefined();
  });

  it('resolves a name once, refuses it by the rule of its address, and pins the connection to the checked address', async () => {
    await expect(resolveChecked(fresh.camera, 'localhost')).rejects.toThrow(/localhost: 127\.0\.0\.1 is a loopback address/);
    const rebinding = async (): Promise<Array<{ address: string; family: number }>> => [{ address: '127.0.0.1', family: 4 }, { address: '10.0.0.9', family: 4 }];
    const checked = await resolveChecked(fresh.camera, 'cam.example', rebinding as never);
    expect(checked).toEqual({ host: 'cam.example', address: '10.0.0.9', family: 4 });
    const answer = await new Promise<unknown>((resolve) => (pinnedLookup(checked) as unknown as (n: string, o: object, cb: (...a: unknown[]) => void) => void)('cam.example', {}, (...a) => resolve(a)));
    expect(answer).toEqual([null, '10.0.0.9', 4]);
  });
});

describe('camera problems', () => {
  it('turns low-level errors into what a manager can act on', () => {
    expect(cameraProblem('snapshot: connect ECONNREFUSED 127.0.0.1:18995')).toBe('unreachable');
    expect(cameraProblem('no first frame within 20000 ms')).toBe('unreachable');
    expect(cameraProblem('snapshot: HTTP 500')).toBe('not_a_camera');
    expect(cameraProblem('snapshot: HTTP 302')).toBe('not_a_camera');
    expect(cameraProblem('snapshot: the answer is not a whole JPEG (text/html, 29 bytes)')).toBe('not_a_camera');
    expect(cameraProblem('snapshot: the camera refused the credentials (HTTP 401)')).toBe('wrong_password');
    expect(cameraProblem('authentication failed: the camera refused the credentials (RTSP 401)')).toBe('wrong_password');
    expect(cameraProblem('cannot open the stream: 127.0.0.1 is a loopback address (this server); refused unless …')).toBe('address_not_allowed');
  });
});
