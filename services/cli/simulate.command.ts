// `sopwatch simulate --cameras N`: fake ONVIF cameras on 127.0.0.1 looping the demo kitchen clip, for trying the
// live pipeline without a camera; with --watch, also watches them against the demo SOP in this process.
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { loopbackDemoCameraPolicy } from '../core/env.ts';
import { UsageError } from '../core/errors.ts';
import { SAMPLE_CAMERA_ID, sampleSop } from '../demo/index.ts';
import { liveConfigFromObject } from '../live/camera-config.ts';
import { runLive } from '../live/live-runner.ts';
import { loadSopText } from '../rules/sop-loader.ts';
import { rtspServerAvailable } from '../simulate/rtsp-server.ts';
import { startSimulation, type Simulation } from '../simulate/simulation.ts';

const HELP = `Usage: sopwatch simulate --cameras N [options]

Serves N fake cameras on 127.0.0.1, each an ONVIF device (WS-Security and Digest) whose stream (RTSP, from
Debian's GStreamer RTSP server) or snapshot URL shows the generated demo kitchen clip in a loop.

  --cameras N          how many cameras (1..64)
  --mode rtsp|snapshot rtsp needs python3-gi and gir1.2-gst-rtsp-server-1.0 (default: rtsp when available)
  --fps F              frames per second served (default 2)
  --base-port P        first ONVIF port (default: any free ports)
  --write-config FILE  write a cameras.yaml for them (password in SOPWATCH_SIM_PASSWORD)
  --watch              also watch them live against the demo SOP and print what happens
  --json               with --watch: one JSON event per line
Runs until Ctrl-C.`;

function cameraEntries(sim: Simulation, mode: 'rtsp' | 'snapshot', fps: number): unknown[] {
  return sim.cameras.map((c) => ({
    id: c.id,
    tags: [SAMPLE_CAMERA_ID],
    host: c.host,
    onvifPort: c.onvifPort,
    username: sim.username,
    passwordEnv: 'SOPWATCH_SIM_PASSWORD',
    source: mode,
    fps,
    maxWidth: 640,
    ...(sim.rtsp === undefined ? {} : { rtspPorts: [sim.rtsp.port] }),
  }));
}

export async function run(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      cameras: { type: 'string' },
      mode: { type: 'string' },
      fps: { type: 'string' },
      'base-port': { type: 'string' },
      'write-config': { type: 'string' },
      watch: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  const cameras = Number(values.cameras ?? NaN);
  if (!Number.isInteger(cameras) || cameras < 1 || cameras > 64) throw new UsageError('simulate: --cameras N (1..64) is required');
  const fps = Number(values.fps ?? 2);
  if (!(fps >= 1 && fps <= 5 && Number.isInteger(fps))) throw new UsageError('simulate: --fps must be an integer 1..5');
  const mode = values.mode ?? (rtspServerAvailable() ? 'rtsp' : 'snapshot');
  if (mode !== 'rtsp' && mode !== 'snapshot') throw new UsageError('simulate: --mode must be rtsp or snapshot');
  if (mode === 'rtsp' && !rtspServerAvailable()) throw new UsageError('simulate: --mode rtsp needs /usr/bin/python3 with python3-gi and gir1.2-gst-rtsp-server-1.0 (or use --mode snapshot)');
  const basePort = values['base-port'] === undefined ? 0 : Number(values['base-port']);
  // A made-up password for made-up cameras; it lives in this process and, for other processes, in the environment.
  const password = randomBytes(9).toString('base64url');
  const sim = await startSimulation({ cameras, mode, fps, basePort, password });
  const entries = cameraEntries(sim, mode, fps);
  try {
    for (const c of sim.cameras) process.stderr.write(`simulate: ${c.id}  onvif http://${c.host}:${c.onvifPort}/onvif/device_service  ${c.rtspUri ?? c.snapshotUri}\n`);
    if (values['write-config'] !== undefined) {
      await writeFile(values['write-config'], stringify({ cameras: entries }));
      process.stderr.write(`simulate: wrote ${values['write-config']}; run watchers with SOPWATCH_SIM_PASSWORD=${password} SOPWATCH_CAMERA_NETWORKS=127.0.0.1/32 (the cameras are on loopback)\n`);
    }
    if (values.watch) {
      const loaded = loadSopText(sampleSop(), 'demo-kitchen.yaml');
      if (!loaded.ok) throw new UsageError('simulate: the demo SOP does not load');
      await runLive({ config: liveConfigFromObject({ cameras: entries, stallMs: 10_000, startTimeoutMs: 15_000 }), sops: [loaded.sop], json: values.json, out: process.stdout, passwordOf: () => password, outbound: loopbackDemoCameraPolicy() });
    } else {
      await new Promise<void>((resolve) => {
        process.once('SIGINT', () => resolve());
        process.once('SIGTERM', () => resolve());
      });
    }
  } finally {
    await sim.stop();
  }
  return 0;
}
