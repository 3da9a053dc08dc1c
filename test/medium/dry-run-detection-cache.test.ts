// The dry run reuses what the worker's analysis of the clip detected (services/detector/detection-cache.ts): real
// models on the generated kitchen clip, real ffmpeg, PGlite. The runs without a cache that the cached ones are
// compared with use one detector thread, so that they too pick their frames whatever the detector's speed (as every
// run through the cache does); a cached run must then give exactly what an uncached one gives.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { analyzeClip } from '../../services/analysis/index.ts';
import type { Detection, Frame } from '../../services/core/contracts.ts';
import { env } from '../../services/core/env.ts';
import { JobName } from '../../services/core/jobs.ts';
import { ClipRepository, ViolationRepository } from '../../services/core/storage/index.ts';
import { CameraRepository } from '../../services/core/storage/cameras.repository.ts';
import { RetentionRepository } from '../../services/core/storage/retention.repository.ts';
import { SopFileRepository } from '../../services/core/storage/sop-files.repository.ts';
import { generateSampleClip, SAMPLE_CAMERA_ID, sampleSop } from '../../services/demo/index.ts';
import { createDetector, DetectionCache, DETECTION_CACHE_FILE, type DetectorNeeds } from '../../services/detector/index.ts';
import { cropFrame } from '../../services/frames/region.ts';
import { readClipFrames } from '../../services/ingester/index.ts';
import { sweepRetention } from '../../services/privacy/retention.ts';
import { loadSopText } from '../../services/rules/sop-loader.ts';
import { createClipAnalyseWorker } from '../../services/service/index.ts';
import { apiFixture, SOP_YAML, USERS, type ApiFixture, type Session } from './api-fixture.ts';

interface DryRunBody {
  frames: number;
  violations: Array<{ sop: string; rule: string; kind: string; start: number; end: number }>;
  changes: { undecidedKept: number; added: unknown[] };
  stats: { wallMs: number; detectorCalls: number; cachedDetections: number };
}

/** The sink moved 0.05 to the right: alone on a camera, another region, so every crop the detector gets is new. */
const MOVED = (yaml: string): string => {
  const moved = yaml.replace('sink: [[0.03, 0.64], [0.38, 0.64], [0.40, 1.00], [0.01, 1.00]]', 'sink: [[0.08, 0.64], [0.43, 0.64], [0.45, 1.00], [0.06, 1.00]]');
  if (moved === yaml) throw new Error('the demo SOP file changed: update the zone this test moves');
  return moved;
};
const spans = (vs: ReadonlyArray<{ rule: string; kind: string; start: number; end: number }>): string[] => vs.map((v) => `${v.rule}:${v.kind}:${v.start}-${v.end}`).sort();

describe('dry run on the detections the worker kept', () => {
  let f: ApiFixture;
  let manager: Session;
  let work: string;
  let clipPath: string;
  let clipId: string;
  let cachePath: string;
  let storedSpans: string[];

  beforeAll(async () => {
    vi.stubEnv('SOPWATCH_DETECTOR_THREADS', '1');
    expect(env().detectorThreads).toBe(1);
    f = await apiFixture();
    manager = await f.login(USERS.managerA);
    work = await mkdtemp(join(tmpdir(), 'sopwatch-dry-cache-'));
    // The first 15 s of the demo clip: the short hand wash (1.8-9.7 s) and the walk to the prep table.
    const full = join(work, 'kitchen-40s.mp4');
    await generateSampleClip(full);
    clipPath = join(f.dataDir, 'clips', 'kitchen.mp4');
    execFileSync('ffmpeg', ['-v', 'error', '-y', '-i', full, '-t', '15', '-c', 'copy', clipPath]);
    const camera = await new CameraRepository(f.db).create({ storeId: f.stores.a1, name: SAMPLE_CAMERA_ID });
    const load = loadSopText(sampleSop(), 'demo.yaml');
    if (!load.ok) throw new Error('the demo SOP file is invalid');
    await new SopFileRepository(f.db).addVersion(f.stores.a1, load.sop.id, sampleSop(), load.sop);
    const clip = await new ClipRepository(f.db).create({ storeId: f.stores.a1, cameraId: camera.id, filename: 'kitchen.mp4', path: clipPath, bytes: 1 });
    clipId = clip.id;
    cachePath = join(f.dataDir, 'evidence', clipId, DETECTION_CACHE_FILE);

    const worker = createClipAnalyseWorker({ db: f.db, dataDir: f.dataDir, maxAttempts: 1 });
    const outcome = await worker.handle({ storeId: f.stores.a1, clipId }, { name: JobName.ClipAnalyse, jobId: 'clip.x.a0', attempt: 1, progress: async () => undefined });
    expect(outcome).toEqual({ status: 'success' });
    // The fixture's counter SOP file applies to every camera: the worker ran both files, and so does the dry run.
    const stored = await new ViolationRepository(f.db).list({ storeIds: [f.stores.a1], clipId, sopId: load.sop.id, limit: 100 });
    storedSpans = spans(stored.map((v) => ({ rule: v.rule, kind: v.kind, start: v.startS ?? -1, end: v.endS ?? -1 })));
    expect(storedSpans).toHaveLength(1);
    expect(existsSync(cachePath)).toBe(true);
  }, 300_000);

  afterAll(async () => {
    vi.unstubAllEnvs();
    await f?.close();
    await rm(work, { recursive: true, force: true });
  });

  const dryRun = async (yaml: string): Promise<DryRunBody> => {
    const res = await f.call(manager, { method: 'POST', url: `/api/stores/${f.stores.a1}/sops/dry-run`, payload: { yaml, clipId } });
    expect(res.statusCode, res.body).toBe(200);
    return res.json<DryRunBody>();
  };

  it('the same SOP file: not one detector call, and the violations the worker stored', async () => {
    const body = await dryRun(sampleSop());
    expect(body.stats.detectorCalls).toBe(0);
    expect(body.stats.cachedDetections).toBeGreaterThan(10);
    expect(spans(body.violations)).toEqual(storedSpans);
    expect(body.changes).toMatchObject({ undecidedKept: 1, added: [] });
  });

  it('a damaged cache file is ignored: every frame is detected, the result is the same, and the file is whole again', async () => {
    const whole = await readFile(cachePath);
    await writeFile(cachePath, whole.subarray(0, Math.floor(whole.length / 2)));
    expect((await DetectionCache.open(cachePath)).stats()).toMatchObject({ file: 'ignored', entries: 0 });
    const body = await dryRun(sampleSop());
    // Only pixels seen earlier in this same run (a still scene) are answered without the detector.
    expect(body.stats.detectorCalls).toBeGreaterThan(10);
    expect(body.stats.cachedDetections).toBeLessThan(3);
    expect(spans(body.violations)).toEqual(storedSpans);
    expect((await DetectionCache.open(cachePath)).stats()).toMatchObject({ file: 'loaded' });
    expect((await dryRun(sampleSop())).stats.detectorCalls).toBe(0);
  }, 180_000);

  /**
   * A run without any cache of these SOP files, and the draft's violations in it. Its detector answers: calls and the
   * frame stage's checks of persons already found (each a lookup in a cached run).
   */
  const uncached = async (draft: string, beside: string[]): Promise<{ spans: string[]; detectorCalls: number }> => {
    const loads = [...beside, draft].map((yaml) => loadSopText(yaml, 'x.yaml'));
    const sops = loads.flatMap((l) => (l.ok ? [l.sop] : []));
    if (sops.length !== loads.length) throw new Error('a SOP file of the test is invalid');
    const run = await analyzeClip({ clipPath, sops, cameraId: SAMPLE_CAMERA_ID });
    const mine = run.violations.filter((v) => v.sop === sops.at(-1)?.id);
    expect(mine.length).toBeGreaterThan(0);
    return { spans: spans(mine), detectorCalls: (run.stats.detectorCalls ?? -1) + (run.stats.personChecks ?? 0) };
  };

  it('moved zones beside a whole-picture SOP file: the same whole frames, so only what the new zones add is detected', async () => {
    const draft = MOVED(sampleSop());
    const body = await dryRun(draft);
    const plain = await uncached(draft, [SOP_YAML]);
    expect(spans(body.violations)).toEqual(plain.spans);
    expect(body.stats.detectorCalls + body.stats.cachedDetections).toBe(plain.detectorCalls);
    expect(body.stats.cachedDetections).toBeGreaterThan(body.stats.detectorCalls);
  }, 240_000);

  it('moved zones alone on the camera: new crops, detected (and kept), with the result of a run without any cache', async () => {
    // The counter file now watches its own camera only: the draft's region is its zones, cropped.
    const res = await f.call(manager, { method: 'PUT', url: `/api/stores/${f.stores.a1}/sops/counter-staffed/enablement`, payload: { enabled: true, cameraIds: [f.a1.cameraId] } });
    expect(res.statusCode, res.body).toBe(200);
    const draft = MOVED(sampleSop());
    const first = await dryRun(draft);
    expect(first.stats.detectorCalls).toBeGreaterThan(10);
    const plain = await uncached(draft, []);
    expect(spans(first.violations)).toEqual(plain.spans);
    expect(first.stats.detectorCalls + first.stats.cachedDetections).toBe(plain.detectorCalls);
    // The next dry run of that draft finds the new crops kept.
    const again = await dryRun(draft);
    expect(again.stats.detectorCalls).toBe(0);
    expect(spans(again.violations)).toEqual(plain.spans);
  }, 240_000);

  it('kept answers are the real detector\'s, and answers made for more needs are exactly those made for fewer', async () => {
    const frames: Frame[] = [];
    for await (const frame of readClipFrames(clipPath, { fps: 5, cameraId: 'cam' })) if ([3, 12, 30, 50].includes(frame.index)) frames.push(frame);
    // Whole frames and the crops the frame stage would give.
    const inputs = [...frames, ...frames.map((fr) => cropFrame(fr, [0, 0, 0.55, 1]).frame)];
    const path = join(work, 'exact', DETECTION_CACHE_FILE);
    const rich: DetectorNeeds = { persons: true, pose: true, hands: true, objects: true, faces: false };
    const filling = await DetectionCache.open(path);
    const det = filling.detector(rich);
    const real: Detection[][] = [];
    for (const input of inputs) real.push((await det.detect(input)).items);
    await det.close();
    expect(real.some((items) => items.some((d) => d.kind === 'person' && d.keypoints !== undefined))).toBe(true);
    await filling.save();

    const never = async (): Promise<never> => {
      throw new Error('the detector was started although every answer is kept');
    };
    const kept = await DetectionCache.open(path, { start: never });
    const cached = kept.detector(rich);
    for (const [i, input] of inputs.entries()) expect((await cached.detect(input)).items).toEqual(real[i]);

    const persons: DetectorNeeds = { persons: true, pose: false, hands: false, objects: false, faces: false };
    const narrow = kept.detector(persons);
    const plain = await createDetector({ needs: persons, threads: 1 });
    try {
      for (const input of inputs) expect((await narrow.detect(input)).items).toEqual((await plain.detect(input)).items);
    } finally {
      await plain.close();
    }
    expect(kept.stats()).toMatchObject({ misses: 0, started: false });
  }, 180_000);

  it('goes with the clip: deleting the clip deletes it, and so does the retention sweep', async () => {
    const res = await f.call(manager, { method: 'DELETE', url: `/api/clips/${clipId}` });
    expect(res.statusCode, res.body).toBe(200);
    expect(existsSync(cachePath)).toBe(false);

    const clip = await new ClipRepository(f.db).create({ storeId: f.stores.a1, filename: 'old.mp4', path: join(f.dataDir, 'clips', 'old.mp4'), bytes: 1, cameraId: f.a1.cameraId });
    const old = join(f.dataDir, 'evidence', clip.id, DETECTION_CACHE_FILE);
    await writeFile(join(f.dataDir, 'clips', 'old.mp4'), 'x');
    await mkdir(join(f.dataDir, 'evidence', clip.id), { recursive: true });
    await writeFile(old, 'a cache file');
    await new RetentionRepository(f.db).setPolicy(f.stores.a1, { footageDays: 1 });
    await sweepRetention({ db: f.db, dataDir: f.dataDir, clock: () => Date.now() + 3 * 86_400_000 }, { storeId: f.stores.a1 });
    expect(existsSync(old)).toBe(false);
  }, 120_000);
});
