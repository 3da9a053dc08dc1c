// Export of one store's data on request: a folder of JSON files, evidence images and SOP files, with a manifest.
// Raw clip video is left out (it is unblurred footage of people); so are camera hosts and settings (credentials).
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { AuditRepository } from '../core/storage/audit.repository.ts';
import type { Database, Row } from '../core/storage/database.ts';
import { NotFoundError } from '../core/storage/storage-errors.ts';
import { StoreDataRepository } from '../core/storage/store-data.repository.ts';
import { evidenceFile } from './data-files.ts';
import { ExportTargetExistsError } from './privacy-errors.ts';

export interface ExportDeps {
  db: Database;
  dataDir: string;
  clock?: () => number;
}

export interface ExportRequest {
  storeId: string;
  /** A folder that must not exist yet; written as `<outDir>.partial-*` and renamed when complete. */
  outDir: string;
  /** Who asked (user id); written to the audit log. */
  actor: string;
}

export interface ExportedFile {
  path: string;
  bytes: number;
  sha256: string;
}

export interface ExportManifest {
  format: 'sopwatch-store-export';
  version: 1;
  storeId: string;
  exportedAt: string;
  counts: Record<string, number>;
  files: ExportedFile[];
  /** Evidence recorded in the database whose file is gone (deleted by hand, a crash): listed, not fatal. */
  missing: string[];
}

const README = `sopwatch store export

store.json, cameras.json, sop-files.json (+ sop-files/*.yaml), clips.json (metadata only), violations.json,
reviews.json, review-items.json, evidence.json (+ evidence/*: keyframes, faces blurred when they were written),
notifications.json, audit-log.json (this store's entries up to the export), manifest.json (every file with its
SHA-256). Not included: clip video (unblurred footage), camera hosts and settings (may hold credentials), user
accounts (reviews name user ids only).
`;

/** A file name from an id that may hold '/', ':' and the like, kept unique by a short hash of the original. */
function safeName(id: string): string {
  const readable = id.replace(/[^A-Za-z0-9._-]+/g, '_').slice(-80);
  return `${readable}-${createHash('sha256').update(id).digest('hex').slice(0, 8)}`;
}

export async function exportStore(deps: ExportDeps, request: ExportRequest): Promise<ExportManifest> {
  const data = await new StoreDataRepository(deps.db).read(request.storeId);
  if (data === undefined) throw new NotFoundError(`store ${request.storeId} not found`);
  if (await stat(request.outDir).then(() => true, () => false)) throw new ExportTargetExistsError(`export target ${request.outDir} already exists`);
  const work = `${request.outDir}.partial-${randomBytes(4).toString('hex')}`;
  const files: ExportedFile[] = [];
  const put = async (rel: string, content: string | Buffer): Promise<void> => {
    await mkdir(dirname(join(work, rel)), { recursive: true });
    await writeFile(join(work, rel), content, { flag: 'wx' });
    files.push({ path: rel, bytes: Buffer.byteLength(content), sha256: createHash('sha256').update(content).digest('hex') });
  };
  const json = (rel: string, value: unknown): Promise<void> => put(rel, `${JSON.stringify(value, null, 2)}\n`);
  const missing: string[] = [];
  try {
    await mkdir(work, { recursive: false });
    await put('README.txt', README);
    await json('store.json', data.store);
    await json('cameras.json', data.cameras);
    const sopFiles: Row[] = [];
    for (const f of data.sopFiles) {
      const rel = `sop-files/${safeName(String(f.sop_id))}.v${Number(f.version)}.yaml`;
      await put(rel, String(f.yaml));
      sopFiles.push({ ...Object.fromEntries(Object.entries(f).filter(([k]) => k !== 'yaml')), file: rel });
    }
    await json('sop-files.json', sopFiles);
    await json('clips.json', data.clips);
    await json('violations.json', data.violations);
    await json('reviews.json', data.reviews);
    await json('review-items.json', data.reviewItems);
    const evidence: Row[] = [];
    for (const e of data.evidence) {
      const source = evidenceFile(deps.dataDir, String(e.path));
      const rel = `evidence/${safeName(String(e.violation_id))}/${basename(String(e.path))}`;
      const bytes = source === undefined ? undefined : await readFile(source).catch(() => undefined);
      if (bytes === undefined) {
        missing.push(String(e.path));
        evidence.push({ ...e, file: null });
        continue;
      }
      await put(rel, bytes);
      evidence.push({ ...e, file: rel });
    }
    await json('evidence.json', evidence);
    await json('notifications.json', data.notifications);
    await json('audit-log.json', data.audit);
    const counts = {
      cameras: data.cameras.length, sopFiles: data.sopFiles.length, clips: data.clips.length, violations: data.violations.length,
      reviews: data.reviews.length, reviewItems: data.reviewItems.length, evidence: evidence.length - missing.length,
      notifications: data.notifications.length, audit: data.audit.length,
    };
    const manifest: ExportManifest = {
      format: 'sopwatch-store-export', version: 1, storeId: request.storeId,
      exportedAt: new Date((deps.clock ?? Date.now)()).toISOString(), counts, files: [...files], missing,
    };
    await writeFile(join(work, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`, { flag: 'wx' });
    await rename(work, request.outDir);
    await new AuditRepository(deps.db).append({
      actor: request.actor, storeId: request.storeId, action: 'privacy.export', target: request.storeId, detail: { counts, missing: missing.length },
    });
    return manifest;
  } catch (err) {
    await rm(work, { recursive: true, force: true });
    throw err;
  }
}

