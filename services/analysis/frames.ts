// Reads single frames of a clip at chosen times (keyframes for evidence and for model questions).
import type { Detections, Frame } from '../core/contracts.ts';
import { readClipFrames } from '../ingester/index.ts';

/** The frame at (or just after) `tMs`, decoded again from the clip at up to `maxWidth` pixels wide. */
export async function frameAt(clipPath: string, tMs: number, cameraId: string, maxWidth = 1280): Promise<Frame | undefined> {
  const reader = readClipFrames(clipPath, { fps: 10, cameraId, startMs: Math.max(0, tMs), endMs: Math.max(0, tMs) + 400, maxWidth });
  for await (const frame of reader as AsyncIterable<Frame>) {
    return { ...frame, tMs: Math.max(0, tMs) };
  }
  return undefined;
}

/** The analysed frame's detections nearest to `tMs` (boxes are normalised, so any resolution fits). */
export function nearestDetections(detections: ReadonlyMap<number, Detections>, tMs: number): Detections | undefined {
  let best: Detections | undefined;
  for (const d of detections.values()) {
    if (best === undefined || Math.abs(d.tMs - tMs) < Math.abs(best.tMs - tMs)) best = d;
  }
  return best;
}

/** `n` times spread over [startMs, endMs]: early, middle, late for n = 3. */
export function spreadTimes(startMs: number, endMs: number, n: number): number[] {
  const span = Math.max(0, endMs - startMs);
  if (n <= 1 || span < 1000) return [Math.round(startMs + span / 2)];
  return Array.from({ length: n }, (_, i) => Math.round(startMs + (span * (i + 0.5)) / n));
}
