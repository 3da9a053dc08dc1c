// How many simulated cameras one machine watches at 2 fps with a person-and-zone SOP, and how fast verdicts come.
// Run: npx tsx bench/live.bench.ts [counts=1,2,4,6] [seconds=40] [mode=rtsp|snapshot]
// Each step serves N fake cameras (the demo kitchen loop, 320x180) and watches them with the real detector (2 threads).
// "Sustained" = every camera analysed at >= 90 % of 2 fps, < 5 % of frames dropped, mean frame lag < 1 s.
import { loadavg } from 'node:os';
import { SAMPLE_ZONES } from '../services/demo/index.ts';
import { createDetector, withCheckModel } from '../services/detector/index.ts';
import { liveConfigFromObject } from '../services/live/camera-config.ts';
import { LiveService } from '../services/live/live-service.ts';
import { loadSopText } from '../services/rules/sop-loader.ts';
import { rtspServerAvailable } from '../services/simulate/rtsp-server.ts';
import { startSimulation } from '../services/simulate/simulation.ts';

// The simulated cameras listen on 127.0.0.1, which the server refuses unless the operator lists it.
process.env.SOPWATCH_CAMERA_NETWORKS ??= '127.0.0.1/32';
const counts = (process.argv[2] ?? '1,2,4,6').split(',').map(Number);
const seconds = Number(process.argv[3] ?? 40);
const mode = (process.argv[4] ?? (rtspServerAvailable() ? 'rtsp' : 'snapshot')) as 'rtsp' | 'snapshot';
const FPS = 2;
const FORBID_FOR_MS = 1000;

const poly = (p: readonly (readonly [number, number])[]): string => `[${p.map(([x, y]) => `[${x}, ${y}]`).join(', ')}]`;
const SOP = `id: bench
title: Bench
version: 1
cameras: ['*']
zones:
  '*':
    sink: ${poly(SAMPLE_ZONES.sink)}
    prep: ${poly(SAMPLE_ZONES.prep)}
rules:
  - id: no-prep
    kind: forbidden
    when: { person_in: prep }
    for: ${FORBID_FOR_MS / 1000}s
  - id: wash
    kind: duration
    when: { person_in: sink }
    min: 20s
`;

const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : (s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] as number);
};

const loaded = loadSopText(SOP, 'bench.yaml');
if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
const needs = { persons: true, pose: false, hands: false, objects: false, faces: false };
// As `sopwatch watch` runs it: the pose model too, for the frame stage's checks of persons already found.
const pool = await createDetector({ needs: withCheckModel(needs) });
const detector = pool.view(needs);
console.log(`live bench: ${mode}, ${FPS} fps, 320x180, detector ${detector.backend} x${detector.threads} threads, ${seconds} s per step`);
console.log('cameras | fps out (min/mean) | dropped | mean lag ms | frame->verdict p50/p99 ms | rule-due->verdict p50/p99 ms | verdicts | detector calls/camera-min | load1 | sustained');

for (const n of counts) {
  const sim = await startSimulation({ cameras: n, mode, fps: FPS });
  const config = liveConfigFromObject({
    cameras: sim.cameras.map((c) => ({ id: c.id, host: c.host, onvifPort: c.onvifPort, username: sim.username, source: mode, fps: FPS, maxWidth: 320, ...(sim.rtsp === undefined ? {} : { rtspPorts: [sim.rtsp.port] }) })),
    stallMs: 10_000,
    startTimeoutMs: 15_000,
  });
  const frameToVerdict: number[] = [];
  const dueToVerdict: number[] = [];
  let verdicts = 0;
  let measuring = false;
  const service = new LiveService({
    config,
    sops: [loaded.sop],
    detector,
    passwordOf: () => sim.password,
    sink: (e) => {
      if (!measuring || e.type !== 'verdict' || e.verdict.type !== 'violation') return;
      verdicts += 1;
      frameToVerdict.push(e.emittedMs - e.frameMs);
      const v = e.verdict.violation;
      // A forbidden rule is due once its condition has held for `for`: anything after that is our delay.
      if (v.rule === 'no-prep') dueToVerdict.push(e.emittedMs - (v.startMs + FORBID_FOR_MS));
    },
  });
  await service.start();
  await new Promise((r) => setTimeout(r, 8000));
  const before = new Map(service.stats().map((s) => [s.cameraId, s.frames]));
  const callsBefore = service.stats().reduce((a, s) => a + s.stage.detectorCalls, 0);
  const dropBefore = new Map(service.health().map((h) => [h.cameraId, { dropped: h.dropped, total: h.framesTotal }]));
  measuring = true;
  const began = Date.now();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const wallS = (Date.now() - began) / 1000;
  const stats = service.stats();
  const health = service.health();
  // A camera that never delivered says why (a refused address, a wrong password) instead of a silent 0 fps.
  for (const h of health) if (h.framesTotal === 0 && h.lastError !== undefined) console.error(`${h.cameraId}: ${h.lastError}`);
  const fpsOut = stats.map((s) => (s.frames - (before.get(s.cameraId) ?? 0)) / wallS);
  let dropped = 0;
  let total = 0;
  for (const h of health) {
    const b = dropBefore.get(h.cameraId) ?? { dropped: 0, total: 0 };
    dropped += h.dropped - b.dropped;
    total += h.framesTotal - b.total;
  }
  const calls = stats.reduce((a, s) => a + s.stage.detectorCalls, 0) - callsBefore;
  const callsPerCamMin = (calls / Math.max(1, n)) / (wallS / 60);
  const meanLag = stats.reduce((a, s) => a + s.meanLagMs, 0) / Math.max(1, stats.length);
  const dropShare = total === 0 ? 1 : dropped / total;
  const sustained = fpsOut.length === n && fpsOut.every((f) => f >= 0.9 * FPS) && dropShare < 0.05 && meanLag < 1000;
  const f2 = (x: number): string => (Number.isFinite(x) ? x.toFixed(0) : '-');
  console.log(
    `${String(n).padStart(7)} | ${Math.min(...fpsOut).toFixed(2)}/${(fpsOut.reduce((a, b) => a + b, 0) / Math.max(1, n)).toFixed(2)} | ${(dropShare * 100).toFixed(1)} % | ${meanLag.toFixed(0)} | ` +
      `${f2(pct(frameToVerdict, 50))}/${f2(pct(frameToVerdict, 99))} | ${f2(pct(dueToVerdict, 50))}/${f2(pct(dueToVerdict, 99))} | ${verdicts} | ${callsPerCamMin.toFixed(0)} | ${loadavg()[0]?.toFixed(2)} | ${sustained ? 'yes' : 'NO'}`,
  );
  await service.stop();
  await sim.stop();
}
await pool.close();
