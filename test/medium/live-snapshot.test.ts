// Snapshot polling against a Digest-protected HTTP double: whole JPEGs only, time limits, refused credentials, and the
// `auto` source falling back from a dead RTSP stream to snapshots under supervision.
import sharp from 'sharp';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CameraSupervisor } from '../../services/ingester/camera-supervisor.ts';
import type { CameraEvent } from '../../services/ingester/camera-health.ts';
import { SnapshotFrameSource } from '../../services/ingester/snapshot-frame-source.ts';
import { liveConfigFromObject } from '../../services/live/camera-config.ts';
import { cameraSourceFactory } from '../../services/live/camera-source.ts';
import { startSnapshotDouble, type SnapshotDouble } from '../doubles/snapshot-server.ts';
import { optInLoopback } from '../doubles/outbound.ts';

// The doubles listen on 127.0.0.1: opt in to loopback cameras, webhooks and models as an operator would.
optInLoopback();

const PASSWORD = 'snap:sh0t@pw';
let jpeg: Buffer;
let doubles: SnapshotDouble[] = [];

beforeAll(async () => {
  jpeg = await sharp({ create: { width: 64, height: 36, channels: 3, background: '#3a6' } }).jpeg().toBuffer();
});

afterEach(async () => {
  await Promise.all(doubles.map((d) => d.stop()));
  doubles = [];
});

async function snapshotCamera(): Promise<SnapshotDouble> {
  const d = await startSnapshotDouble({ jpeg: () => jpeg, username: 'admin', password: PASSWORD });
  doubles.push(d);
  return d;
}

function collect(source: SnapshotFrameSource, ms: number): Promise<{ frames: Buffer[]; reason: string; stopped: boolean }> {
  const frames: Buffer[] = [];
  const session = source.open({ onFrame: (j) => frames.push(j) });
  const timer = setTimeout(() => void session.stop(), ms);
  return session.ended.then((end) => {
    clearTimeout(timer);
    return { frames, ...end };
  });
}

describe('snapshot frame source', () => {
  it('polls at the asked rate with HTTP Digest, reusing the nonce, and hands over whole JPEGs', async () => {
    const cam = await snapshotCamera();
    // Five frames, however long a loaded machine takes for them; the rate is checked from below only (never faster than
    // asked), since a slow machine may poll late but must never poll early.
    const frames: Buffer[] = [];
    const at: number[] = [];
    const session = new SnapshotFrameSource({ url: cam.url, username: 'admin', password: PASSWORD, fps: 4 }).open({
      onFrame: (j) => {
        frames.push(j);
        at.push(performance.now());
        if (frames.length === 5) void session.stop();
      },
    });
    const got = { frames, ...(await session.ended) };
    expect(got.stopped).toBe(true);
    expect(got.frames.length).toBe(5);
    // Three intervals after the first (challenged) frame: 750 ms at 4 fps; polling twice as fast would take 375 ms.
    expect((at[4] as number) - (at[1] as number)).toBeGreaterThan(500);
    expect(got.frames.every((f) => f.equals(jpeg))).toBe(true);
    // One challenge, then every request answered with the same nonce and a counter.
    expect(cam.refused).toBe(1);
  });

  it('ends the session with a redacted reason on wrong credentials, a non-JPEG answer, an error status and a hang', async () => {
    const cam = await snapshotCamera();
    const wrong = await collect(new SnapshotFrameSource({ url: cam.url, username: 'admin', password: 'b@d-pass', fps: 2 }), 3000);
    expect(wrong.stopped).toBe(false);
    expect(wrong.reason).toMatch(/refused the credentials/);
    expect(wrong.reason).not.toContain('b@d-pass');
    const source = new SnapshotFrameSource({ url: cam.url, username: 'admin', password: PASSWORD, fps: 2, timeoutMs: 700 });
    cam.mode = 'not_jpeg';
    expect((await collect(source, 3000)).reason).toMatch(/not a whole JPEG/);
    cam.mode = 'error';
    expect((await collect(source, 3000)).reason).toMatch(/HTTP 500/);
    cam.mode = 'hang';
    // The source gives up by itself (not stopped by this test's 20 s window), after its own 700 ms limit.
    const hung = await collect(source, 20_000);
    expect(hung.stopped).toBe(false);
    expect(hung.reason).toMatch(/no answer within 700 ms/);
  });

  it('auto mode falls back to snapshots when the RTSP stream keeps failing, and the camera comes online', async () => {
    const cam = await snapshotCamera();
    const { cameras } = liveConfigFromObject({
      cameras: [{ id: 'bar-1', host: '127.0.0.1', username: 'admin', rtspUrl: 'rtsp://127.0.0.1:9/none', rtspPorts: [9], snapshotUrl: cam.url, onvifPort: cam.port, fps: 2 }],
    });
    const config = cameras[0];
    if (config === undefined) throw new Error('no camera');
    const events: CameraEvent[] = [];
    const sup = new CameraSupervisor({
      cameraId: 'bar-1',
      source: cameraSourceFactory(config, PASSWORD),
      expectedFps: 2,
      stallMs: 2000,
      startTimeoutMs: 3000,
      backoff: { initialMs: 100, maxMs: 400, jitter: 0 },
      secrets: [PASSWORD],
      onEvent: (e) => events.push(e),
    });
    sup.start();
    try {
      const deadline = Date.now() + 15_000;
      while (!events.some((e) => e.type === 'online') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      const online = events.find((e) => e.type === 'online');
      expect(online, JSON.stringify(events)).toBeDefined();
      if (online?.type !== 'online') throw new Error('unreachable');
      expect(online.source).toMatch(/^snapshot http:\/\/127\.0\.0\.1:\d+\/snapshot\.jpg$/);
      const failures = events.filter((e) => e.type === 'offline');
      expect(failures.length).toBe(3);
      expect(JSON.stringify(events)).not.toContain(PASSWORD);
    } finally {
      await sup.stop();
    }
  });

  it('refuses a configured RTSP URL that points at another host than the camera', async () => {
    const { cameras } = liveConfigFromObject({ cameras: [{ id: 'bar-1', host: '192.168.1.20', rtspUrl: 'rtsp://10.0.0.9/stream', source: 'rtsp' }] });
    const config = cameras[0];
    if (config === undefined) throw new Error('no camera');
    await expect(cameraSourceFactory(config, undefined)()).rejects.toThrow(/another host/);
  });
});
