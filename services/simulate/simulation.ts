// N fake cameras on 127.0.0.1: each an ONVIF device (its own port) whose stream is a mount of one GStreamer RTSP
// server, or whose snapshot URL serves the loop; all show the demo kitchen clip, each at its own point in the loop.
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { UsageError } from '../core/errors.ts';
import { frameAt, loopFrames, type LoopFrames } from './loop-frames.ts';
import { FakeOnvifCamera, type FakeAuth } from './onvif-device.ts';
import { RtspServerProcess } from './rtsp-server.ts';

export interface SimulationOptions {
  cameras: number;
  /** rtsp: ONVIF + RTSP (needs the GStreamer packages); snapshot: ONVIF + snapshot URL only. Default rtsp. */
  mode?: 'rtsp' | 'snapshot';
  fps?: number;
  width?: number;
  height?: number;
  username?: string;
  password?: string;
  auth?: FakeAuth;
  /** Where the loop's JPEGs are cached. Default $TMPDIR/sopwatch-sim-frames. */
  framesDir?: string;
  /** First ONVIF port; the others follow. 0 = any free ports. */
  basePort?: number;
  rtspPort?: number;
  /** Camera ids are `<prefix>1`, `<prefix>2`, ... Default `sim-`. */
  idPrefix?: string;
}

export interface SimulatedCamera {
  id: string;
  host: string;
  onvifPort: number;
  /** What the camera's GetStreamUri answers (no credentials), when it streams. */
  rtspUri?: string;
  snapshotUri: string;
  device: FakeOnvifCamera;
}

export interface Simulation {
  cameras: SimulatedCamera[];
  rtsp?: RtspServerProcess;
  loop: LoopFrames;
  username: string;
  password: string;
  stop(): Promise<void>;
}

export async function startSimulation(o: SimulationOptions): Promise<Simulation> {
  if (!Number.isInteger(o.cameras) || o.cameras < 1 || o.cameras > 64) throw new UsageError(`simulate: --cameras must be 1..64, got ${o.cameras}`);
  const mode = o.mode ?? 'rtsp';
  const username = o.username ?? 'admin';
  const password = o.password ?? 'sim-password';
  const loop = await loopFrames(o.framesDir ?? join(tmpdir(), 'sopwatch-sim-frames'), { fps: o.fps ?? 5, width: o.width ?? 320, height: o.height ?? 180 });
  const prefix = o.idPrefix ?? 'sim-';
  const ids = Array.from({ length: o.cameras }, (_, i) => `${prefix}${i + 1}`);
  // Cameras start at different points of the loop, so they do not all see the same moment at once.
  const offsetOf = (i: number): number => Math.round((i * loop.durationMs) / o.cameras);
  const origin = Date.now();
  let rtsp: RtspServerProcess | undefined;
  const cameras: SimulatedCamera[] = [];
  try {
    if (mode === 'rtsp') {
      rtsp = await RtspServerProcess.start({
        mounts: ids.map((name, i) => ({ name, offsetMs: offsetOf(i) })),
        framesDir: loop.dir,
        fps: loop.fps,
        port: o.rtspPort ?? 0,
        username,
        password,
      });
    }
    for (const [i, id] of ids.entries()) {
      const server = rtsp;
      const device = new FakeOnvifCamera({
        name: id,
        port: o.basePort === undefined || o.basePort === 0 ? 0 : o.basePort + i,
        auth: o.auth ?? 'any',
        username,
        password,
        streamUri: () => (server === undefined ? '' : server.url(id)),
        snapshot: () => frameAt(loop, Date.now(), origin, offsetOf(i)),
      });
      await device.start();
      const cam: SimulatedCamera = { id, host: '127.0.0.1', onvifPort: device.port, snapshotUri: `${device.baseUrl}/snapshot.jpg`, device };
      if (server !== undefined) cam.rtspUri = server.url(id);
      cameras.push(cam);
    }
  } catch (err) {
    await Promise.all(cameras.map((c) => c.device.stop()));
    await rtsp?.stop();
    throw err;
  }
  const sim: Simulation = {
    cameras,
    loop,
    username,
    password,
    stop: async () => {
      await Promise.all(cameras.map((c) => c.device.stop()));
      await rtsp?.stop();
    },
  };
  if (rtsp !== undefined) sim.rtsp = rtsp;
  return sim;
}

/** Removes the cached loop frames. */
export async function removeLoopCache(dir = join(tmpdir(), 'sopwatch-sim-frames')): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}
