// `sopwatch demo --live`: the live path on one simulated snapshot camera (the demo kitchen loop on 127.0.0.1),
// watched by the live pipeline with the demo SOP for a short while; each violation is printed as it arrives.
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Verdict } from '../core/contracts.ts';
import { loopbackDemoCameraPolicy } from '../core/env.ts';
import { SopwatchError } from '../core/errors.ts';
import { modelNeedsFor } from '../analysis/index.ts';
import { SAMPLE_CAMERA_ID, sampleSop } from '../demo/index.ts';
import { createDetector } from '../detector/index.ts';
import { SnapshotFrameSource } from '../ingester/snapshot-frame-source.ts';
import { startCameraWatch, type WatchEvent } from '../live/index.ts';
import { loadSopText } from '../rules/sop-loader.ts';
import { FakeOnvifCamera } from '../simulate/onvif-device.ts';
import { frameAt, loopFrames } from '../simulate/loop-frames.ts';
import { createProgressBar } from './progress.ts';

export interface LiveDemoOptions {
  durationMs: number;
  out: NodeJS.WritableStream;
  err: NodeJS.WriteStream;
}

export interface LiveDemoResult {
  frames: number;
  violations: number;
  reviews: number;
  /** The simulated camera's snapshot URL (closed when this returns). */
  url: string;
}

const FPS = 2;
// The camera starts 20 s into the 40 s loop: the long wash is under way (the watch sees only its end, so it can only
// become a review case), then the person leaves, comes back for a 6.5 s wash (a too_short violation ~30 s in).
const LOOP_OFFSET_MS = 20_000;
const PASSWORD = 'demo-live-password';

function clock(ms: number): string {
  return new Date(ms).toTimeString().slice(0, 8);
}

function describe(verdict: Verdict): string | undefined {
  switch (verdict.type) {
    case 'violation': {
      const v = verdict.violation;
      return `VIOLATION ${v.sop}/${v.rule} (${v.kind}, ${v.severity}) ${clock(v.startMs)}-${clock(v.endMs)}: ${v.message}`;
    }
    case 'needs_review':
      return `needs review ${verdict.item.sop}/${verdict.item.rule} ${clock(verdict.item.startMs)}-${clock(verdict.item.endMs)}: ${verdict.item.reason}`;
    case 'violation_end':
    case 'pending_verify':
    case 'run':
      return undefined;
  }
}

export async function runLiveDemo(o: LiveDemoOptions): Promise<LiveDemoResult> {
  const loaded = loadSopText(sampleSop(), 'hand-wash-demo.yaml');
  if (!loaded.ok) throw new SopwatchError(`demo --live: the demo SOP does not load: ${JSON.stringify(loaded.errors)}`);
  const sops = [loaded.sop];
  o.err.write('demo --live: rendering the camera loop and loading the person detector\n');
  const loop = await loopFrames(join(tmpdir(), 'sopwatch-sim-frames'), { fps: FPS, width: 320, height: 180 });
  const detector = await createDetector({ needs: modelNeedsFor(sops), threads: 1 });
  const origin = Date.now();
  const camera = new FakeOnvifCamera({
    name: SAMPLE_CAMERA_ID, host: '127.0.0.1', port: 0, auth: 'digest', username: 'admin', password: PASSWORD,
    streamUri: () => '',
    snapshot: () => frameAt(loop, Date.now(), origin, LOOP_OFFSET_MS),
  });
  const result: LiveDemoResult = { frames: 0, violations: 0, reviews: 0, url: '' };
  try {
    await camera.start();
    const url = `${camera.baseUrl}/snapshot.jpg`;
    result.url = url;
    o.err.write(`demo --live: simulated camera ${SAMPLE_CAMERA_ID} at ${url} (Digest), watching for ${Math.round(o.durationMs / 1000)} s\n`);
    const bar = createProgressBar('live', o.err);
    bar.update(0, 'waiting for the first frame');
    const print = (line: string): void => {
      // On a terminal the bar owns the current line: clear it before printing above it.
      if (o.err.isTTY === true) o.err.write('\r\x1b[K');
      o.out.write(`${line}\n`);
    };
    const sink = (e: WatchEvent): void => {
      if (e.type === 'offline') print(`${clock(Date.now())} camera offline: ${e.reason}`);
      if (e.type !== 'verdict') return;
      const text = describe(e.verdict);
      if (text === undefined) return;
      if (e.verdict.type === 'violation') result.violations += 1;
      else result.reviews += 1;
      print(`${clock(e.emittedMs)} ${text} [lag from frame ${e.emittedMs - e.frameMs} ms]`);
    };
    const watch = startCameraWatch({
      cameraId: SAMPLE_CAMERA_ID,
      source: new SnapshotFrameSource({ url, username: 'admin', password: PASSWORD, fps: FPS, policy: loopbackDemoCameraPolicy() }),
      expectedFps: FPS, stallMs: 3000, startTimeoutMs: 5000, backoff: { initialMs: 500, maxMs: 2000 },
      sops, detector, evidence: { beforeMs: 3000, afterMs: 2000 }, gapMs: 3000, sink,
    });
    const startMs = Date.now();
    let interrupted = false;
    const onSigint = (): void => {
      interrupted = true;
    };
    process.once('SIGINT', onSigint);
    try {
      while (!interrupted && Date.now() - startMs < o.durationMs) {
        await new Promise((r) => setTimeout(r, 250));
        const s = watch.stats();
        bar.update((Date.now() - startMs) / o.durationMs, `${s.frames} frames, ${result.violations} violation(s), ${result.reviews} review case(s)`);
      }
    } finally {
      process.removeListener('SIGINT', onSigint);
      await watch.stop();
    }
    const stats = watch.stats();
    result.frames = stats.frames;
    bar.done(`${stats.frames} frames, mean analysis lag ${Math.round(stats.meanLagMs)} ms, ${stats.detectErrors} detector errors`);
  } finally {
    await camera.stop();
    await detector.close();
  }
  o.out.write(`live: ${result.frames} frames watched, ${result.violations} violation(s), ${result.reviews} case(s) for review\n`);
  return result;
}
