// `verify` steps end to end: the analysis asks the OpenAI-compatible double about blurred keyframes and reports who decided.
import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeClip, modelNeedsFor, type ClipAnalysisResult } from '../../services/analysis/index.ts';
import { createFaceFinder, type FaceFinder } from '../../services/analysis/face-finder.ts';
import { createVlmAgent } from '../../services/agent/index.ts';
import { configFromObject } from '../../services/core/config.ts';
import { generateSampleClip, SAMPLE_ZONES } from '../../services/demo/index.ts';
import { createDetector, DetectionCache, type Detector } from '../../services/detector/index.ts';
import { loadSopText } from '../../services/rules/sop-loader.ts';
import type { CompiledSop } from '../../services/rules/compiled.ts';
import { startOpenAiDouble, type DoubleRequest } from '../doubles/openai-server.ts';
import { optInLoopback } from '../doubles/outbound.ts';

// The doubles listen on 127.0.0.1: opt in to loopback cameras, webhooks and models as an operator would.
optInLoopback();

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../..');

const zoneYaml = (poly: ReadonlyArray<readonly [number, number]>): string => `[${poly.map(([x, y]) => `[${x}, ${y}]`).join(', ')}]`;

/** A hygiene SOP on the demo kitchen: a detector-only rule and a rule the model must confirm. */
function sopYaml(): string {
  return `id: sink-hygiene
title: Sink hygiene
version: 1
cameras: [demo-1]
zones:
  demo-1:
    sink: ${zoneYaml(SAMPLE_ZONES.sink)}
    prep: ${zoneYaml(SAMPLE_ZONES.prep)}
rules:
  - id: wash-long-enough
    kind: duration
    title: Hands washed for 20 s
    when: { person_in: sink }
    min: 20s
  - id: gloves-at-sink
    kind: forbidden
    title: No bare hands at the sink
    when: { person_in: sink }
    for: 2s
    verify: { question: "Is the person at the sink wearing gloves on both hands?", expect: yes }
    severity: high
`;
}

describe('verify rules answered by an OpenAI-compatible model (loopback double)', () => {
  let dir: string;
  let clipPath: string;
  let faces: Detector;
  /**
   * What the in-process analyses share, as the clip worker shares them between jobs: one detector and one face finder
   * kept warm, and the detector's answers for this clip (the same pixels get the answer the detector gave them, so the
   * second analysis of the same clip at the same rate detects nothing twice; the model's part is what these tests vary).
   */
  let shared: { detector: Detector; faces: FaceFinder; detectionCache: DetectionCache } | undefined;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sopwatch-verify-'));
    // The demo clip's first 24 s: both sink visits (1.8-9.7 s and from 15.5 s), each long enough for the gloves rule
    // (2 s) to ask the model; the second is still open at the end, so the duration rule finds the first alone.
    const whole = (await generateSampleClip(join(dir, 'sample-40s.mp4'))).path;
    clipPath = join(dir, 'sample.mp4');
    await run('ffmpeg', ['-v', 'error', '-i', whole, '-map', '0:v:0', '-t', '24', '-c', 'copy', '-y', clipPath]);
    faces = await createDetector({ needs: { faces: true, persons: false, pose: false, hands: false, objects: false }, threads: 1 });
    shared = {
      detector: await createDetector({ needs: modelNeedsFor(sops()) }),
      faces: createFaceFinder(),
      detectionCache: await DetectionCache.open(join(dir, 'detections.json.gz')),
    };
  }, 300_000);
  afterAll(async () => {
    await faces?.close();
    await shared?.detector.close();
    await shared?.faces.close();
  });

  const sops = (): CompiledSop[] => {
    const loaded = loadSopText(sopYaml(), 'sink-hygiene.yaml');
    expect(loaded.errors).toEqual([]);
    if (!loaded.ok) throw new Error('the test SOP does not load');
    return [loaded.sop];
  };

  it('a hijacked model that always says "passed" cannot remove what the detector found', async () => {
    const double = await startOpenAiDouble({ name: 'hijacked', script: [{ kind: 'injected', answer: 'yes', flagged: false }] });
    try {
      const config = configFromObject({ vlm: { providers: [{ id: 'hijacked', baseUrl: double.url, model: 'm', timeoutMs: 10_000, maxImages: 3, structuredOutput: 'none' }] } });
      const result = await analyzeClip({ clipPath, sops: sops(), agent: createVlmAgent(config.vlm), fps: 2, ...shared });
      // The model was really asked (twice). It did not flag the text in the picture, but its reply shows it followed
      // that text: the answer is not trusted either way, and each case waits for a person.
      expect(result.stats.modelCalls).toBe(2);
      const review = result.needsReview.filter((r) => r.rule === 'gloves-at-sink');
      expect(review.length).toBe(2);
      for (const r of review) expect(r.answer?.answer).toBe('unsure');
      expect(result.violations.filter((v) => v.rule === 'gloves-at-sink')).toEqual([]);
      const detectorFound = result.violations.filter((v) => v.rule === 'wash-long-enough');
      expect(detectorFound.length).toBe(1);
      expect(detectorFound[0]?.decidedBy).toBe('detector');
    } finally {
      await double.close();
    }
  });

  it('with no provider configured, verify rules become needs_review and the rest still works', async () => {
    const result = await analyzeClip({ clipPath, sops: sops(), fps: 2, ...shared });
    expect(result.violations.map((v) => v.rule)).toEqual(['wash-long-enough']);
    const review = result.needsReview.filter((r) => r.rule === 'gloves-at-sink');
    expect(review.length).toBe(2);
    for (const r of review) expect(r.reason).toMatch(/no vision model/);
    expect(result.stats.modelCalls).toBe(0);
  });

  it('sopwatch analyze --config: a "no" becomes a violation decided by the model, with its cost, and no face leaves', async () => {
    const log: DoubleRequest[] = [];
    const double = await startOpenAiDouble({ name: 'double', log, script: [{ kind: 'fenced', answer: 'no', confidence: 0.8, reason: 'frame 1 shows bare hands' }] });
    try {
      const sopPath = join(dir, 'sink-hygiene.yaml');
      await writeFile(sopPath, sopYaml());
      const configPath = join(dir, 'sopwatch.yaml');
      await writeFile(
        configPath,
        `vlm:\n  providers:\n    - id: double\n      baseUrl: ${double.url}\n      model: vision-1\n      apiKeyEnv: DOUBLE_KEY\n      timeoutMs: 10000\n      maxImages: 3\n      structuredOutput: json_object\n      pricePerMTokIn: 0.5\n      pricePerMTokOut: 1.5\n`,
      );
      const { stdout } = await run('node', [join(ROOT, 'bin/sopwatch.mjs'), 'analyze', clipPath, '--sop', sopPath, '--config', configPath, '--quiet', '--fps', '2', '--json'], {
        cwd: ROOT,
        env: { ...process.env, DOUBLE_KEY: 'test-key' },
        timeout: 300_000,
      });
      const result = JSON.parse(stdout) as ClipAnalysisResult;
      const byModel = result.violations.filter((v) => v.rule === 'gloves-at-sink');
      expect(byModel.length).toBe(2); // both sink visits, each asked once
      for (const v of byModel) {
        expect(v.kind).toBe('forbidden');
        expect(v.decidedBy).toBe('vlm:double/vision-1');
        expect(v.confidence).toBeCloseTo(0.8);
        expect(v.evidence.length).toBeGreaterThan(0);
      }
      // The detector's own finding stands beside it.
      expect(result.violations.filter((v) => v.rule === 'wash-long-enough' && v.kind === 'too_short').length).toBe(1);
      expect(result.stats.modelCalls).toBe(2);
      expect(result.stats.costUsd).toBeGreaterThan(0);
      expect(stdout).not.toContain('test-key');
      expect(log.every((r) => r.authorization === 'Bearer test-key')).toBe(true);

      // What left the machine: the keyframes the double received hold no face the detector can find.
      const images = log.flatMap((r) => r.imageBytes);
      expect(images.length).toBeGreaterThanOrEqual(4);
      for (const jpeg of images) {
        const { data, info } = await sharp(jpeg).removeAlpha().raw().toBuffer({ resolveWithObject: true });
        const found = await faces.detect({ cameraId: 'sent', index: 0, tMs: 0, width: info.width, height: info.height, rgb: data });
        expect(found.items.filter((i) => i.kind === 'face')).toEqual([]);
      }
    } finally {
      await double.close();
    }
  });
});
