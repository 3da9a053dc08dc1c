// Does CenterNet at the picture's aspect find what the square letterbox finds? Per frame of the two Intel clips (0.5 fps,
// 768x432), whole and cropped as the frame stage crops regions: same count per label, box overlap, score shift.
// Run: npx tsx bench/centernet-input.bench.ts   (needs ../shared/media/intel_one-by-one-person-detection.mp4 and intel_bottle-detection.mp4)
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { iou } from '../services/detector/geometry.ts';
import { CenterNet, type InputFit, type LabelledBox } from '../services/detector/models/centernet.ts';
import { startBackend } from '../services/detector/tfjs-backend.ts';

const MEDIA = join(import.meta.dirname, '..', '..', 'shared', 'media');
const CLIPS = ['intel_one-by-one-person-detection.mp4', 'intel_bottle-detection.mp4'].map((c) => join(MEDIA, c));
const [WIDTH, HEIGHT] = [768, 432];
/** Crops in pixels of the 768x432 frame: x, y, width, height. */
const CROPS: Array<[string, [number, number, number, number]]> = [
  ['whole frame', [0, 0, WIDTH, HEIGHT]],
  ['left 60 %', [0, 0, 464, HEIGHT]],
  ['centre 4:3', [192, 0, 576, HEIGHT]],
  ['lower half', [0, 216, WIDTH, 216]],
];

async function decode(clip: string): Promise<Buffer[]> {
  const { stdout } = await promisify(execFile)(
    'ffmpeg',
    ['-v', 'error', '-i', clip, '-vf', `fps=0.5,scale=${WIDTH}:${HEIGHT}`, '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'],
    { encoding: 'buffer', maxBuffer: 1 << 30 },
  );
  const size = WIDTH * HEIGHT * 3;
  return Array.from({ length: Math.floor(stdout.length / size) }, (_, i) => stdout.subarray(i * size, (i + 1) * size));
}

const counts = (l: LabelledBox[]): string =>
  [...new Set(l.map((d) => d.label))].sort().map((k) => `${k} x${l.filter((d) => d.label === k).length}`).join(', ');
const listed = (l: LabelledBox[]): string => l.map((d) => `${d.label} ${d.score.toFixed(2)}`).join(', ');
const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);

if (!CLIPS.every((c) => existsSync(c))) {
  console.log(`skipped: the Intel clips are not in ${MEDIA}`);
} else {
  await startBackend('wasm');
  const net = await CenterNet.load();
  const min = { person: net.defaultMinScore('person'), object: net.defaultMinScore('object') };
  const kept = (l: LabelledBox[]): LabelledBox[] => l.filter((d) => d.score >= (d.label === 'person' ? min.person : min.object));
  try {
    for (const clip of CLIPS) {
      const frames = await decode(clip);
      for (const [name, [x, y, w, h]] of CROPS) {
        let sameCounts = 0;
        let matched = 0;
        let total = 0;
        const ious: number[] = [];
        const shifts: number[] = [];
        const differing: string[] = [];
        for (const [i, rgb] of frames.entries()) {
          const image = tf.tidy(() => tf.slice<tf.Rank.R4, tf.Tensor4D>(tf.tensor4d(Float32Array.from(rgb), [1, HEIGHT, WIDTH, 3]), [0, y, x, 0], [1, h, w, 3]));
          const found: Partial<Record<InputFit, LabelledBox[]>> = {};
          try {
            for (const fit of ['square', 'aspect'] as const) found[fit] = kept(await net.detect(image, Math.min(min.person, min.object), fit));
          } finally {
            image.dispose();
          }
          const [square, aspect] = [found.square ?? [], found.aspect ?? []];
          if (counts(square) === counts(aspect)) sameCounts++;
          else differing.push(`  ${i * 2} s: square [${listed(square)}], aspect [${listed(aspect)}]`);
          for (const s of square) {
            total++;
            const best = aspect.filter((a) => a.label === s.label).sort((a, b) => iou(b.box, s.box) - iou(a.box, s.box))[0];
            if (best && iou(best.box, s.box) >= 0.5) {
              matched++;
              ious.push(iou(best.box, s.box));
              shifts.push(best.score - s.score);
            }
          }
        }
        const overlap = matched === 0 ? '' : `, IoU mean ${mean(ious).toFixed(3)} min ${Math.min(...ious).toFixed(3)}; ` +
          `score shift mean ${mean(shifts).toFixed(3)} min ${Math.min(...shifts).toFixed(3)} max ${Math.max(...shifts).toFixed(3)}`;
        console.log(
          `${clip.split('/').pop()} ${name} (${w}x${h}): same count per label on ${sameCounts}/${frames.length} frames; ` +
            `square boxes found again (IoU >= 0.5) ${matched}/${total}${overlap}`,
        );
        for (const d of differing) console.log(d);
      }
    }
  } finally {
    net.dispose();
  }
}
