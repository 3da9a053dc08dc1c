// Stores what one clip analysis found: violations (upserted), their evidence files, review items and frames counted.
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { subjectsFromJson, type ClipAnalysisResult, type ViolationJson } from '../analysis/index.ts';
import type { Severity, Violation, ViolationKind } from '../core/contracts.ts';
import { ViolationRepository, type Clip, type Database } from '../core/storage/index.ts';
import type { Camera } from '../core/storage/cameras.repository.ts';
import { ClipAdminRepository } from '../core/storage/clip-admin.repository.ts';
import { EvidenceRepository } from '../core/storage/evidence.repository.ts';
import { ReviewItemRepository } from '../core/storage/review-items.repository.ts';
import type { SopFileWithBody } from '../core/storage/sop-files.repository.ts';

/** The engine id is `<sop>/<rule>/<kind>/<step|->/<subject>/<startMs>`: the subject is what lies between. */
function subjectOf(engineId: string): string {
  const parts = engineId.split('/');
  return parts.length >= 6 ? parts.slice(4, -1).join('/') : engineId;
}

function toViolation(v: ViolationJson, camera: Camera): Violation {
  return {
    id: v.id, sop: v.sop, rule: v.rule, ...(v.step === undefined ? {} : { step: v.step }), kind: v.kind as ViolationKind,
    cameraId: camera.id, startMs: Math.round(v.start * 1000), endMs: Math.round(v.end * 1000), severity: v.severity as Severity,
    message: v.message, decidedBy: v.decidedBy, confidence: v.confidence, evidence: v.evidence, subject: subjectOf(v.id),
    ...(v.shadow === true ? { shadow: true } : {}), ...(v.parts === undefined ? {} : { parts: v.parts }),
    ...(v.subjects === undefined ? {} : subjectsFromJson(v.subjects)),
  };
}

/**
 * Every write is keyed by the clip and the engine's deterministic ids: storing the same result twice changes nothing.
 * Findings of a rule in shadow mode are stored with `shadow` set: kept apart, never alerted or counted.
 */
export class ClipResultWriter {
  private readonly violations: ViolationRepository;
  private readonly reviewItems: ReviewItemRepository;
  private readonly evidence: EvidenceRepository;
  private readonly admin: ClipAdminRepository;

  constructor(db: Database, private readonly dataDir: string) {
    this.violations = new ViolationRepository(db);
    this.reviewItems = new ReviewItemRepository(db);
    this.evidence = new EvidenceRepository(db);
    this.admin = new ClipAdminRepository(db);
  }

  /** One violation and its evidence files, as soon as the analysis found it (the dashboard's feed reads it from here). */
  async storeViolation(clip: Clip, camera: Camera, files: SopFileWithBody[], v: ViolationJson): Promise<void> {
    const version = files.find((f) => f.sopId === v.sop)?.version ?? 1;
    const { violation } = await this.violations.upsert({
      storeId: clip.storeId, clipId: clip.id, sopVersion: version, violation: toViolation(v, camera),
      ...(clip.recordedAt === null ? {} : { clipRecordedAt: clip.recordedAt }),
    });
    for (const name of v.evidence) {
      const rel = `evidence/${clip.id}/${name}`;
      const bytes = await stat(join(this.dataDir, rel)).then((s) => s.size, () => -1);
      if (bytes >= 0) await this.evidence.record({ violationId: violation.id, path: rel, kind: 'keyframe', bytes });
    }
  }

  async store(clip: Clip, camera: Camera, files: SopFileWithBody[], result: ClipAnalysisResult): Promise<void> {
    const versionOf = new Map(files.map((f) => [f.sopId, f.version]));
    for (const v of result.violations) await this.storeViolation(clip, camera, files, v);
    for (const r of result.needsReview) {
      await this.reviewItems.upsert({
        storeId: clip.storeId, cameraId: camera.id, clipId: clip.id, engineId: r.id, sopId: r.sop, sopVersion: versionOf.get(r.sop) ?? 1,
        rule: r.rule, ...(r.step === undefined ? {} : { step: r.step }), severity: r.severity as Severity, startS: r.start, endS: r.end,
        reason: r.reason, ...(r.question === undefined ? {} : { question: r.question }), ...(r.answer === undefined ? {} : { answer: r.answer }),
        shadow: r.shadow === true, ...(r.reasonParts === undefined ? {} : { reasonParts: r.reasonParts }),
      });
    }
    await this.admin.setFrames(clip.id, result.frames);
  }
}
