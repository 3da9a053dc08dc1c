// Episode subjects end to end: a pair and a trio of real workers (the PPE group photo, half of it covered) in a
// forbidden zone are detected, tracked and judged as one episode each; the violation is stored with its subjects
// (count at peak, tracks, first-in/last-out, boxes on the evidence keyframe) and read back through the API, on PGlite
// and on PostgreSQL.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeClip, modelNeedsFor, type ClipAnalysisResult } from '../../services/analysis/index.ts';
import { createFaceFinder, type FaceFinder } from '../../services/analysis/face-finder.ts';
import { createDetector, type Detector } from '../../services/detector/index.ts';
import { ClipRepository, migrate, openPostgres, type Database } from '../../services/core/storage/index.ts';
import { CameraRepository } from '../../services/core/storage/cameras.repository.ts';
import { SopFileRepository } from '../../services/core/storage/sop-files.repository.ts';
import { loadSopText } from '../../services/rules/sop-loader.ts';
import type { CompiledSop } from '../../services/rules/compiled.ts';
import { ClipResultWriter } from '../../services/service/clip-results.ts';
import type { Violation } from '../../services/api/schemas/violation.ts';
import { describeFootage, footage, tempDir } from '../fixtures/media.ts';
import { apiFixture, USERS, type ApiFixture } from './api-fixture.ts';
import { floorSopYaml } from '../fixtures/floor-sop.ts';

const GROUP = footage('aws_ppe-image-group.jpg');
const PG_URL = 'postgres://postgres@127.0.0.1:5432/test';

const SOP_YAML = floorSopYaml('counter-1');

/** Four workers in the photo; a grey box hides the ones left out: the left two (pair) or the right three (trio). */
const CASES = [
  { name: 'pair', count: 2, cover: 'drawbox=x=iw*0.505:y=0:w=iw:h=ih:color=gray:t=fill' },
  { name: 'trio', count: 3, cover: 'drawbox=x=0:y=0:w=iw*0.325:h=ih:color=gray:t=fill' },
] as const;

describeFootage('a pair and a trio in a forbidden zone', [GROUP], () => {
  const tmp = tempDir('subjects');
  let detector: Detector | undefined;
  let faces: FaceFinder | undefined;
  let sop: CompiledSop;
  const clips: Record<string, string> = {};
  // Analysed once (real detector, tracker, rules, evidence), stored on each backend.
  const results: Record<string, ClipAnalysisResult> = {};

  beforeAll(async () => {
    for (const c of CASES) {
      clips[c.name] = join(tmp.dir, `${c.name}.mp4`);
      // The photo read at the clip's own rate: ffmpeg's default of 25 would decode the 1920 px JPEG five times per frame
      // kept, for the same clip byte for byte.
      execFileSync('ffmpeg', ['-v', 'error', '-y', '-loop', '1', '-framerate', '5', '-i', GROUP, '-t', '3', '-r', '5', '-vf', `scale=640:-2,${c.cover}`, '-pix_fmt', 'yuv420p', clips[c.name] as string]);
    }
    const loaded = loadSopText(SOP_YAML, 'no-entry.yaml');
    if (!loaded.ok) throw new Error(loaded.errors.map((e) => e.message).join('; '));
    sop = loaded.sop;
    detector = await createDetector({ needs: modelNeedsFor([sop]), threads: 1 });
    // One face finder for both clips' evidence, as the clip worker keeps one between jobs.
    faces = createFaceFinder();
    for (const c of CASES) {
      results[c.name] = await analyzeClip({ clipPath: clips[c.name] as string, sops: [sop], cameraId: 'counter-1', fps: 2, detector, faces, evidenceDir: join(tmp.dir, 'evidence', c.name) });
    }
  }, 600_000);
  afterAll(async () => {
    await detector?.close();
    await faces?.close();
    tmp.remove();
  });

  const backends: Array<{ name: string; open: () => Promise<{ db?: Database; cleanup: () => Promise<void> }> }> = [
    { name: 'PGlite', open: async () => ({ cleanup: async () => undefined }) },
    {
      name: 'PostgreSQL',
      open: async () => {
        const schema = `sw_${randomBytes(5).toString('hex')}`;
        const admin = openPostgres({ url: PG_URL, max: 1 });
        await admin.exec(`CREATE SCHEMA ${schema}`);
        const db = openPostgres({ url: PG_URL, schema });
        await migrate(db);
        return { db, cleanup: async () => { await db.close(); await admin.exec(`DROP SCHEMA ${schema} CASCADE`); await admin.close(); } };
      },
    },
  ];

  describe.each(backends)('stored on $name', (backend) => {
    let f: ApiFixture;
    let cleanup: () => Promise<void>;
    const stored: Record<string, Violation[]> = {};

    beforeAll(async () => {
      const opened = await backend.open();
      cleanup = opened.cleanup;
      f = await apiFixture(opened.db === undefined ? {} : { db: opened.db });
      const camera = await new CameraRepository(f.db).get(f.a1.cameraId);
      if (camera === undefined) throw new Error('fixture camera missing');
      const file = await new SopFileRepository(f.db).addVersion(f.stores.a1, sop.id, SOP_YAML, sop);
      const writer = new ClipResultWriter(f.db, f.dataDir);
      const owner = await f.login(USERS.owner1);
      for (const c of CASES) {
        const clip = await new ClipRepository(f.db).create({ storeId: f.stores.a1, cameraId: camera.id, filename: `${c.name}.mp4`, path: clips[c.name] as string, bytes: 1 });
        await writer.store(clip, camera, [{ ...file, yaml: SOP_YAML, compiled: sop }], results[c.name] as ClipAnalysisResult);
        const res = await f.call(owner, { method: 'GET', url: `/api/violations?clipId=${encodeURIComponent(clip.id)}` });
        expect(res.statusCode, res.body).toBe(200);
        stored[c.name] = res.json<Violation[]>();
      }
    }, 600_000);
    afterAll(async () => {
      await f?.close();
      await cleanup?.();
    });

    it.each(CASES)('the $name: one violation whose subjects are the $count workers, with their boxes on the evidence', (c) => {
      const list = stored[c.name] ?? [];
      expect(list).toHaveLength(1);
      const v = list[0] as Violation;
      expect(v.message).toContain(`${c.count} at once`);
      expect(v.subjects?.count).toBe(c.count);
      const tracks = v.subjects?.tracks ?? [];
      expect(tracks).toHaveLength(c.count);
      expect(new Set(tracks.map((t) => t.id)).size).toBe(c.count);
      for (const t of tracks) {
        expect(t.id).toMatch(/^p:\d+$/);
        // Still workers: in from the start of the episode, out at its end.
        expect(t.inS).toBeGreaterThanOrEqual(0);
        expect(t.outS).toBeGreaterThan(t.inS);
        expect(t.outS).toBeLessThanOrEqual((v.end ?? 0) - (v.start ?? 0) + 1e-9);
      }
      const frames = v.subjects?.keyframes ?? [];
      expect(frames.length).toBeGreaterThan(0);
      for (const k of frames) {
        expect(v.evidence).toContain(k.evidence);
        expect(k.boxes.map((b) => b.id).sort()).toEqual(tracks.map((t) => t.id).sort());
        for (const { box } of k.boxes) {
          expect(box[2]).toBeGreaterThan(0.1);
          expect(box[3]).toBeGreaterThan(0.4);
        }
        // The covered part holds nobody: the pair stands left of the box, the trio right of it.
        const centres = k.boxes.map(({ box }) => (box[0] ?? 0) + (box[2] ?? 0) / 2);
        for (const x of centres) expect(c.name === 'pair' ? x < 0.505 : x > 0.325).toBe(true);
      }
    });

    it('the single violation reads the same by id', async () => {
      const owner = await f.login(USERS.owner1);
      const v = stored.trio?.[0] as Violation;
      const res = await f.call(owner, { method: 'GET', url: `/api/violations/${encodeURIComponent(v.id)}` });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json<Violation>().subjects).toEqual(v.subjects);
    });
  });
});
