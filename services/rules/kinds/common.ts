// What every rule kind shares: the runner interface, deterministic ids, verdict builders, readable times.
import type { MessageParts, ReviewItem, SubjectSpan, Verdict, VerifyAnswer, VerifyRequest, Violation, ViolationKind } from '../../core/contracts.ts';
import { parts, type StepRef } from '../message-text.ts';
import type { FrameFacts } from '../condition.ts';
import type { CompiledSop, Rule, Verify } from '../compiled.ts';

/** One enabled rule running over one camera's stream. */
export interface RuleRunner {
  /** A frame, already known to be newer than the previous one. */
  push(tMs: number, facts: FrameFacts): Verdict[];
  /** End of stream at `endMs` (never before the last frame). */
  finish(endMs: number): Verdict[];
  /** The answer to a VerifyRequest this runner asked; unknown ids give nothing. */
  resolve(requestId: string, answer: VerifyAnswer): Verdict[];
}

export interface RuleContext<R extends Rule = Rule> {
  sop: CompiledSop;
  rule: R;
  cameraId: string;
  /** Epoch ms of tMs = 0, when a wall clock is known. */
  clockOriginMs: number | undefined;
}

export const DETECTOR = 'detector';

/** `<sop>/<rule>/<kind>/<step|->/<subject>/<startMs>`: the same facts always give the same id. */
export function violationId(ctx: RuleContext, kind: string, step: string | undefined, subject: string, startMs: number): string {
  return `${ctx.sop.id}/${ctx.rule.id}/${kind}/${step ?? '-'}/${subject}/${startMs}`;
}

/** `<sop>/<rule>/<step|->/<subject>/<startMs>`, as contracts.ts asks for VerifyRequest ids. */
export function requestId(ctx: RuleContext, step: string | undefined, subject: string, startMs: number): string {
  return `${ctx.sop.id}/${ctx.rule.id}/${step ?? '-'}/${subject}/${startMs}`;
}

export interface ViolationFacts {
  kind: ViolationKind;
  step?: string;
  subject: string;
  startMs: number;
  endMs: number;
  message: string;
  /** The message as data, for readers in other languages. */
  parts?: MessageParts;
  ongoing?: boolean;
  /** Absent: decided by the detector alone. */
  answer?: NormalAnswer;
  group?: Group;
}

/** The subjects of an episode several took part in: who, in order of arrival, and the most at once. */
export interface Group {
  subjects: string[];
  count: number;
  /** First in and last out of each subject, when known. */
  spans?: SubjectSpan[];
}

function withGroup<T extends { subjects?: string[]; count?: number; spans?: SubjectSpan[] }>(target: T, group: Group | undefined): T {
  if (group !== undefined && group.subjects.length > 0) {
    target.subjects = [...group.subjects];
    target.count = group.count;
    if (group.spans !== undefined && group.spans.length > 0) target.spans = group.spans.map((s) => ({ ...s }));
  }
  return target;
}

export function violation(ctx: RuleContext, f: ViolationFacts): Verdict {
  const v: Violation = {
    id: violationId(ctx, f.kind, f.step, f.subject, f.startMs),
    sop: ctx.sop.id,
    rule: ctx.rule.id,
    kind: f.kind,
    cameraId: ctx.cameraId,
    startMs: f.startMs,
    endMs: f.endMs,
    severity: ctx.rule.severity,
    message: f.message,
    decidedBy: f.answer?.decidedBy ?? DETECTOR,
    confidence: f.answer?.confidence ?? 1,
    evidence: f.answer === undefined ? [] : [...f.answer.evidence],
    subject: f.subject,
  };
  if (f.step !== undefined) v.step = f.step;
  if (f.ongoing === true) v.ongoing = true;
  if (f.parts !== undefined) v.parts = f.parts;
  if (ctx.rule.shadow) v.shadow = true;
  return { type: 'violation', violation: withGroup(v, f.group) };
}

export interface ReviewFacts {
  step?: string;
  subject: string;
  startMs: number;
  endMs: number;
  reason: string;
  reasonParts?: MessageParts;
  question?: string;
  answer?: VerifyAnswer;
  group?: Group;
}

export function review(ctx: RuleContext, f: ReviewFacts): Verdict {
  const item: ReviewItem = {
    id: violationId(ctx, 'needs_review', f.step, f.subject, f.startMs),
    sop: ctx.sop.id,
    rule: ctx.rule.id,
    cameraId: ctx.cameraId,
    startMs: f.startMs,
    endMs: f.endMs,
    severity: ctx.rule.severity,
    reason: f.reason,
  };
  if (f.step !== undefined) item.step = f.step;
  if (f.question !== undefined) item.question = f.question;
  if (f.answer !== undefined) item.answer = f.answer;
  if (f.reasonParts !== undefined) item.reasonParts = f.reasonParts;
  if (ctx.rule.shadow) item.shadow = true;
  return { type: 'needs_review', item: withGroup(item, f.group) };
}

export function violationEnd(id: string, endMs: number, group?: Group): Verdict {
  const end: Extract<Verdict, { type: 'violation_end' }> = { type: 'violation_end', id, endMs };
  return withGroup(end, group);
}

/** Where and why a kind asks the model: the same request shape for `forbidden` episodes and `sequence` holds. */
export interface AskFacts {
  step?: string;
  subject: string;
  startMs: number;
  endMs: number;
  facts: string[];
  failKind: VerifyRequest['failKind'];
  subjects?: string[];
}

export function verifyRequest(ctx: RuleContext, verify: Verify, f: AskFacts): VerifyRequest {
  const request: VerifyRequest = {
    id: requestId(ctx, f.step, f.subject, f.startMs),
    sop: ctx.sop.id, rule: ctx.rule.id, cameraId: ctx.cameraId, subject: f.subject,
    question: verify.question, expect: verify.expect, frames: verify.frames,
    startMs: f.startMs, endMs: f.endMs, facts: f.facts, severity: ctx.rule.severity, failKind: f.failKind,
    violationStartMs: f.startMs, violationEndMs: f.endMs,
  };
  if (f.step !== undefined) request.step = f.step;
  if (ctx.rule.shadow) request.shadow = true;
  if (f.subjects !== undefined && f.subjects.length > 0) request.subjects = [...f.subjects];
  return request;
}

/** What an answer does to what was asked: `expect` passes, `unsure` goes to a person, the opposite fails. */
export type Judgement = 'pass' | 'review' | 'fail';

export function judge(request: VerifyRequest, a: NormalAnswer): Judgement {
  if (a.answer === 'unsure') return 'review';
  return a.answer === request.expect ? 'pass' : 'fail';
}

/** Why an unsure answer needs a person; `label` names the step (`tamp: the model was unsure (...)`). */
export function unsureReason(a: NormalAnswer, label?: string): string {
  const nobody = a.decidedBy === 'none';
  if (label === undefined) return nobody ? `no model could answer: ${a.reason}` : `the model was unsure: ${a.reason}`;
  return nobody ? `${label}: no model could answer (${a.reason})` : `${label}: the model was unsure (${a.reason})`;
}

/** unsureReason as data: no model at all says so once, without the placeholder reason. */
export function unsureParts(a: NormalAnswer, step?: StepRef): MessageParts {
  const at = step === undefined ? {} : { step };
  return a.decidedBy === 'none' ? parts('no_model', at) : parts('model_unsure', { ...at, reason: a.reason });
}

/** A step as messages name it (its title when written, else its id). */
export function stepRef(step: { id: string; title: string; titleZh?: string }): StepRef {
  const en = step.title !== '' ? step.title : step.id;
  return step.titleZh === undefined ? (step.title !== '' ? { id: step.id, title: step.title } : { id: step.id }) : { id: step.id, title: { en, 'zh-CN': step.titleZh } };
}

/** An answer as the engine trusts it: anything malformed, or from nobody, is `unsure`. */
export interface NormalAnswer {
  answer: 'yes' | 'no' | 'unsure';
  confidence: number;
  reason: string;
  decidedBy: string;
  evidence: string[];
}

export function normaliseAnswer(a: VerifyAnswer | undefined): NormalAnswer {
  const raw = (typeof a === 'object' && a !== null ? a : {}) as Partial<VerifyAnswer>;
  const decidedBy = typeof raw.decidedBy === 'string' && raw.decidedBy !== '' ? raw.decidedBy : 'none';
  const known = raw.answer === 'yes' || raw.answer === 'no' ? raw.answer : 'unsure';
  const c = typeof raw.confidence === 'number' && Number.isFinite(raw.confidence) ? raw.confidence : 0;
  return {
    answer: decidedBy === 'none' ? 'unsure' : known,
    confidence: Math.min(1, Math.max(0, c)),
    reason: typeof raw.reason === 'string' && raw.reason !== '' ? raw.reason : 'no reason given',
    decidedBy,
    evidence: Array.isArray(raw.evidence) ? raw.evidence.filter((e): e is string => typeof e === 'string') : [],
  };
}

/** Durations a manager reads: `12.4 s`, `20 s`, `5 min`, `1.5 min`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return `${ms}`;
  if (Math.abs(ms) < 120_000) return `${trim(ms / 1000)} s`;
  return `${trim(ms / 60_000)} min`;
}

function trim(n: number): string {
  return String(Math.round(n * 10) / 10);
}

/** A step's name in messages: its title when it has one, else its id. */
export function stepName(step: { id: string; title: string }): string {
  return step.title !== '' ? step.title : step.id;
}
