// The detector stage: frames in, Detections out, with TF.js models from npm run in worker threads off the event loop.
import { env } from '../core/env.ts';
import { UsageError } from '../core/errors.ts';
import { DetectorPool } from './detector-pool.ts';

export { detectorThreadEntry } from './detector-pool.ts';
import { modelsFor } from './needs.ts';
import type { DetectorOptions, MinScores, PooledDetector } from './types.ts';

export type {
  BackendChoice,
  BackendName,
  Detector,
  DetectorNeeds,
  DetectorOptions,
  MinScores,
  ModelName,
  PooledDetector,
  WorkerStats,
} from './types.ts';
export { modelsFor, unionNeeds, withCheckModel } from './needs.ts';
export { DetectionCache, DETECTION_CACHE_FILE, type DetectionCacheOptions, type DetectionCacheStats } from './detection-cache.ts';

const DEFAULT_MAX_PERSONS = 6;
const DEFAULT_FRAME_TIMEOUT_MS = 30_000;
const DEFAULT_START_TIMEOUT_MS = 120_000;

function checkScore(name: string, v: number | undefined): void {
  if (v !== undefined && !(v >= 0 && v <= 1)) throw new UsageError(`detector: ${name} must be between 0 and 1, got ${v}`);
}

function positive(name: string, v: number | undefined, fallback: number): number {
  const n = v ?? fallback;
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`detector: ${name} must be a positive integer, got ${n}`);
  return n;
}

/**
 * Starts `threads` worker threads, each loading the models `needs` call for (and no others), and
 * resolves once all are ready. Frames wait in an unbounded queue for an idle worker: keep about one
 * frame per thread in flight. `detect` copies the pixels once and never detaches the caller's buffer.
 * Call `close()` when done: it ends every thread and frees its tensors.
 */
export async function createDetector(options: DetectorOptions): Promise<PooledDetector> {
  if (modelsFor(options.needs).length === 0) throw new UsageError('detector: the needs ask for nothing (persons, pose, hands, objects, faces are all false)');
  checkScore('minScore', options.minScore);
  for (const [kind, v] of Object.entries(options.minScores ?? {}) as Array<[keyof MinScores, number | undefined]>) checkScore(`minScores.${kind}`, v);
  const config = {
    needs: { ...options.needs },
    backend: options.backend ?? env().tfjsBackend,
    maxPersons: positive('maxPersons', options.maxPersons, DEFAULT_MAX_PERSONS),
    ...(options.minScore === undefined ? {} : { minScore: options.minScore }),
    ...(options.minScores === undefined ? {} : { minScores: { ...options.minScores } }),
  };
  return DetectorPool.start(config, {
    threads: positive('threads', options.threads, env().detectorThreads),
    frameTimeoutMs: positive('frameTimeoutMs', options.frameTimeoutMs, DEFAULT_FRAME_TIMEOUT_MS),
    startTimeoutMs: positive('startTimeoutMs', options.startTimeoutMs, DEFAULT_START_TIMEOUT_MS),
  });
}
