// Violations stream as they are found: the ClipAnalyse job stores a violation (with its evidence) as soon as its episode
// closes, so it is readable (and on the dashboard's feed, which reads the database) while the clip is still analysed.
// Real PGlite, the generated demo clip's first 24 s (a too-short sink visit ends about 10 s in; the long visit that
// follows from 15.5 s is still open at the end, so it is no violation) and the real detector.
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobName, type JobContext } from '../../services/core/jobs.ts';
import { ClipRepository, openDatabase, type Database } from '../../services/core/storage/index.ts';
import { CameraRepository } from '../../services/core/storage/cameras.repository.ts';
import { SopFileRepository } from '../../services/core/storage/sop-files.repository.ts';
import { StoreRepository } from '../../services/core/storage/stores.repository.ts';
import { generateSampleClip, sampleSop, SAMPLE_CAMERA_ID } from '../../services/demo/index.ts';
import { loadSopText } from '../../services/rules/sop-loader.ts';
import { createClipAnalyseWorker } from '../../services/service/index.ts';

let db: Database;
let dir: string;

beforeAll(async () => {
  db = await openDatabase({ memory: true });
  dir = await mkdtemp(join(tmpdir(), 'sopwatch-stream-'));
}, 120_000);
afterAll(async () => {
  await db?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('clip analysis streams violations', () => {
  it('stores a violation that closes mid-clip before the clip is done', async () => {
    const store = await new StoreRepository(db).create({ name: 'S', franchise: 'F' });
    const camera = await new CameraRepository(db).create({ storeId: store.id, name: SAMPLE_CAMERA_ID });
    const load = loadSopText(sampleSop(), 'demo.yaml');
    if (!load.ok) throw new Error(load.errors.map((e) => e.message).join('; '));
    await new SopFileRepository(db).addVersion(store.id, load.sop.id, sampleSop(), load.sop);
    // The first 24 s (cut at a keyframe, one each 2 s): the violation closes with about half of the clip still to go; the
    // rest of the 40 s (the end of the long visit) would add detector calls and nothing this test reads.
    const sample = await generateSampleClip(join(dir, 'demo-40s.mp4'));
    const path = join(dir, 'demo.mp4');
    execFileSync('ffmpeg', ['-v', 'error', '-i', sample.path, '-map', '0:v:0', '-t', '24', '-c', 'copy', '-y', path]);
    const clips = new ClipRepository(db);
    const clip = await clips.create({ storeId: store.id, cameraId: camera.id, filename: 'demo.mp4', path, bytes: 1 });
    const worker = createClipAnalyseWorker({ db, dataDir: dir, maxAttempts: 1, fps: 3, progressEveryMs: 100 });
    const ctx: JobContext = { name: JobName.ClipAnalyse, jobId: `clip.${clip.id}.a0`, attempt: 1, progress: async () => undefined };

    // Read the database while the job runs, as the API and its feed do.
    let firstSeen: { progress: number; status: string } | undefined;
    let done = false;
    const watch = (async () => {
      while (!done && firstSeen === undefined) {
        const rows = await db.query('SELECT id FROM violations WHERE clip_id = $1', [clip.id]);
        if (rows.rows.length > 0) {
          const now = await clips.get(clip.id, [store.id]);
          firstSeen = { progress: now?.progress ?? -1, status: now?.status ?? '?' };
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    const outcome = await worker.handle({ storeId: store.id, clipId: clip.id }, ctx);
    done = true;
    await watch;

    expect(outcome.status).toBe('success');
    // Seen while the detector was still going through the clip (detection is reported as 0..0.9 of the progress).
    expect(firstSeen).toBeDefined();
    expect(firstSeen?.status).toBe('analysing');
    expect(firstSeen?.progress ?? 1).toBeLessThan(0.85);
    const rows = await db.query('SELECT id FROM violations WHERE clip_id = $1', [clip.id]);
    expect(rows.rows.length).toBe(1);
    const evidence = await db.query('SELECT path FROM evidence WHERE violation_id = $1', [rows.rows[0]?.id]);
    expect(evidence.rows.length).toBeGreaterThan(0);
  }, 900_000);
});
