// The typed internal form of an SOP file, after loading and validation: what the rule engine runs.
// The YAML shape (`SopFile`) is compiled into this: durations in ms, defaults filled in, zones resolved.
import type { Polygon, Severity } from '../core/contracts.ts';

/** A condition tree. Leaves name zones; the engine never sees geometry. */
export type Condition =
  | { type: 'person_in'; zone: string }
  | { type: 'hands_in'; zone: string }
  /** `object: LABEL` with optional `in: Z` (zone `*` when absent) and `min_score`. */
  | { type: 'object'; label: string; zone: string; minScore?: number }
  /** `count: { of, in, gte, lte }`: `of` is `person` or a COCO label; zone `*` when absent. */
  | { type: 'count'; of: string; zone: string; gte?: number; lte?: number }
  | { type: 'all'; of: Condition[] }
  | { type: 'any'; of: Condition[] }
  | { type: 'not'; of: Condition };

export interface Verify {
  question: string;
  expect: 'yes' | 'no';
  /** Keyframes to send; spec default 3. */
  frames: number;
  /**
   * Project extension, `forbidden` only: `episode` (default) asks once per episode of the condition, whoever is
   * in it; `subject` judges each subject apart, one question (and one violation) per person.
   */
  per?: 'episode' | 'subject';
}

/**
 * Time smoothing (project extension, documented in sop-rules/README.md):
 * a condition turns on after holding for `enterMs`, and off after failing for `exitMs`.
 * Episode times are those of the first and last frame where the raw condition held.
 */
export interface Smoothing {
  enterMs: number;
  exitMs: number;
}

export interface Schedule {
  /** Days the window starts on: 'mon'..'sun'. A window that crosses midnight belongs to its start day. */
  days: Array<'mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat' | 'sun'>;
  /** Minutes after local midnight. `toMin <= fromMin` means the window crosses midnight. */
  fromMin: number;
  toMin: number;
  /** IANA time zone, e.g. `Europe/Paris`. */
  tz: string;
}

interface RuleBase {
  id: string;
  title: string;
  /** Project extension: the title in Simplified Chinese, when the file gives one (`title_zh`). */
  titleZh?: string;
  severity: Severity;
  enabled: boolean;
  /** Project extension: record violations but do not alert (for trying a rule out). */
  shadow: boolean;
  smoothing: Smoothing;
}

export interface DurationRule extends RuleBase {
  kind: 'duration';
  when: Condition;
  minMs?: number;
  maxMs?: number;
}

export interface ForbiddenRule extends RuleBase {
  kind: 'forbidden';
  when: Condition;
  forMs: number;
  verify?: Verify;
}

export interface RequiredRule extends RuleBase {
  kind: 'required';
  when: Condition;
  maxGapMs: number;
  schedule?: Schedule;
}

export interface SequenceStep {
  id: string;
  title: string;
  /** As RuleBase.titleZh. */
  titleZh?: string;
  detect: Condition;
  /** `min:` inside `detect`: shortest time the condition must hold for the step to count. */
  minMs: number;
  verify?: Verify;
}

export interface SequenceRule extends RuleBase {
  kind: 'sequence';
  trigger: Condition;
  steps: SequenceStep[];
  withinMs: number;
  order: 'strict' | 'any';
  /**
   * Project extension: a run whose trigger and steps have all been false for this long
   * ends early (unseen steps are then `missing_step`). Default 10 s.
   */
  idleMs: number;
}

export type Rule = DurationRule | ForbiddenRule | RequiredRule | SequenceRule;

export interface CompiledSop {
  id: string;
  title: string;
  /** As RuleBase.titleZh. */
  titleZh?: string;
  /** Format version of the file (v1 is the contract in shared/spec/sop-rules.md). */
  version: 1;
  /** Optional author revision of this file (project extension). */
  revision?: number;
  /** Camera ids or tags this file applies to; `*` = any. */
  cameras: string[];
  /** Zones per camera id (or `*`): zone name -> polygon. */
  zones: Record<string, Record<string, Polygon>>;
  /** Project extension: per camera id (or `*`), areas where motion never wakes the detector. */
  motionMasks?: Record<string, Polygon[]>;
  rules: Rule[];
  /** Path the file was loaded from, for messages. */
  source: string;
}

/** Labels the detector can report for objects: the 80 COCO classes. */
export const COCO_LABELS = [
  'person', 'bicycle', 'car', 'motorcycle', 'airplane', 'bus', 'train', 'truck', 'boat',
  'traffic light', 'fire hydrant', 'stop sign', 'parking meter', 'bench', 'bird', 'cat', 'dog',
  'horse', 'sheep', 'cow', 'elephant', 'bear', 'zebra', 'giraffe', 'backpack', 'umbrella',
  'handbag', 'tie', 'suitcase', 'frisbee', 'skis', 'snowboard', 'sports ball', 'kite',
  'baseball bat', 'baseball glove', 'skateboard', 'surfboard', 'tennis racket', 'bottle',
  'wine glass', 'cup', 'fork', 'knife', 'spoon', 'bowl', 'banana', 'apple', 'sandwich', 'orange',
  'broccoli', 'carrot', 'hot dog', 'pizza', 'donut', 'cake', 'chair', 'couch', 'potted plant',
  'bed', 'dining table', 'toilet', 'tv', 'laptop', 'mouse', 'remote', 'keyboard', 'cell phone',
  'microwave', 'oven', 'toaster', 'sink', 'refrigerator', 'book', 'clock', 'vase', 'scissors',
  'teddy bear', 'hair drier', 'toothbrush',
] as const;

export type CocoLabel = (typeof COCO_LABELS)[number];
