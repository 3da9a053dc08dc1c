// The RetentionSweep job: per store, footage past its limit and violations past theirs are deleted, rows and files.
// Files go before rows, so a crash in between leaves rows that the next sweep finds again; every step tolerates a
// second run (a missing file is not an error), so two sweeps in a row, or two workers at once, delete nothing twice.
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { JobHandler, JobName, JobOutcome } from '../core/jobs.ts';
import { AuditRepository } from '../core/storage/audit.repository.ts';
import type { Database } from '../core/storage/database.ts';
import { RetentionRepository, type RetentionPolicy } from '../core/storage/retention.repository.ts';
import { clipEvidenceDir, clipFile, evidenceFile, filesIn, removeDirIfEmpty, removeFile } from './data-files.ts';

export const DAY_MS = 86_400_000;
/** Upload leftovers (`clips/.incoming/*.part`) older than this belong to an upload that died. */
const PARTIAL_UPLOAD_MS = DAY_MS;

export interface RetentionDeps {
  db: Database;
  dataDir: string;
  clock?: () => number;
  /** Rows handled per batch; default 200. */
  batchSize?: number;
}

export interface StoreSweep {
  storeId: string;
  clips: number;
  clipFiles: number;
  /** Frames, timelines and other files drawn from expired clips that no kept violation uses. */
  derivedFiles: number;
  violations: number;
  evidenceFiles: number;
  reviewItems: number;
  notifications: number;
  /** Stored paths that point outside the data directory: never deleted, reported. */
  refused: string[];
}

export interface SweepResult {
  stores: StoreSweep[];
  partialUploads: number;
}

const removed = (s: StoreSweep): number =>
  s.clips + s.clipFiles + s.derivedFiles + s.violations + s.evidenceFiles + s.reviewItems + s.notifications;

async function sweepStore(deps: RetentionDeps, policy: RetentionPolicy, nowMs: number): Promise<StoreSweep> {
  const repo = new RetentionRepository(deps.db);
  const batch = deps.batchSize ?? 200;
  const out: StoreSweep = { storeId: policy.storeId, clips: 0, clipFiles: 0, derivedFiles: 0, violations: 0, evidenceFiles: 0, reviewItems: 0, notifications: 0, refused: [] };
  const footageBefore = new Date(nowMs - policy.footageDays * DAY_MS);
  const violationsBefore = new Date(nowMs - policy.violationDays * DAY_MS);

  for (;;) {
    const clips = await repo.expiredClips(policy.storeId, footageBefore, batch);
    if (clips.length === 0) break;
    for (const clip of clips) {
      const file = clipFile(deps.dataDir, clip.path);
      if (file === undefined) out.refused.push(clip.path);
      else if (await removeFile(file)) out.clipFiles += 1;
      const dir = clipEvidenceDir(deps.dataDir, clip.id);
      if (dir === undefined) continue;
      // What a kept violation shows stays until the violation's own limit; the rest was footage.
      const kept = await repo.evidenceUnder(`evidence/${clip.id}/`);
      for (const name of await filesIn(dir)) {
        if (!kept.has(`evidence/${clip.id}/${name}`) && (await removeFile(join(dir, name)))) out.derivedFiles += 1;
      }
      await removeDirIfEmpty(dir);
    }
    const deleted = await repo.deleteClips(policy.storeId, clips.map((c) => c.id));
    out.clips += deleted;
    if (deleted < clips.length) break;
  }

  for (;;) {
    const violations = await repo.expiredViolations(policy.storeId, violationsBefore, batch);
    if (violations.length === 0) break;
    const dirs = new Set<string>();
    for (const v of violations) {
      for (const rel of v.evidencePaths) {
        const file = evidenceFile(deps.dataDir, rel);
        if (file === undefined) {
          out.refused.push(rel);
          continue;
        }
        if (await removeFile(file)) out.evidenceFiles += 1;
        dirs.add(join(file, '..'));
      }
    }
    const deleted = await repo.deleteViolations(policy.storeId, violations.map((v) => v.id));
    out.violations += deleted;
    for (const dir of dirs) await removeDirIfEmpty(dir);
    if (deleted < violations.length) break;
  }

  out.reviewItems = await repo.deleteReviewItems(policy.storeId, violationsBefore);
  out.notifications = await repo.deleteNotifications(policy.storeId, violationsBefore);
  if (removed(out) > 0) {
    await new AuditRepository(deps.db).append({
      actor: 'system:retention', storeId: policy.storeId, action: 'retention.sweep', target: policy.storeId,
      detail: { ...out, footageBefore: footageBefore.toISOString(), violationsBefore: violationsBefore.toISOString(), footageDays: policy.footageDays, violationDays: policy.violationDays },
    });
  }
  return out;
}

async function sweepPartialUploads(dataDir: string, nowMs: number): Promise<number> {
  const dir = join(dataDir, 'clips', '.incoming');
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return 0;
  }
  let n = 0;
  for (const name of names.filter((x) => x.endsWith('.part'))) {
    const file = join(dir, name);
    const mtimeMs = await stat(file).then((s) => s.mtimeMs, () => nowMs);
    if (nowMs - mtimeMs > PARTIAL_UPLOAD_MS && (await removeFile(file))) n += 1;
  }
  return n;
}

/** One sweep: one store, or every store by its own limits (then abandoned partial uploads too). */
export async function sweepRetention(deps: RetentionDeps, options: { storeId?: string } = {}): Promise<SweepResult> {
  const nowMs = (deps.clock ?? Date.now)();
  const stores: StoreSweep[] = [];
  for (const policy of await new RetentionRepository(deps.db).policies(options.storeId)) {
    stores.push(await sweepStore(deps, policy, nowMs));
  }
  const partialUploads = options.storeId === undefined ? await sweepPartialUploads(deps.dataDir, nowMs) : 0;
  return { stores, partialUploads };
}

export function createRetentionSweepHandler(deps: RetentionDeps): JobHandler<JobName.RetentionSweep> {
  return async ({ storeId }): Promise<JobOutcome> => {
    const result = await sweepRetention(deps, storeId === undefined ? {} : { storeId });
    if (storeId !== undefined && result.stores.length === 0) return { status: 'skipped', reason: `store ${storeId} no longer exists` };
    return { status: 'success' };
  };
}
