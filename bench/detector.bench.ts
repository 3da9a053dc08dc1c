// Detector speed per model set on the real person clip: mean and p95 ms per frame on one thread, then two threads' throughput,
// then CenterNet alone at the square input it was exported for against the picture's aspect (what the detector runs).
// Run: npx tsx bench/detector.bench.ts [frames=40]   (needs ../shared/media/intel_one-by-one-person-detection.mp4)
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import type { Frame } from '../services/core/contracts.ts';
import { createDetector, type DetectorNeeds } from '../services/detector/index.ts';
import { CenterNet, type InputFit } from '../services/detector/models/centernet.ts';
import { startBackend } from '../services/detector/tfjs-backend.ts';

const CLIP = join(import.meta.dirname, '..', '..', 'shared', 'media', 'intel_one-by-one-person-detection.mp4');
const WIDTH = 768;
const HEIGHT = 432;
const N = Number(process.argv[2] ?? 40);

const none: DetectorNeeds = { persons: false, pose: false, hands: false, objects: false, faces: false };
const SETS: Array<[string, DetectorNeeds]> = [
  ['persons (centernet)', { ...none, persons: true }],
  ['persons + objects (centernet)', { ...none, persons: true, objects: true }],
  ['persons + pose (centernet, movenet per person)', { ...none, persons: true, pose: true }],
  ['hands (centernet, movenet wrists)', { ...none, persons: true, hands: true }],
  ['faces (blazeface)', { ...none, faces: true }],
  ['everything', { persons: true, pose: true, hands: true, objects: true, faces: true }],
];

/** N frames spread over the clip (1 per ~3 s): with and without the person, as the clip goes. */
async function decode(): Promise<Frame[]> {
  const { stdout } = await promisify(execFile)(
    'ffmpeg',
    ['-v', 'error', '-i', CLIP, '-vf', `fps=${N}/139`, '-frames:v', String(N), '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'],
    { encoding: 'buffer', maxBuffer: WIDTH * HEIGHT * 3 * (N + 1) },
  );
  const size = WIDTH * HEIGHT * 3;
  return Array.from({ length: Math.floor(stdout.length / size) }, (_, i) => ({
    cameraId: 'bench',
    index: i,
    tMs: i * 1000,
    width: WIDTH,
    height: HEIGHT,
    rgb: stdout.subarray(i * size, (i + 1) * size),
  }));
}

const p95 = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * 0.95))] ?? NaN;
const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

/**
 * CenterNet in this thread, each frame at both inputs (alternating which goes first): wall and CPU ms per call, and
 * whether both find as many persons. CPU time is this process's, the fairer number on a shared machine.
 */
async function inputFits(frames: Frame[]): Promise<void> {
  await startBackend('wasm');
  const net = await CenterNet.load();
  const fits: InputFit[] = ['square', 'aspect'];
  const wall: Record<InputFit, number[]> = { square: [], aspect: [], own: [] };
  const cpu: Record<InputFit, number[]> = { square: [], aspect: [], own: [] };
  const minScore = net.defaultMinScore('person');
  let samePersons = 0;
  try {
    const first = tf.tidy(() => tf.fill<tf.Rank.R4>([1, HEIGHT, WIDTH, 3], 128));
    for (const fit of fits) await net.detect(first, 1, fit);
    first.dispose();
    for (const [i, f] of frames.entries()) {
      const image = tf.tensor4d(Float32Array.from(f.rgb), [1, f.height, f.width, 3]);
      const persons: Partial<Record<InputFit, number>> = {};
      try {
        for (const fit of i % 2 === 0 ? fits : [...fits].reverse()) {
          const [c0, t0] = [process.cpuUsage(), performance.now()];
          const hits = await net.detect(image, minScore, fit);
          wall[fit].push(performance.now() - t0);
          const c = process.cpuUsage(c0);
          cpu[fit].push((c.user + c.system) / 1000);
          persons[fit] = hits.filter((h) => h.label === 'person').length;
        }
      } finally {
        image.dispose();
      }
      if (persons.square === persons.aspect) samePersons++;
    }
  } finally {
    net.dispose();
  }
  for (const fit of fits) {
    console.log(`centernet alone, ${fit === 'square' ? 'square 512x512 (letterbox)' : 'aspect 512x288'.padEnd(26)}  median ${median(wall[fit]).toFixed(0)} ms wall, ${median(cpu[fit]).toFixed(0)} ms CPU per call`);
  }
  console.log(`same number of persons (score >= ${minScore}) at both inputs on ${samePersons}/${frames.length} frames`);
}

if (!existsSync(CLIP)) {
  console.log(`skipped: ${CLIP} is absent`);
} else {
  const frames = await decode();
  console.log(`${frames.length} frames of ${WIDTH}x${HEIGHT}; ms per frame measured in the worker (inferenceMs), after warm-up`);
  for (const [name, needs] of SETS) {
    const startMs = performance.now();
    const detector = await createDetector({ needs, threads: 1 });
    const loadMs = performance.now() - startMs;
    const times: number[] = [];
    let withPerson = 0;
    try {
      for (const f of frames) {
        const d = await detector.detect(f);
        times.push(d.inferenceMs);
        if (d.items.some((i) => i.kind === 'person')) withPerson++;
      }
    } finally {
      await detector.close();
    }
    const persons = needs.persons ? `  frames with a person ${withPerson}/${frames.length}` : '';
    console.log(`${name.padEnd(48)} ${detector.backend}  mean ${mean(times).toFixed(0)} ms  p95 ${p95(times).toFixed(0)} ms  start ${loadMs.toFixed(0)} ms${persons}`);
  }
  for (const threads of [1, 2]) {
    const detector = await createDetector({ needs: { ...none, persons: true, hands: true }, threads });
    try {
      const startMs = performance.now();
      await Promise.all(frames.map((f) => detector.detect(f)));
      const wallMs = performance.now() - startMs;
      console.log(`hands set, ${threads} thread(s), all frames queued at once: ${(wallMs / frames.length).toFixed(0)} ms per frame wall clock (${((1000 * frames.length) / wallMs).toFixed(1)} frames/s)`);
    } finally {
      await detector.close();
    }
  }
  await inputFits(frames);
}
