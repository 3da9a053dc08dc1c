// The ONVIF repository against the fake camera on 127.0.0.1: each auth mode, a skewed and a jumping camera clock,
// a hanging call, URIs that point elsewhere (refused), and no password in any error or returned object.
import { afterEach, describe, expect, it } from 'vitest';
import { CameraAuthError, CameraTimeoutError, CameraUriRefusedError } from '../../services/ingester/camera-errors.ts';
import { OnvifRepository, pickLowResProfile } from '../../services/ingester/onvif.repository.ts';
import { startOnvifDouble, type FakeOnvifCamera, type FakeOnvifOptions } from '../doubles/onvif-server.ts';
import { optInLoopback } from '../doubles/outbound.ts';

// The doubles listen on 127.0.0.1: opt in to loopback cameras, webhooks and models as an operator would.
optInLoopback();

const PASSWORD = 'p@ss:w/rd-9Z';
const RTSP_PORT = 8554;
let cams: FakeOnvifCamera[] = [];

async function camera(o: Partial<FakeOnvifOptions> = {}): Promise<FakeOnvifCamera> {
  const cam = await startOnvifDouble({ username: 'admin', password: PASSWORD, streamUri: (t) => `rtsp://127.0.0.1:${RTSP_PORT}/${t}`, ...o });
  cams.push(cam);
  return cam;
}

function repo(cam: FakeOnvifCamera, o: { auth?: 'auto' | 'digest'; password?: string; timeoutMs?: number } = {}): OnvifRepository {
  return new OnvifRepository({ cameraId: 'bar-1', host: '127.0.0.1', port: cam.port, username: 'admin', password: o.password ?? PASSWORD, auth: o.auth ?? 'auto', rtspPorts: [RTSP_PORT], timeoutMs: o.timeoutMs ?? 3000 });
}

afterEach(async () => {
  await Promise.all(cams.map((c) => c.stop()));
  cams = [];
});

describe('ONVIF connect', () => {
  it('connects with WS-Security, picks the low-resolution profile and returns URIs without credentials', async () => {
    const cam = await camera({ auth: 'wsse' });
    const media = await repo(cam).resolveMedia();
    expect(media.profile).toMatchObject({ token: 'profile_sub', width: 320, height: 180, encoding: 'H264' });
    expect(media.rtspUri).toBe(`rtsp://127.0.0.1:${RTSP_PORT}/profile_sub`);
    expect(media.snapshotUri).toBe(`${cam.baseUrl}/snapshot.jpg`);
    expect(cam.calls.filter((c) => c.action !== 'GetSystemDateAndTime').every((c) => c.auth === 'wsse')).toBe(true);
    expect(cam.calls.map((c) => c.action)).toEqual(expect.arrayContaining(['GetSystemDateAndTime', 'GetServices', 'GetProfiles', 'GetVideoSources', 'GetStreamUri', 'GetSnapshotUri']));
    expect(JSON.stringify(media)).not.toContain(PASSWORD);
    expect(JSON.stringify(media)).not.toContain(encodeURIComponent(PASSWORD));
  });

  it('connects to a Digest-only camera, both when WS-Security is tried first and in Digest-only mode', async () => {
    const cam = await camera({ auth: 'digest' });
    for (const auth of ['auto', 'digest'] as const) {
      cam.calls.length = 0;
      const media = await repo(cam, { auth }).resolveMedia();
      expect(media.profile.token).toBe('profile_sub');
      const accepted = cam.calls.filter((c) => c.auth !== 'rejected' && c.action !== 'GetSystemDateAndTime');
      expect(accepted.length).toBeGreaterThan(3);
      expect(accepted.every((c) => c.auth === 'digest')).toBe(true);
    }
  });

  it('refuses a wrong password with a CameraAuthError that does not contain the password', async () => {
    for (const mode of ['wsse', 'digest'] as const) {
      const cam = await camera({ auth: mode });
      const wrong = 'Wr0ng-secret!';
      const err = await repo(cam, { password: wrong }).resolveMedia().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(CameraAuthError);
      expect(String((err as Error).message)).not.toContain(wrong);
      expect(String((err as Error).message)).toContain('bar-1');
    }
  });

  it('authenticates against a camera whose clock is two hours ahead, and reports the skew', async () => {
    const cam = await camera({ auth: 'wsse', clockSkewMs: 2 * 3600_000 });
    const r = repo(cam);
    const media = await r.resolveMedia();
    expect(media.profile.token).toBe('profile_sub');
    expect(Math.abs(media.clockSkewMs - 2 * 3600_000)).toBeLessThan(2000);
  });

  it('rebuilds the Cam when the camera clock jumps after connect (reboot without NTP) and the call then succeeds', async () => {
    const cam = await camera({ auth: 'wsse', clockSkewMs: 2 * 3600_000 });
    const r = repo(cam);
    await r.connect();
    cam.clockSkewMs = 0;
    cam.calls.length = 0;
    const profiles = await r.profiles();
    expect(profiles.map((p) => p.token)).toEqual(['profile_main', 'profile_sub']);
    const actions = cam.calls.map((c) => `${c.action}:${c.auth}`);
    expect(actions[0]).toBe('GetProfiles:rejected');
    expect(actions).toContain('GetSystemDateAndTime:open');
    expect(actions.at(-1)).toBe('GetProfiles:wsse');
    expect(Math.abs(r.clockSkewMs())).toBeLessThan(2000);
  });

  it('falls back to GetCapabilities when a camera has no GetServices', async () => {
    const cam = await camera({ auth: 'wsse' });
    cam.faults.set('GetServices', 'fault');
    const media = await repo(cam).resolveMedia();
    expect(media.profile.token).toBe('profile_sub');
    expect(cam.calls.map((c) => c.action)).toContain('GetCapabilities');
  });

  it('gives up on a call that never answers within its time limit', async () => {
    const cam = await camera({ auth: 'wsse' });
    cam.faults.set('GetProfiles', 'hang');
    const err = await repo(cam, { timeoutMs: 800 }).resolveMedia().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CameraTimeoutError);
    expect((err as Error).message).toMatch(/took longer than 800 ms/);
  });

  it.each([
    ['another host', 'rtsp://10.0.0.5:8554/cafe'],
    ['another port on the same host', 'rtsp://127.0.0.1:6379/cafe'],
    ['a local file', 'file:///etc/passwd'],
    ['an http endpoint of ours', 'http://127.0.0.1:3000/admin'],
    ['a host that only looks the same', 'rtsp://127.0.0.1.evil.example:8554/cafe'],
  ])('refuses a stream URI pointing at %s', async (_what, uri) => {
    const cam = await camera({ auth: 'wsse', streamUri: () => uri });
    const err = await repo(cam).resolveMedia().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CameraUriRefusedError);
    expect((err as Error).message).toMatch(/refused|scheme/);
  });

  it('refuses a snapshot URI on another port, and strips credentials a camera puts into a URI', async () => {
    const other = await camera({ auth: 'wsse', snapshotUri: () => 'http://127.0.0.1:9/snapshot.jpg' });
    await expect(repo(other).resolveMedia()).rejects.toBeInstanceOf(CameraUriRefusedError);
    const leaky = await camera({ auth: 'wsse', streamUri: () => `rtsp://admin:${encodeURIComponent(PASSWORD)}@127.0.0.1:${RTSP_PORT}/sub` });
    const media = await repo(leaky).resolveMedia();
    expect(media.rtspUri).toBe(`rtsp://127.0.0.1:${RTSP_PORT}/sub`);
  });
});

describe('pickLowResProfile', () => {
  it('takes the narrowest stream at least minWidth wide, else the widest', () => {
    const list = [
      { token: 'a', name: 'main', encoding: 'H264', width: 1920 },
      { token: 'b', name: 'sub', encoding: 'H264', width: 640 },
      { token: 'c', name: 'tiny', encoding: 'H264', width: 176 },
      { token: 'd', name: 'jpeg', encoding: 'JPEG', width: 320 },
    ];
    expect(pickLowResProfile(list, 320)?.token).toBe('b');
    expect(pickLowResProfile(list, 4000)?.token).toBe('a');
    expect(pickLowResProfile([], 320)).toBeUndefined();
  });
});
