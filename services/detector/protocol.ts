// Messages between the detector pool (main thread) and its worker threads. Pixels travel as transferred buffers.
import type { Box, Detection, Frame } from '../core/contracts.ts';
import type { BackendChoice, BackendName, DetectorNeeds, MinScores, ModelName } from './types.ts';

/** Given to each worker at start (`workerData`). */
export interface WorkerConfig {
  needs: DetectorNeeds;
  backend: BackendChoice;
  minScore?: number;
  minScores?: Partial<MinScores>;
  maxPersons: number;
}

/** What a worker needs of a frame besides its pixels: its size, and how large the detector may see it. */
export type FrameMeta = Pick<Frame, 'width' | 'height' | 'cropOf' | 'noUpscale'>;

export function frameMeta(frame: Frame): FrameMeta {
  const { width, height, cropOf, noUpscale } = frame;
  return { width, height, ...(cropOf === undefined ? {} : { cropOf }), ...(noUpscale === undefined ? {} : { noUpscale }) };
}

export type ToWorker =
  /**
   * `needs`: run only the models these call for (a view of the pool); absent: all of the worker's. `at`: the pose model
   * alone on these boxes instead (Detector.keypointsAt).
   */
  | { type: 'detect'; id: number; frame: FrameMeta; rgb: ArrayBuffer; needs?: DetectorNeeds; at?: Box[] }
  | { type: 'memory'; id: number }
  | { type: 'close' };

/** An error as it crosses the thread boundary: class name and message (the stack stays in the worker's log). */
export interface WireError {
  name: string;
  message: string;
}

export type FromWorker =
  | { type: 'ready'; backend: BackendName; models: ModelName[]; minScores: MinScores }
  | { type: 'fatal'; error: WireError }
  | { type: 'result'; id: number; items: Detection[]; inferenceMs: number }
  | { type: 'failed'; id: number; error: WireError }
  | { type: 'memory'; id: number; numTensors: number; numBytes: number }
  | { type: 'closed'; numTensors: number };

export function toWire(e: unknown): WireError {
  if (e instanceof Error) return { name: e.name, message: e.message };
  return { name: 'Error', message: String(e) };
}
