// Deletion of one store's data on request: files, then every row in one transaction with its audit entry.
// The audit log keeps every row it had (it refuses deletes) and gains one saying what was deleted, by whom and why.
import { AuditRepository } from '../core/storage/audit.repository.ts';
import type { Database } from '../core/storage/database.ts';
import { StoreDataRepository, type StoreDeletion } from '../core/storage/store-data.repository.ts';
import { clipEvidenceDir, clipFile, evidenceFile, removeFile, removeTree } from './data-files.ts';
import { StoreBusyError } from './privacy-errors.ts';

export interface DeletionDeps {
  db: Database;
  dataDir: string;
}

export interface DeletionRequest {
  storeId: string;
  /** Who asked (user id, or `system:<tool>`). */
  actor: string;
  /** Why (a ticket, "store closed"): kept in the audit entry. */
  reason?: string;
}

export interface DeletionReport {
  /** False when the store did not exist (already deleted): nothing was done and nothing audited. */
  deleted: boolean;
  rows?: StoreDeletion;
  files: number;
  /** Stored paths outside the data directory: not touched. */
  refused: string[];
}

export async function deleteStoreData(deps: DeletionDeps, request: DeletionRequest): Promise<DeletionReport> {
  const repo = new StoreDataRepository(deps.db);
  if (!(await repo.exists(request.storeId))) return { deleted: false, files: 0, refused: [] };
  const busy = await repo.analysingClips(request.storeId);
  if (busy > 0) throw new StoreBusyError(`store ${request.storeId} has ${busy} clip(s) being analysed; delete when the analysis has finished`);

  // Files first: if this stops half-way the rows are still there, and a second request finds and finishes the rest.
  const found = await repo.files(request.storeId);
  let files = 0;
  const refused: string[] = [];
  for (const p of found.clipPaths) {
    const abs = clipFile(deps.dataDir, p);
    if (abs === undefined) refused.push(p);
    else if (await removeFile(abs)) files += 1;
  }
  for (const p of [...found.evidencePaths, ...found.snapshotPaths]) {
    const abs = evidenceFile(deps.dataDir, p);
    if (abs === undefined) refused.push(p);
    else if (await removeFile(abs)) files += 1;
  }
  for (const clipId of found.clipIds) {
    const dir = clipEvidenceDir(deps.dataDir, clipId);
    if (dir !== undefined) files += await removeTree(dir);
  }

  const rows = await deps.db.transaction(async (tx) => {
    const counts = await new StoreDataRepository(tx).delete(request.storeId);
    await new AuditRepository(tx).append({
      actor: request.actor, storeId: request.storeId, action: 'privacy.store.delete', target: request.storeId,
      detail: { ...counts, files, refused: refused.length, ...(request.reason === undefined ? {} : { reason: request.reason.slice(0, 500) }) },
    });
    return counts;
  });
  return { deleted: true, rows, files, refused };
}
