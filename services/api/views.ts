// Records as the API shows them: ISO times, no server paths, the spec's names for violation fields.
import type { Clip as ClipRecord, ViolationRecord } from '../core/storage/index.ts';
import type { Camera as CameraRecord } from '../core/storage/cameras.repository.ts';
import type { ReviewItemRecord } from '../core/storage/review-items.repository.ts';
import type { SopFileRecord } from '../core/storage/sop-files.repository.ts';
import type { Store as StoreRecord } from '../core/storage/stores.repository.ts';
import type { ReviewRecord } from '../core/storage/violation-queries.repository.ts';
import type { Camera } from './schemas/camera.ts';
import type { Clip } from './schemas/clip.ts';
import type { Review } from './schemas/review.ts';
import type { SopFile } from './schemas/sop-file.ts';
import type { Store } from './schemas/store.ts';
import type { ReviewItem, Violation } from './schemas/violation.ts';
import type { ArrivalView } from '../ingester/index.ts';

const iso = (d: Date): string => d.toISOString();
const isoOrNull = (d: Date | null): string | null => (d === null ? null : d.toISOString());

export const storeView = (s: StoreRecord): Store => ({
  id: s.id, name: s.name, franchise: s.franchise, tz: s.tz, retentionDays: s.retentionDays, keepVideo: s.keepVideo, allowClipExport: s.allowClipExport, createdAt: iso(s.createdAt),
});

export const cameraView = (c: CameraRecord): Camera => ({
  id: c.id, storeId: c.storeId, name: c.name, host: c.host, tags: c.tags, createdAt: iso(c.createdAt),
});

export const sopView = (f: SopFileRecord): SopFile => ({
  id: f.id, storeId: f.storeId, sopId: f.sopId, version: f.version, title: f.title, titleZh: f.titleZh, enabled: f.enabled, cameraIds: f.cameraIds, createdAt: iso(f.createdAt),
});

/** The server path of the file is never shown. */
export const clipView = (c: ClipRecord, arrival?: ArrivalView): Clip => ({
  id: c.id, storeId: c.storeId, cameraId: c.cameraId, filename: c.filename, bytes: c.bytes, status: c.status, progress: c.progress,
  error: c.error, attempts: c.attempts, sha256: c.sha256, createdAt: iso(c.createdAt), updatedAt: iso(c.updatedAt),
  startedAt: isoOrNull(c.startedAt), finishedAt: isoOrNull(c.finishedAt),
  recordedAt: isoOrNull(c.recordedAt), recordedAtSource: c.recordedAtSource, notAnalysed: c.notAnalysed,
  ...(arrival === undefined ? {} : { arrival }),
});

export const violationView = (v: ViolationRecord): Violation => ({
  id: v.id, storeId: v.storeId, cameraId: v.cameraId, clipId: v.clipId, sop: v.sopId, sopVersion: v.sopVersion, rule: v.rule, title: v.ruleTitle, titleZh: v.ruleTitleZh,
  step: v.step, kind: v.kind, severity: v.severity, start: v.startS, end: v.endS, startAt: isoOrNull(v.startAt), endAt: isoOrNull(v.endAt),
  message: v.message, messageParts: v.messageParts, decidedBy: v.decidedBy, confidence: v.confidence, evidence: v.evidence.map((e) => e.split('/').pop() ?? e),
  status: v.status, shadow: v.shadow, subjects: v.subjects, createdAt: iso(v.createdAt), happenedAt: iso(v.happenedAt ?? v.startAt ?? v.createdAt),
});

export const reviewView = (r: ReviewRecord): Review => ({
  id: r.id, violationId: r.violationId, userId: r.userId, userEmail: r.userEmail, decision: r.decision, reasonCode: r.reasonCode,
  comment: r.comment, at: iso(r.at), undoneAt: isoOrNull(r.undoneAt),
});

/** The stored answer is the engine's JSON: only its well-formed fields are shown. */
function answerView(a: unknown): ReviewItem['answer'] {
  if (typeof a !== 'object' || a === null) return null;
  const o = a as Record<string, unknown>;
  if (o.answer !== 'yes' && o.answer !== 'no' && o.answer !== 'unsure') return null;
  return {
    answer: o.answer,
    confidence: typeof o.confidence === 'number' ? o.confidence : 0,
    reason: typeof o.reason === 'string' ? o.reason : '',
    decidedBy: typeof o.decidedBy === 'string' ? o.decidedBy : 'none',
  };
}

export const reviewItemView = (r: ReviewItemRecord): ReviewItem => ({
  id: r.id, storeId: r.storeId, cameraId: r.cameraId, clipId: r.clipId, sop: r.sopId, rule: r.rule, title: r.ruleTitle, titleZh: r.ruleTitleZh, step: r.step, severity: r.severity,
  start: r.startS, end: r.endS, reason: r.reason, reasonParts: r.reasonParts, question: r.question, answer: answerView(r.answer), status: r.status,
  violationId: r.violationId, resolvedAt: isoOrNull(r.resolvedAt), shadow: r.shadow, createdAt: iso(r.createdAt),
});
