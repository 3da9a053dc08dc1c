// What recording a camera's main stream for evidence costs: CPU-seconds per camera-minute of the copying ffmpeg
// (utime + stime from /proc/<pid>/stat) and of this process (the RTSP proxy the stream passes through, housekeeping;
// its idle cost measured first and subtracted),
// the bytes held on disk, and the CPU of decoding one keyframe from the recording.
// Run: npx tsx bench/main-recorder.bench.ts [seconds=60] [WxH=1920x1080] [fps=15] [kbps=4000]
// Needs /usr/bin/python3 with GStreamer's RTSP server (the test double); the double's encoder is not counted.
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { outboundPolicies, parseEnv } from '../services/core/env.ts';
import { MainStreamRecorder } from '../services/ingester/main-stream-recorder.ts';
import { RtspServerProcess, rtspServerAvailable } from '../services/simulate/rtsp-server.ts';

const seconds = Number(process.argv[2] ?? 60);
const [width, height] = (process.argv[3] ?? '1920x1080').split('x').map(Number) as [number, number];
const fps = Number(process.argv[4] ?? 15);
const kbps = Number(process.argv[5] ?? 4000);
const TICK_S = 100; // USER_HZ on Linux

/** utime + stime of a process, seconds (children not included). */
function cpuOf(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICK_S;
}

/** utime + stime of this process's waited-for children, seconds. */
function childrenCpu(): number {
  const fields = readFileSync('/proc/self/stat', 'utf8').replace(/^.*\) /, '').split(' ');
  return (Number(fields[13]) + Number(fields[14])) / TICK_S;
}

if (!rtspServerAvailable()) throw new Error('needs /usr/bin/python3 with GStreamer RTSP server (python3-gi, gir1.2-gst-rtsp-server-1.0)');
const server = await RtspServerProcess.start({ mounts: [{ name: 'main' }], width, height, fps, bitrateKbps: kbps });
const dir = await mkdtemp(join(tmpdir(), 'sopwatch-main-bench-'));
const policy = outboundPolicies(parseEnv({ SOPWATCH_CAMERA_NETWORKS: '127.0.0.1/32' })).camera;
const recorder = new MainStreamRecorder({ cameraId: 'bench', url: () => Promise.resolve(server.url('main')), dir: join(dir, 'rec'), windowMs: 30_000, tickMs: Number(process.env.TICK_MS ?? 1000), policy, onProblem: (m) => console.error(m) });
try {
  // This process's own cost with nothing recorded (runtime, timers), subtracted from the proxy's figure below.
  const idle0 = process.cpuUsage();
  const i0 = Date.now();
  while (Date.now() - i0 < 20_000) await new Promise((r) => setTimeout(r, 1000));
  const idle = process.cpuUsage(idle0);
  const idlePerMin = ((idle.user + idle.system) / 1e6) / ((Date.now() - i0) / 60_000);
  await recorder.start();
  // Warm up: connected, first segments written.
  await new Promise((r) => setTimeout(r, 5000));
  const pid = recorder.pid;
  if (pid === undefined) throw new Error(`not recording: ${JSON.stringify(recorder.stats())}`);
  const ffmpeg0 = cpuOf(pid);
  const self0 = process.cpuUsage();
  const t0 = Date.now();
  let maxBytes = 0;
  while (Date.now() - t0 < seconds * 1000) {
    await new Promise((r) => setTimeout(r, 1000));
    maxBytes = Math.max(maxBytes, recorder.stats().bytes);
  }
  const wallMin = (Date.now() - t0) / 60_000;
  if (recorder.pid !== pid) throw new Error('ffmpeg restarted during the measurement');
  const ffmpegCpu = cpuOf(pid) - ffmpeg0;
  const self = process.cpuUsage(self0);
  const selfCpu = (self.user + self.system) / 1e6;
  // One keyframe decoded from the recording, as evidence does (CPU of the finished ffmpeg child).
  const c0 = childrenCpu();
  const picks = [2000, 6000, 12_000];
  let ok = 0;
  for (const ago of picks) if ((await recorder.frameAt(Date.now() - ago)).ok) ok += 1;
  const extractCpu = (childrenCpu() - c0) / picks.length;
  console.log(JSON.stringify({
    stream: `${width}x${height}@${fps} fps, ${kbps} kbit/s H.264`,
    measuredMinutes: Math.round(wallMin * 100) / 100,
    ffmpegCpuSecondsPerCameraMinute: Math.round((ffmpegCpu / wallMin) * 1000) / 1000,
    proxyAndHousekeepingCpuSecondsPerCameraMinute: Math.round((selfCpu / wallMin - idlePerMin) * 1000) / 1000,
    idleProcessCpuSecondsPerMinute: Math.round(idlePerMin * 1000) / 1000,
    maxBytesHeld: maxBytes,
    keyframesDecoded: `${ok}/${picks.length}`,
    cpuSecondsPerKeyframe: Math.round(extractCpu * 1000) / 1000,
  }));
} finally {
  await recorder.stop();
  await server.stop();
  await rm(dir, { recursive: true, force: true });
}
