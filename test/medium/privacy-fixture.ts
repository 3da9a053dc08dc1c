// Clips with their files, evidence and violations, written the way the upload route and the analysis write them.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ViolationKind } from '../../services/core/contracts.ts';
import { ClipRepository, ViolationRepository, type Database } from '../../services/core/storage/index.ts';
import { EvidenceRepository } from '../../services/core/storage/evidence.repository.ts';
import { DAY_MS } from '../../services/privacy/index.ts';

export interface ClipSpec {
  id: string;
  ageDays: number;
  /** Files under evidence/<id>/ that no violation uses (timeline, frames). */
  derived?: string[];
  /** Violations of this clip: name of their evidence file, age and whether a person reviewed it. */
  violations?: Array<{ engineId: string; file: string; ageDays: number; reviewedBy?: string }>;
  status?: 'analysing';
  /** Store the clip's file here instead of <dataDir>/clips. */
  pathOverride?: string;
}

/** Writes a clip with its files and violations as the upload route and the analysis would, then ages the rows. */
export async function addClip(db: Database, dataDir: string, storeId: string, cameraId: string, spec: ClipSpec, nowMs: number): Promise<string[]> {
  const path = spec.pathOverride ?? join(dataDir, 'clips', `${spec.id}.mp4`);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, 'video');
  await new ClipRepository(db).create({ id: spec.id, storeId, cameraId, filename: `${spec.id}.mp4`, path, bytes: 5 });
  if (spec.status === 'analysing') await new ClipRepository(db).startAnalysis(spec.id);
  await db.query('UPDATE clips SET created_at = $2 WHERE id = $1', [spec.id, new Date(nowMs - spec.ageDays * DAY_MS)]);
  const dir = join(dataDir, 'evidence', spec.id);
  mkdirSync(dir, { recursive: true });
  for (const f of spec.derived ?? []) writeFileSync(join(dir, f), 'jpeg');
  const ids: string[] = [];
  for (const v of spec.violations ?? []) {
    const { violation } = await new ViolationRepository(db).upsert({
      storeId, clipId: spec.id,
      violation: {
        id: v.engineId, sop: 'espresso-bar', rule: 'shot-sequence', step: 'tamp', kind: ViolationKind.MissingStep, cameraId, startMs: 1_000, endMs: 4_000,
        severity: 'high', message: 'tamp missing', decidedBy: 'detector', confidence: 0.9, evidence: [v.file], subject: 'p:1',
      },
    });
    writeFileSync(join(dir, v.file), 'jpeg');
    await new EvidenceRepository(db).record({ violationId: violation.id, path: `evidence/${spec.id}/${v.file}`, kind: 'keyframe', bytes: 4 });
    await db.query('UPDATE violations SET created_at = $2 WHERE id = $1', [violation.id, new Date(nowMs - v.ageDays * DAY_MS)]);
    if (v.reviewedBy !== undefined) await new ViolationRepository(db).review({ violationId: violation.id, userId: v.reviewedBy, decision: 'confirmed' });
    ids.push(violation.id);
  }
  return ids;
}
