// Model calls per camera-hour for clips, counted exactly: a clip analysis of real workers (the PPE group photo held 3 s)
// with a verify rule asks once, the loopback OpenAI double gets one HTTP call, and the same figures appear in the report
// and in /metrics (process counters for clips); the live cameras' figures, as a worker reports them, appear in /metrics
// per camera.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createVlmAgent } from '../../services/agent/index.ts';
import { analyzeClip, formatReport, type ClipAnalysisResult } from '../../services/analysis/index.ts';
import { configFromObject } from '../../services/core/config.ts';
import { CameraStatusRepository } from '../../services/core/storage/camera-status.repository.ts';
import { loadSopText } from '../../services/rules/sop-loader.ts';
import { startOpenAiDouble, type OpenAiDouble } from '../doubles/openai-server.ts';
import { optInLoopback } from '../doubles/outbound.ts';
import { describeFootage, footage, tempDir } from '../fixtures/media.ts';
import { apiFixture, type ApiFixture } from './api-fixture.ts';

// The model double listens on 127.0.0.1: opt in to loopback as an operator would for a local model.
optInLoopback();

const GROUP = footage('aws_ppe-image-group.jpg');
const TOKEN = 'metrics-calls-token';
const SOP_YAML = `id: gloves
title: Gloves on the floor
version: 1
cameras: [counter-1]
zones:
  counter-1:
    floor: [[0, 0], [1, 0], [1, 1], [0, 1]]
rules:
  - id: gloves
    kind: forbidden
    when: { person_in: floor }
    for: 1s
    verify: { question: "Is every person in view wearing gloves on both hands?", expect: yes, frames: 2 }
`;

describeFootage('model calls per camera-hour in the report and /metrics', [GROUP], () => {
  const tmp = tempDir('calls-metrics');
  let f: ApiFixture;
  let model: OpenAiDouble;
  let result: ClipAnalysisResult;
  /** A sample of /metrics without labels, as a number. */
  const sample = (body: string, name: string): number => {
    const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(body);
    if (m === null) throw new Error(`${name} missing from /metrics`);
    return Number(m[1]);
  };
  const metrics = async (): Promise<string> => {
    const res = await f.call(undefined, { method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.statusCode, res.body).toBe(200);
    return res.body;
  };
  let before: string;

  beforeAll(async () => {
    f = await apiFixture({ config: { metricsToken: TOKEN } });
    model = await startOpenAiDouble({ name: 'calls', script: [{ kind: 'answer', answer: 'yes', reason: 'frame 1: gloves on both hands' }] });
    const clip = join(tmp.dir, 'group.mp4');
    execFileSync('ffmpeg', ['-v', 'error', '-y', '-loop', '1', '-i', GROUP, '-t', '3', '-r', '5', '-vf', 'scale=640:-2', '-pix_fmt', 'yuv420p', clip]);
    const loaded = loadSopText(SOP_YAML, 'gloves.yaml');
    if (!loaded.ok) throw new Error(loaded.errors.map((e) => e.message).join('; '));
    const agent = createVlmAgent(configFromObject({ vlm: { providers: [{ id: 'calls', baseUrl: model.url, model: 'm', timeoutMs: 30_000 }] } }).vlm, { log: () => undefined });
    before = await metrics();
    result = await analyzeClip({ clipPath: clip, sops: [loaded.sop], cameraId: 'counter-1', fps: 2, agent });
  }, 600_000);

  afterAll(async () => {
    await f?.close();
    await model?.close();
    tmp.remove();
  });

  it('a clip: one question, one HTTP call, the same count in the report and the process counters of /metrics', async () => {
    expect(model.log).toHaveLength(1);
    expect(result.stats.modelCalls).toBe(1);
    const perHour = Math.round((1 / (result.durationS / 3600)) * 100) / 100;
    expect(result.stats.callsPerCameraHour).toBe(perHour);
    expect(formatReport(result)).toContain(`model calls: 1 (${perHour} per camera-hour)`);
    const after = await metrics();
    expect(sample(after, 'sopwatch_model_calls_total') - sample(before, 'sopwatch_model_calls_total')).toBe(1);
    const seconds = sample(after, 'sopwatch_camera_seconds_analysed_total');
    expect(Math.round((seconds - sample(before, 'sopwatch_camera_seconds_analysed_total')) * 1000)).toBe(Math.round(result.durationS * 1000));
    expect(sample(after, 'sopwatch_model_calls_per_camera_hour')).toBe(Math.round((sample(after, 'sopwatch_model_calls_total') / (seconds / 3600)) * 100) / 100);
    expect(sample(after, 'sopwatch_model_cost_usd_total')).toBeCloseTo(sample(before, 'sopwatch_model_cost_usd_total') + result.stats.costUsd, 6);
  });

  it('a live camera: what its worker reported, per camera', async () => {
    const pipeline = { watchedMs: 1_800_000, questions: 6, modelCalls: 4, reusedAnswers: 2, modelCostUsd: 0.0125, modelCallsPerCameraHour: 8 };
    await new CameraStatusRepository(f.db).report([{ cameraId: f.a1.cameraId, storeId: f.stores.a1, workerId: 'w-1', state: 'online', health: { state: 'online', pipeline } }]);
    const body = await metrics();
    const at = `{store="${f.stores.a1}",camera="counter-1"}`;
    expect(body).toContain(`sopwatch_camera_watched_seconds_total${at} 1800\n`);
    expect(body).toContain(`sopwatch_camera_verify_questions_total${at} 6\n`);
    expect(body).toContain(`sopwatch_camera_model_calls_total${at} 4\n`);
    expect(body).toContain(`sopwatch_camera_model_answers_reused_total${at} 2\n`);
    expect(body).toContain(`sopwatch_camera_model_cost_usd_total${at} 0.0125\n`);
    expect(body).toContain(`sopwatch_camera_model_calls_per_camera_hour${at} 8\n`);
  });
});
