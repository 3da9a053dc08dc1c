// The pipeline's data, end to end: Frame -> Detections -> FrameObservations -> Verdict -> Violation.
// Every stage speaks these types; times are milliseconds (`...Ms`), geometry is normalised 0..1.
import type { MessageParts } from './message-parts.ts';

export type { MessageParts } from './message-parts.ts';

/** A point `[x, y]`, normalised to the image (0..1, origin top-left). */
export type Point = readonly [number, number];
/** A box `[x, y, w, h]`, normalised to the image (0..1, origin top-left). */
export type Box = readonly [number, number, number, number];
/** A polygon of at least three points, normalised. */
export type Polygon = readonly Point[];

/** One decoded frame. Pixels are raw RGB, `width * height * 3` bytes. */
export interface Frame {
  cameraId: string;
  /** Index of the frame in its source (0-based, at the sampling rate). */
  index: number;
  /** Time of the frame: ms from the clip start for clips, epoch ms for live cameras. */
  tMs: number;
  width: number;
  height: number;
  /** Raw RGB24 pixels. */
  rgb: Buffer;
  /**
   * Set on a region crop (services/frames/region.ts): the size of the whole frame it was cut from. The detector spends
   * no more on the crop than on that whole frame: a crop smaller than its model input is scaled up only as far as the
   * whole frame's cost allows.
   */
  cropOf?: { width: number; height: number };
  /**
   * A picture only ever shown at this size or smaller (a timeline thumbnail): the detector does not scale it up. What
   * it cannot find at this size nobody can make out in the picture either.
   */
  noUpscale?: boolean;
  /**
   * The same picture shrunk to a tiny grayscale one (8-bit, `width * height` bytes) by the decoder, for motion
   * (services/frames/motion.ts uses it when its size is the one motion works at, instead of shrinking `rgb` itself). Set
   * by the clip decoder on the frames it yields; a picture made from a frame (a crop, a thumbnail) does not keep it.
   */
  gray?: { width: number; height: number; data: Uint8Array };
}

/** What the detector saw in one frame. */
export type DetectionKind = 'person' | 'hand' | 'face' | 'object';

export interface Keypoint {
  /** Keypoint name as the pose model names it (e.g. `leftWrist`, `nose`). */
  part: string;
  point: Point;
  score: number;
}

export interface Detection {
  kind: DetectionKind;
  /** COCO label for objects (`cell phone`, `bottle`), `person`, `hand` or `face`. */
  label: string;
  score: number;
  box: Box;
  /** Stable id from the tracker, within one camera (`p3`, `o12`); absent before tracking. */
  trackId?: string;
  /** Pose keypoints for persons, when the pose model ran. */
  keypoints?: Keypoint[];
  /** For hands: the person track the hand belongs to, when known. */
  ownerTrackId?: string;
}

export interface Detections {
  cameraId: string;
  frameIndex: number;
  tMs: number;
  width: number;
  height: number;
  items: Detection[];
  /** Milliseconds the detector spent on this frame. */
  inferenceMs: number;
}

/**
 * One fact the rule engine can use: "this subject is in this zone".
 * The observer emits one observation per zone that contains the thing, plus one with
 * zone `*` (anywhere in the image) for every thing seen.
 */
export type ObservationKind = 'person' | 'hand' | 'object';

export interface Observation {
  kind: ObservationKind;
  /** `person`, `hand`, or the COCO label of an object. */
  label: string;
  /** Zone name, or `*` for "anywhere in the image". */
  zone: string;
  /**
   * Who or what: a person track (`p:3`), an object track (`o:12`), or a hand
   * (`p:3` when it belongs to a tracked person, otherwise `h:<id>`).
   */
  subject: string;
  score: number;
}

/** Everything the rule engine learns from one sampled frame. */
export interface FrameObservations {
  cameraId: string;
  frameIndex: number;
  /** Epoch ms when a wall-clock start is known, else ms from the clip start. */
  tMs: number;
  observations: Observation[];
}

export type Severity = 'low' | 'medium' | 'high';

export enum ViolationKind {
  TooShort = 'too_short',
  TooLong = 'too_long',
  Forbidden = 'forbidden',
  Gap = 'gap',
  MissingStep = 'missing_step',
  OutOfOrder = 'out_of_order',
  Timeout = 'timeout',
  VerifyFailed = 'verify_failed',
}

/** A closed question for the vision-language model, produced by the rule engine. */
export interface VerifyRequest {
  /** Deterministic id: `<sop>/<rule>/<step|->/<subject>/<startMs>`. */
  id: string;
  sop: string;
  rule: string;
  step?: string;
  cameraId: string;
  subject: string;
  question: string;
  expect: 'yes' | 'no';
  /** How many keyframes to send (spec default 3). */
  frames: number;
  /** The span during which the detector condition held: keyframes come from here. */
  startMs: number;
  endMs: number;
  /** Detector facts, stated to the model as ground truth. */
  facts: string[];
  severity: Severity;
  /** What a failed answer becomes: `verify_failed` (sequence step) or `forbidden`. */
  failKind: ViolationKind.VerifyFailed | ViolationKind.Forbidden;
  /** Window of the violation that a failed answer raises. */
  violationStartMs: number;
  violationEndMs: number;
  /** The rule is in shadow mode (see Violation.shadow): the pipeline may choose not to ask. */
  shadow?: boolean;
  /** The tracked subjects (`p:3`...) in the episode when it was asked: keyframes should show them all. */
  subjects?: string[];
}

export interface VerifyAnswer {
  answer: 'yes' | 'no' | 'unsure';
  confidence: number;
  reason: string;
  /** `vlm:<provider>/<model>`, or `none` when no model could be asked. */
  decidedBy: string;
  /** Keyframe ids the answer is about. */
  evidence: string[];
  /** The answer was not asked again: it is the one given to this earlier question (same rule, unchanged scene). */
  reusedFrom?: string;
}

/** A violation as the engine raises it (times in ms, the stream's time base). */
export interface Violation {
  /** Deterministic: `<sop>/<rule>/<kind>/<step|->/<subject>/<startMs>`. */
  id: string;
  sop: string;
  rule: string;
  step?: string;
  kind: ViolationKind;
  cameraId: string;
  startMs: number;
  endMs: number;
  severity: Severity;
  message: string;
  decidedBy: string;
  confidence: number;
  evidence: string[];
  /** Track or zone key the episode belonged to (station and time, never a named person). */
  subject: string;
  /** True while the episode is still running (too_long, gap): `end` will move. */
  ongoing?: boolean;
  /** The rule is in shadow mode: recorded the same way, the pipeline decides whether to alert. */
  shadow?: boolean;
  /**
   * An episode of several subjects (`forbidden`): every tracked subject seen in it, in order of arrival, and
   * `count`, the most seen at once. Absent for scene-level conditions and for rules judged per subject.
   */
  subjects?: string[];
  count?: number;
  /** `message` as data (services/rules/message-text.ts), so that each reader gets it in its own language. */
  parts?: MessageParts;
  /** With `subjects`: when each was first and last seen in the episode (first in, last out). */
  spans?: SubjectSpan[];
  /** With `subjects`: their boxes on each evidence keyframe, added when the keyframes are written. */
  keyframeBoxes?: KeyframeBoxes[];
}

/** One subject of an episode: first in, last out, in the stream's time base. */
export interface SubjectSpan {
  subject: string;
  firstMs: number;
  lastMs: number;
}

/** The episode's subjects as boxes on one evidence keyframe (`evidence` is its file name). */
export interface KeyframeBoxes {
  evidence: string;
  tMs: number;
  boxes: Array<{ subject: string; box: Box }>;
}

/** A case the engine could not decide alone: a person decides. */
export interface ReviewItem {
  id: string;
  sop: string;
  rule: string;
  step?: string;
  cameraId: string;
  startMs: number;
  endMs: number;
  severity: Severity;
  reason: string;
  question?: string;
  answer?: VerifyAnswer;
  /** The rule is in shadow mode (see Violation.shadow). */
  shadow?: boolean;
  /** As Violation.subjects / count / spans. */
  subjects?: string[];
  count?: number;
  /** `reason` as data, as Violation.parts. */
  reasonParts?: MessageParts;
  spans?: SubjectSpan[];
}

export interface StepSeen {
  step: string;
  /** When the step's condition started holding, and when it had held for `min`. */
  startMs: number;
  doneMs: number;
}

/** One run of a sequence rule, with the time of every step seen. */
export interface SequenceRun {
  id: string;
  sop: string;
  rule: string;
  cameraId: string;
  subject: string;
  startMs: number;
  endMs: number;
  outcome: 'completed' | 'violation' | 'needs_review' | 'open';
  steps: StepSeen[];
}

/** What the rule engine says, frame by frame. */
export type Verdict =
  | { type: 'violation'; violation: Violation }
  /** An ongoing violation's end moved, or it ended. */
  | { type: 'violation_end'; id: string; endMs: number; subjects?: string[]; count?: number; spans?: SubjectSpan[] }
  | { type: 'needs_review'; item: ReviewItem }
  | { type: 'pending_verify'; request: VerifyRequest }
  | { type: 'run'; run: SequenceRun };
