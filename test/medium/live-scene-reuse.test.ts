// Live cameras, end to end through the live worker of `sopwatch serve` (real detector, tracker, rules, face finder,
// PGlite), a snapshot camera double showing real workers (the PPE group photo, part of it covered) and the loopback
// OpenAI double: a forbidden episode of two people is one violation whose subjects (count, tracks, boxes on each
// stored keyframe) are stored; the same still scene seen again after the camera dropped out reuses the rule's last
// answer (no HTTP call), a changed scene (three people) is asked again; the model calls are counted per camera-hour
// in the camera's health and in /metrics' camera families, exactly.
import { EventEmitter, once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createVlmAgent, sceneDifference, type SceneSignature, type VerifyResult, type VlmAgent } from '../../services/agent/index.ts';
import { cameraMetrics } from '../../services/api/camera-metrics.ts';
import { configFromObject } from '../../services/core/config.ts';
import { openDatabase, ViolationRepository, type Database } from '../../services/core/storage/index.ts';
import { CameraStatusRepository } from '../../services/core/storage/camera-status.repository.ts';
import { SopFileRepository } from '../../services/core/storage/sop-files.repository.ts';
import type { SecretBox } from '../../services/core/secrets.ts';
import { seedSnapshotStore } from '../fixtures/snapshot-store.ts';
import { until as pollUntil } from '../fixtures/frame-checks.ts';
import { loadSopText } from '../../services/rules/sop-loader.ts';
import { startLiveWorker, type LiveWorker } from '../../services/service/live-worker.ts';
import { describeFootage, footage } from '../fixtures/media.ts';
import { startOpenAiDouble, type OpenAiDouble } from '../doubles/openai-server.ts';
import { startSnapshotDouble, type SnapshotDouble } from '../doubles/snapshot-server.ts';
import { optInLoopback } from '../doubles/outbound.ts';
import { floorSopYaml } from '../fixtures/floor-sop.ts';

// The doubles listen on 127.0.0.1: opt in to loopback cameras and models as an operator would.
optInLoopback();

const GROUP = footage('aws_ppe-image-group.jpg');
const PASSWORD = 'sc3ne:reuse@pw';
const SOP_YAML = floorSopYaml('dock-1', {
  id: 'dock-floor',
  extraRules: `  - id: gloves
    kind: forbidden
    title: Gloves on the loading floor
    when: { person_in: floor }
    for: 2s
    verify: { question: "Is every person in view wearing gloves on both hands?", expect: yes, frames: 2 }
`,
});
// A stall limit well above a loaded machine's frame gaps: segments end only when the test takes the camera away.
const SETTINGS = { stallMs: 6000, startTimeoutMs: 5000, backoffInitialMs: 200, backoffMaxMs: 1000, evidenceBeforeMs: 2000, evidenceAfterMs: 1000 };

describeFootage('live cameras: episode subjects and scene reuse', [GROUP], () => {
  let db: Database;
  let dataDir: string;
  let cam: SnapshotDouble;
  let model: OpenAiDouble;
  let worker: LiveWorker | undefined;
  let store: string;
  let camera: string;
  /** The pictures the camera can show, as raw RGB. */
  const pictures: Record<'pair' | 'trio', { rgb: Buffer; width: number; height: number }> = { pair: { rgb: Buffer.alloc(0), width: 0, height: 0 }, trio: { rgb: Buffer.alloc(0), width: 0, height: 0 } };
  let showing: 'pair' | 'trio' = 'pair';
  /** The JPEG the camera serves now; each one served, the next is made: a still camera's frames differ by sensor noise. */
  let current: Buffer = Buffer.alloc(0);
  let making: Promise<void> | undefined;
  let seed = 1;
  /** Every answer the worker's agent gave, in order, told as it is given. */
  const answers: VerifyResult[] = [];
  /** The scene sent with each question, in the same order: says why two scenes differ when a test fails. */
  const scenes: Array<SceneSignature | undefined> = [];
  const answered = new EventEmitter();
  const errors: string[] = [];

  /** The picture with ±1 level of noise on every pixel (a new seed each time), as a JPEG: no two frames have the same bytes. */
  async function noisy(which: 'pair' | 'trio'): Promise<Buffer> {
    const { rgb, width, height } = pictures[which];
    const out = Buffer.from(rgb);
    for (let i = 0; i < out.length; i++) {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      out[i] = Math.min(255, Math.max(0, (out[i] ?? 0) + Math.floor((seed / 2_147_483_648) * 3) - 1));
    }
    return sharp(out, { raw: { width, height, channels: 3 } }).jpeg({ quality: 85 }).toBuffer();
  }

  function serve(): Buffer {
    making ??= noisy(showing).then((j) => {
      current = j;
    }).finally(() => {
      making = undefined;
    });
    return current;
  }

  /** Resolves with the `n`th answer (1-based), at once when it was already given. */
  async function answer(n: number): Promise<VerifyResult> {
    while (answers.length < n) await once(answered, 'answer');
    return answers[n - 1] as VerifyResult;
  }

  /** Waits for a condition of what the worker stored; the worker writes on its own clock, so it is read until true. */
  const stored = <T>(what: string, find: () => Promise<T | undefined> | T | undefined, timeoutMs = 120_000): Promise<T> =>
    pollUntil(what, find, timeoutMs, 200, () => `errors: ${errors.join('; ')}`);

  const statusOf = async () => (await new CameraStatusRepository(db).statuses([store])).find((s) => s.cameraId === camera);
  const violations = async () => (await new ViolationRepository(db).list({ storeIds: [store] })).filter((v) => v.rule === 'floor').sort((a, b) => (a.startAt?.getTime() ?? 0) - (b.startAt?.getTime() ?? 0));

  /** The camera drops out (HTTP 500) until the worker reports it offline, then comes back showing `next`. */
  async function dropOut(next: 'pair' | 'trio'): Promise<void> {
    cam.mode = 'error';
    await stored('the camera reported offline', async () => ((await statusOf())?.state !== 'online' ? true : undefined));
    showing = next;
    await making;
    current = await noisy(next);
    cam.mode = 'ok';
  }

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'sopwatch-live-scene-'));
    // Four workers in the photo; a grey box hides the ones left out: the left two (pair) or the right three (trio).
    const base = sharp(GROUP).resize({ width: 640 });
    const { width = 640, height = 427 } = await base.clone().toBuffer({ resolveWithObject: true }).then((r) => r.info);
    const cover = async (left: number, w: number): Promise<{ rgb: Buffer; width: number; height: number }> => {
      const grey = await sharp({ create: { width: Math.round(w), height, channels: 3, background: '#808080' } }).png().toBuffer();
      const png = await base.clone().composite([{ input: grey, left: Math.round(left), top: 0 }]).png().toBuffer();
      const { data, info } = await sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true });
      return { rgb: data, width: info.width, height: info.height };
    };
    pictures.pair = await cover(width * 0.505, width - width * 0.505);
    pictures.trio = await cover(0, width * 0.325);
    current = await noisy('pair');
    cam = await startSnapshotDouble({ jpeg: serve, username: 'admin', password: PASSWORD });
    model = await startOpenAiDouble({ name: 'live-reuse', script: [{ kind: 'answer', answer: 'yes', reason: 'frame 1: gloves on both hands' }] });

    db = await openDatabase({ memory: true });
    let box: SecretBox;
    ({ store, camera, box } = await seedSnapshotStore(db, cam, PASSWORD));
    const loaded = loadSopText(SOP_YAML, 'dock-floor.yaml');
    if (!loaded.ok) throw new Error(loaded.errors.map((e) => e.message).join('; '));
    await new SopFileRepository(db).addVersion(store, loaded.sop.id, SOP_YAML, loaded.sop);

    // The agent `sopwatch serve` builds from sopwatch.yaml, with the default scene reuse; each answer is told to the test.
    const real = createVlmAgent(configFromObject({ vlm: { providers: [{ id: 'live-reuse', baseUrl: model.url, model: 'm', timeoutMs: 30_000 }] } }).vlm, { log: () => undefined });
    const agent: VlmAgent = {
      ...real,
      verify: async (ctx) => {
        const result = await real.verify(ctx);
        scenes.push(ctx.scene);
        answers.push(result);
        answered.emit('answer');
        return result;
      },
    };
    worker = await startLiveWorker({ db, dataDir, secrets: box, agent, settings: SETTINGS, reportEveryMs: 200, refreshMs: 600_000, snapshotEveryMs: 600_000, detectorThreads: 1, onError: (m) => errors.push(m) });
  }, 300_000);

  afterAll(async () => {
    await worker?.stop();
    await cam?.stop();
    await model?.close();
    await db?.close();
    if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true });
  });

  it('two people on the floor: one violation with both subjects, their boxes stored for every keyframe drawn', async () => {
    const first = await answer(1);
    expect(first).toMatchObject({ answer: 'yes', via: 'model' });
    expect(model.log).toHaveLength(1);
    const v = await stored('the pair\'s violation with its keyframes', async () => {
      const [only] = await violations();
      return only !== undefined && only.evidence.length > 0 && (only.subjects?.keyframes.length ?? 0) > 0 ? only : undefined;
    });
    expect(await violations()).toHaveLength(1);
    expect(v.message).toContain('2 at once');
    expect(v.subjects?.count).toBe(2);
    expect(v.subjects?.tracks.map((t) => t.id)).toEqual(['p:1', 'p:2']);
    // One entry per keyframe, each with both people's boxes on the written image (the caption band is below them).
    expect(v.subjects?.keyframes.map((k) => k.evidence).sort()).toEqual([...v.evidence].sort());
    for (const k of v.subjects?.keyframes ?? []) {
      expect(k.boxes.map((b) => b.id).sort()).toEqual(['p:1', 'p:2']);
      for (const { box: [x, y, w, h] } of k.boxes) {
        expect(x).toBeGreaterThanOrEqual(0);
        expect(w).toBeGreaterThan(0.05);
        expect(h).toBeGreaterThan(0.1);
        expect(x + w).toBeLessThanOrEqual(1.001);
        expect(y + h).toBeLessThanOrEqual(1.001);
      }
      // The pair stands in the left half of the picture (the right half is covered).
      expect(Math.max(...k.boxes.map((b) => b.box[0] + b.box[2] / 2))).toBeLessThan(0.55);
      expect(existsSync(join(dataDir, 'evidence', 'live', store, camera, k.evidence))).toBe(true);
    }
  }, 300_000);

  it('the same still scene after the camera dropped out reuses the answer; three people are asked again', async () => {
    await dropOut('pair');
    const second = await answer(2);
    const [a, b] = [scenes[0], scenes[1]];
    const why = a === undefined || b === undefined ? 'no scene sent' : sceneDifference(a, b, { maxAgeMs: 180_000, maxBoxShift: 0.03, maxPixelDiff: 6 });
    expect(second, `${JSON.stringify({ ...second, calls: second.calls.length })}; scenes differ: ${why}; ${JSON.stringify([a?.subjects, b?.subjects])}`).toMatchObject({ answer: 'yes', via: 'reused', calls: [] });
    expect(second.reusedFrom).toBeDefined();
    expect(model.log).toHaveLength(1);

    await dropOut('trio');
    const third = await answer(3);
    expect(third).toMatchObject({ answer: 'yes', via: 'model' });
    expect(model.log).toHaveLength(2);
    // The pair's episode closed when the camera dropped out, the trio's is its own violation of three.
    const trio = await stored('the trio\'s violation', async () => {
      const all = await violations();
      return all.length === 3 && all[2]?.subjects?.count === 3 ? all : undefined;
    });
    expect(trio.map((v) => v.subjects?.count)).toEqual([2, 2, 3]);
    // Its final group: everyone seen in it, first in and last out (a loaded machine's tracker may have lost and found
    // the still pair again under new ids; two at once stays the count).
    expect(trio[0]?.subjects?.tracks.map((t) => t.id).slice(0, 2)).toEqual(['p:1', 'p:2']);
  }, 300_000);

  it('counts questions, model calls and reused answers per camera-hour in the camera\'s health and /metrics', async () => {
    const health = await stored('the third answer in the reported health', async () => {
      const pipeline = (await statusOf())?.health.pipeline as { questions: number; modelCalls: number; reusedAnswers: number; watchedMs: number; modelCallsPerCameraHour: number } | undefined;
      return pipeline !== undefined && pipeline.modelCalls + pipeline.reusedAnswers === 3 ? pipeline : undefined;
    });
    expect(health).toMatchObject({ questions: 3, modelCalls: 2, reusedAnswers: 1 });
    expect(health.watchedMs).toBeGreaterThan(0);
    expect(health.modelCallsPerCameraHour).toBe(Math.round((2 / (health.watchedMs / 3_600_000)) * 100) / 100);
    const families = new Map((await cameraMetrics(db)).map((f) => [f.name, f.samples.find(([labels]) => labels.camera === 'dock-1')?.[1]]));
    expect(families.get('sopwatch_camera_verify_questions_total')).toBe(3);
    expect(families.get('sopwatch_camera_model_calls_total')).toBe(2);
    expect(families.get('sopwatch_camera_model_answers_reused_total')).toBe(1);
    expect(families.get('sopwatch_camera_watched_seconds_total')).toBe(health.watchedMs / 1000);
    expect(families.get('sopwatch_camera_model_calls_per_camera_hour')).toBe(health.modelCallsPerCameraHour);
    expect(errors).toEqual([]);
  }, 300_000);
});
