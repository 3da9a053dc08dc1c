// Turns engine output (ms in the stream's time base) into the spec's JSON shapes (seconds from the clip start).
import type { MessageParts, ReviewItem, SequenceRun, Violation } from '../core/contracts.ts';

/**
 * The subjects of an episode (`forbidden` judged per episode): the most at once, each track's first-in and last-out
 * time, and their boxes `[x, y, w, h]` (normalised) on each evidence keyframe. Times in seconds from the clip start.
 */
export interface SubjectsJson {
  count: number;
  tracks: Array<{ id: string; first: number; last: number }>;
  keyframes: Array<{ evidence: string; at: number; boxes: Array<{ id: string; box: [number, number, number, number] }> }>;
}

/** The violation JSON of shared/spec/sop-rules.md, plus `id` and `shadow` (project extensions). */
export interface ViolationJson {
  id: string;
  sop: string;
  rule: string;
  step?: string;
  kind: string;
  camera: string;
  start: number;
  end: number;
  severity: string;
  message: string;
  decidedBy: string;
  confidence: number;
  evidence: string[];
  /** ISO times, when the clip was given a wall-clock start. */
  startAt?: string;
  endAt?: string;
  shadow?: boolean;
  /** `message` as data (project extension), for readers in other languages. */
  parts?: MessageParts;
  /** Project extension: who took part in the episode (see SubjectsJson). */
  subjects?: SubjectsJson;
}

const seconds = (ms: number): number => Math.round(ms) / 1000;
const iso = (originMs: number | undefined, ms: number): string | undefined =>
  originMs === undefined ? undefined : new Date(originMs + ms).toISOString();

export function violationJson(v: Violation, originMs?: number): ViolationJson {
  const out: ViolationJson = {
    id: v.id,
    sop: v.sop,
    rule: v.rule,
    kind: v.kind,
    camera: v.cameraId,
    start: seconds(v.startMs),
    end: seconds(v.endMs),
    severity: v.severity,
    message: v.message,
    decidedBy: v.decidedBy,
    confidence: v.confidence,
    evidence: v.evidence,
  };
  if (v.step !== undefined) out.step = v.step;
  const startAt = iso(originMs, v.startMs);
  const endAt = iso(originMs, v.endMs);
  if (startAt !== undefined && endAt !== undefined) {
    out.startAt = startAt;
    out.endAt = endAt;
  }
  if ((v as Violation & { shadow?: boolean }).shadow === true) out.shadow = true;
  if (v.parts !== undefined) out.parts = v.parts;
  const subjects = subjectsJson(v);
  if (subjects !== undefined) out.subjects = subjects;
  return out;
}

export function subjectsJson(v: Violation): SubjectsJson | undefined {
  if (v.subjects === undefined || v.subjects.length === 0) return undefined;
  const spans = new Map((v.spans ?? []).map((s) => [s.subject, s]));
  return {
    count: v.count ?? v.subjects.length,
    tracks: v.subjects.map((id) => {
      const s = spans.get(id);
      return { id, first: seconds(s?.firstMs ?? v.startMs), last: seconds(s?.lastMs ?? v.endMs) };
    }),
    keyframes: (v.keyframeBoxes ?? []).map((k) => ({
      evidence: k.evidence,
      at: seconds(k.tMs),
      boxes: k.boxes.map((b) => ({ id: b.subject, box: [b.box[0], b.box[1], b.box[2], b.box[3]] })),
    })),
  };
}

/** The engine's fields back from SubjectsJson (seconds to ms). */
export function subjectsFromJson(j: SubjectsJson): Pick<Violation, 'subjects' | 'count' | 'spans' | 'keyframeBoxes'> {
  const ms = (s: number): number => Math.round(s * 1000);
  return {
    subjects: j.tracks.map((t) => t.id),
    count: j.count,
    spans: j.tracks.map((t) => ({ subject: t.id, firstMs: ms(t.first), lastMs: ms(t.last) })),
    keyframeBoxes: j.keyframes.map((k) => ({ evidence: k.evidence, tMs: ms(k.at), boxes: k.boxes.map((b) => ({ subject: b.id, box: b.box })) })),
  };
}

export interface ReviewJson {
  id: string;
  sop: string;
  rule: string;
  step?: string;
  camera: string;
  start: number;
  end: number;
  severity: string;
  reason: string;
  question?: string;
  answer?: { answer: string; confidence: number; reason: string; decidedBy: string };
  /** The rule is in shadow mode (project extension, as on violations). */
  shadow?: boolean;
  /** `reason` as data (project extension). */
  reasonParts?: MessageParts;
}

export function reviewJson(r: ReviewItem): ReviewJson {
  const out: ReviewJson = {
    id: r.id,
    sop: r.sop,
    rule: r.rule,
    camera: r.cameraId,
    start: seconds(r.startMs),
    end: seconds(r.endMs),
    severity: r.severity,
    reason: r.reason,
  };
  if (r.step !== undefined) out.step = r.step;
  if (r.question !== undefined) out.question = r.question;
  if (r.answer !== undefined) {
    out.answer = { answer: r.answer.answer, confidence: r.answer.confidence, reason: r.answer.reason, decidedBy: r.answer.decidedBy };
  }
  if (r.shadow === true) out.shadow = true;
  if (r.reasonParts !== undefined) out.reasonParts = r.reasonParts;
  return out;
}

export interface RunJson {
  id: string;
  sop: string;
  rule: string;
  camera: string;
  start: number;
  end: number;
  outcome: string;
  steps: Array<{ step: string; start: number; done: number }>;
}

export function runJson(r: SequenceRun): RunJson {
  return {
    id: r.id,
    sop: r.sop,
    rule: r.rule,
    camera: r.cameraId,
    start: seconds(r.startMs),
    end: seconds(r.endMs),
    outcome: r.outcome,
    steps: r.steps.map((s) => ({ step: s.step, start: seconds(s.startMs), done: seconds(s.doneMs) })),
  };
}
