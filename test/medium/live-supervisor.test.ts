// Camera supervision against a real RTSP server (GStreamer, on 127.0.0.1) and real ffmpeg: a camera killed,
// stalled (SIGSTOP), restarted and flapping is found offline in time, recovers on its own, backs off, and no
// event, health field or error ever carries the password.
import { describe, expect, it, type TestContext } from 'vitest';
import type { CameraEvent } from '../../services/ingester/camera-health.ts';
import { CameraSupervisor, type SupervisorOptions } from '../../services/ingester/camera-supervisor.ts';
import { RtspFrameSource } from '../../services/ingester/rtsp-frame-source.ts';
import { RtspServerProcess, rtspServerAvailable } from '../../services/simulate/rtsp-server.ts';
import { loopback } from '../doubles/outbound.ts';

const PASSWORD = 'S3cr3t:p@ss/9';
const STALL_MS = 2000;
const hasGst = rtspServerAvailable();

/** The servers and supervisors one test started: stopped when that test ends, supervisors first. */
interface Started {
  servers: RtspServerProcess[];
  sups: CameraSupervisor[];
}

/**
 * The tests are mostly wall clock (stall limits, backoffs, restarts: about 3 CPU s in 28 s), each on its own RTSP
 * server and supervisor: they run concurrently (describe.concurrent), and each stops only what it started.
 */
function started(ctx: TestContext): Started {
  const t: Started = { servers: [], sups: [] };
  ctx.onTestFinished(async () => {
    await Promise.all(t.sups.map((s) => s.stop()));
    await Promise.all(t.servers.map((s) => s.stop()));
  });
  return t;
}

interface Watched {
  sup: CameraSupervisor;
  events: CameraEvent[];
  next(type: CameraEvent['type'], timeoutMs: number): Promise<CameraEvent & { seenMs: number }>;
}

async function watched(t: Started, server: RtspServerProcess, o: Partial<SupervisorOptions> & { password?: string } = {}): Promise<Watched> {
  const events: Array<CameraEvent & { seenMs: number }> = [];
  let cursor = 0;
  const waiters: Array<() => void> = [];
  const sup = new CameraSupervisor({
    cameraId: 'bar-1',
    source: new RtspFrameSource({ url: server.url('cam'), username: 'admin', password: o.password ?? PASSWORD, fps: 2, maxWidth: 320, policy: loopback.camera }),
    expectedFps: 2,
    stallMs: STALL_MS,
    startTimeoutMs: 6000,
    backoff: { initialMs: 300, maxMs: 2400, jitter: 0.2 },
    stableMs: 15_000,
    secrets: [PASSWORD],
    onEvent: (e) => {
      events.push({ ...e, seenMs: Date.now() });
      for (const w of waiters.splice(0)) w();
    },
    ...o,
  });
  t.sups.push(sup);
  sup.start();
  // The frames are consumed as an analysis would, so the buffer does not just drop them.
  void (async () => {
    for await (const _ of sup.frames) void _;
  })();
  return {
    sup,
    events,
    async next(type, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const i = events.findIndex((e, k) => k >= cursor && e.type === type);
        if (i >= 0) {
          cursor = i + 1;
          return events[i] as CameraEvent & { seenMs: number };
        }
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`no "${type}" event within ${timeoutMs} ms; events: ${JSON.stringify(events.map((e) => e.type))}`);
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, left);
          waiters.push(() => {
            clearTimeout(t);
            resolve();
          });
        });
      }
    },
  };
}

async function rtspServer(t: Started): Promise<RtspServerProcess> {
  const s = await RtspServerProcess.start({ mounts: [{ name: 'cam' }], fps: 4, width: 320, height: 180, username: 'admin', password: PASSWORD });
  t.servers.push(s);
  return s;
}

function assertNoSecret(w: Watched): void {
  const text = JSON.stringify([w.events, w.sup.health()]);
  expect(text).not.toContain(PASSWORD);
  expect(text).not.toContain(encodeURIComponent(PASSWORD));
}

describe.skipIf(!hasGst).concurrent('camera supervisor on a real RTSP camera (needs /usr/bin/python3 with GStreamer RTSP server)', () => {
  it('finds a killed camera offline at once, and recovers without help when it comes back', async (ctx) => {
    const t = started(ctx);
    const server = await rtspServer(t);
    const w = await watched(t, server);
    await w.next('online', 10_000);
    const killedMs = Date.now();
    await server.kill();
    const offline = await w.next('offline', STALL_MS + 2000);
    expect(offline.seenMs - killedMs).toBeLessThanOrEqual(STALL_MS + 1500);
    expect(w.sup.health().state).not.toBe('online');
    await new Promise((r) => setTimeout(r, 1000));
    const restartedMs = Date.now();
    await server.restart();
    const online = await w.next('online', 12_000);
    expect(online.seenMs).toBeGreaterThan(restartedMs);
    // The span closes with the first frame back, just before the 'online' event.
    const span = w.events.find((e) => e.type === 'not_monitored');
    if (span?.type !== 'not_monitored') throw new Error(`no not_monitored event: ${JSON.stringify(w.events.map((e) => e.type))}`);
    // From the last frame received (frames already on the way may land just after the kill).
    expect(span.span.startMs).toBeLessThanOrEqual(offline.seenMs);
    expect(span.span.startMs).toBeGreaterThanOrEqual(killedMs - 1500);
    expect(span.span.endMs).toBeGreaterThanOrEqual(restartedMs);
    const h = w.sup.health();
    expect(h.state).toBe('online');
    expect(h.reconnectsLastHour).toBeGreaterThanOrEqual(1);
    expect(h.lastError).toBeDefined();
    expect(h.notMonitored).toHaveLength(1);
    assertNoSecret(w);
  });

  it('treats a stalled camera (SIGSTOP: connection open, no data) as offline after the stall limit, then recovers on SIGCONT', async (ctx) => {
    const t = started(ctx);
    const server = await rtspServer(t);
    const w = await watched(t, server);
    await w.next('online', 10_000);
    const stoppedMs = Date.now();
    server.pause();
    const offline = await w.next('offline', STALL_MS + 3000);
    if (offline.type !== 'offline') throw new Error('unreachable');
    expect(offline.kind).toBe('stall');
    expect(offline.seenMs - stoppedMs).toBeGreaterThanOrEqual(STALL_MS - 800);
    expect(offline.seenMs - stoppedMs).toBeLessThanOrEqual(STALL_MS + 1500);
    expect(w.sup.health().stallsLastHour).toBe(1);
    server.resume();
    await w.next('online', 15_000);
    // Right after the gap the rate over the last 10 s is low; the grade recovers as frames flow again.
    const deadline = Date.now() + 10_000;
    while (w.sup.health().grade === 'unusable' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
    expect(['fair', 'poor']).toContain(w.sup.health().grade);
    assertNoSecret(w);
  });

  it('backs off exponentially with jitter while a camera is down, and keeps backing off while it flaps', async (ctx) => {
    const t = started(ctx);
    const server = await rtspServer(t);
    const w = await watched(t, server);
    await w.next('online', 10_000);
    await server.kill();
    await new Promise((r) => setTimeout(r, 5000));
    const backoffs = w.events.filter((e): e is Extract<CameraEvent, { type: 'backoff' }> & { seenMs: number } => e.type === 'backoff');
    // 300, 600, 1200, 2400 ms (+-20 %) plus a connection attempt each: a handful of tries in 5 s, not a tight loop.
    expect(backoffs.length).toBeGreaterThanOrEqual(3);
    expect(backoffs.length).toBeLessThanOrEqual(5);
    for (const b of backoffs) {
      const base = Math.min(2400, 300 * 2 ** (b.attempt - 1));
      expect(b.delayMs).toBeGreaterThanOrEqual(base * 0.8 - 1);
      expect(b.delayMs).toBeLessThanOrEqual(base * 1.2 + 1);
    }
    // The restarts honour the delays: each next attempt starts no earlier than the delay after the last failure.
    const offlines = w.events.filter((e) => e.type === 'offline');
    for (let i = 1; i < offlines.length; i++) {
      const b = backoffs[i - 1];
      if (b === undefined) continue;
      expect((offlines[i] as unknown as { seenMs: number }).seenMs - b.seenMs).toBeGreaterThanOrEqual(b.delayMs - 20);
    }
    // Flap: up just long enough for a frame, then down again. Being online briefly must not reset the backoff.
    await server.restart();
    await w.next('online', 12_000);
    const before = backoffs.at(-1)?.attempt ?? 0;
    await server.kill();
    const after = await w.next('backoff', 8000);
    if (after.type !== 'backoff') throw new Error('unreachable');
    expect(after.attempt).toBeGreaterThan(before);
    assertNoSecret(w);
  });

  it('reports wrong credentials as a redacted error and stays offline', async (ctx) => {
    const t = started(ctx);
    const server = await rtspServer(t);
    const w = await watched(t, server, { password: 'N0t-the-0ne!' });
    const offline = await w.next('offline', 8000);
    if (offline.type !== 'offline') throw new Error('unreachable');
    expect(offline.reason).toMatch(/401|Unauthorized|authori/i);
    expect(offline.reason).not.toContain('N0t-the-0ne!');
    expect(JSON.stringify(w.events)).not.toContain(encodeURIComponent('N0t-the-0ne!'));
    expect(w.sup.health().grade).toBe('unusable');
  });
});
