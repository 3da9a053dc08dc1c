// The detector's public types: what the caller asks for, and what it gets back.
import type { Box, Detections, Frame } from '../core/contracts.ts';

/** Which kinds of thing to look for; only the models these need are loaded and run. */
export interface DetectorNeeds {
  /** Person boxes (several per frame). */
  persons: boolean;
  /** Pose keypoints on every person; implies person boxes in the output. */
  pose: boolean;
  /** Hand boxes, made from the pose model's wrists (the pose model runs, keypoints are not output unless `pose`). */
  hands: boolean;
  /** COCO objects other than persons. */
  objects: boolean;
  /**
   * With `objects`: the labels of the objects wanted (COCO names); only these are reported, and CenterNet's class layer
   * runs for them (and persons) alone. Absent: every label.
   */
  labels?: readonly string[];
  /** Face boxes, for blurring only. */
  faces: boolean;
}

export type BackendChoice = 'auto' | 'wasm' | 'node' | 'cpu';
/** The TF.js backend that actually runs: `node` is `@tensorflow/tfjs-node`. */
export type BackendName = 'wasm' | 'node' | 'cpu';
export type ModelName = 'centernet' | 'movenet-lightning' | 'blazeface';

/** Lowest score kept, per kind of detection (0..1). */
export interface MinScores {
  person: number;
  object: number;
  face: number;
  /** A wrist keypoint's score needed to report a hand there. */
  hand: number;
}

export interface DetectorOptions {
  needs: DetectorNeeds;
  /** Worker threads, one model set each; default `env().detectorThreads`. */
  threads?: number;
  /** Default `env().tfjsBackend`: `auto` tries tfjs-node, then wasm, then cpu. */
  backend?: BackendChoice;
  /** One lowest score for every kind; `minScores` wins per kind; defaults come from the model manifests. */
  minScore?: number;
  minScores?: Partial<MinScores>;
  /** Persons (highest scores first) the pose model runs on per frame; default 6. */
  maxPersons?: number;
  /** A frame not answered within this is failed and its worker restarted; default 30 000. */
  frameTimeoutMs?: number;
  /** Loading the models in a worker may take this long; default 120 000. */
  startTimeoutMs?: number;
}

export interface Detector {
  readonly backend: string;
  readonly threads: number;
  detect(frame: Frame): Promise<Detections>;
  /**
   * The pose model alone on each of `boxes` (normalised to the frame): one person item per box, in order, with that box,
   * its 17 keypoints and their mean score. Much cheaper than `detect` (no person detector runs): the frame stage uses it
   * to check that persons already found are still where they were. Present only where the pose model is loaded;
   * resolves to undefined when it cannot answer after all (the caller then detects the frame).
   */
  keypointsAt?(frame: Frame, boxes: readonly Box[]): Promise<Detections | undefined>;
  close(): Promise<void>;
}

export interface WorkerStats {
  worker: number;
  /** Frames this worker slot answered (across restarts). */
  frames: number;
  /** Live TF.js tensors and their bytes in the worker: flat from frame to frame unless something leaks. */
  numTensors: number;
  numBytes: number;
}

/** The detector `createDetector` returns: a pool of worker threads, with what tests and status pages need. */
export interface PooledDetector extends Detector {
  readonly backend: BackendName;
  /** Models loaded in every worker, in load order. */
  readonly models: readonly ModelName[];
  /** Per running worker: frames answered and live tensors (to check that nothing leaks). */
  stats(): Promise<WorkerStats[]>;
  /** Kills one worker as a crash would; its frame fails with a DetectorError and a new worker takes its place. */
  terminateWorker(index: number): Promise<void>;
  /** Worker threads currently running. */
  liveThreads(): number;
  /** Detector.keypointsAt, on every pool: resolves to undefined when its workers have no pose model. */
  keypointsAt(frame: Frame, boxes: readonly Box[]): Promise<Detections | undefined>;
  /**
   * A detector on the same threads that runs only the models `needs` call for, which must be among those loaded (a
   * UsageError otherwise): one pool serves the rules and the face finder without loading a model twice. Its frames
   * share the pool's queue; closing the view does nothing (the pool's owner closes the pool). `first`: its frames go
   * to a thread before those of views without it (the face finder's: evidence, which the analysis's end and a
   * violation's alert wait for, does not queue behind the rules' calls in flight).
   */
  view(needs: DetectorNeeds, options?: { first?: boolean }): Detector;
}
