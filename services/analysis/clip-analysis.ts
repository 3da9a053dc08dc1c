// Analyses one recorded clip: frames -> detections -> tracks -> observations -> verdicts, then verify and evidence.
import type { Detections, Frame, ReviewItem, SequenceRun, VerifyRequest, Violation } from '../core/contracts.ts';
import type { CompiledSop } from '../rules/compiled.ts';
import { createRuleEngine, sopsForCamera, type RuleEngine } from '../rules/engine.ts';
import { observe } from '../rules/observe.ts';
import { createTracker } from '../detector/tracker.ts';
import { createDetector, type Detector } from '../detector/index.ts';
import { findStreamGaps, probeClip, readClipFrames } from '../ingester/index.ts';
import { damageSegments, type NotAnalysed } from './damaged-spans.ts';
import type { VlmAgent } from '../agent/index.ts';
import { resolveCamera } from './camera.ts';
import { modelNeedsFor } from './detector-needs.ts';
import { answerVerifyRequests } from './verify.ts';
import { buildEvidence } from './evidence.ts';
import { reviewJson, runJson, violationJson, type ReviewJson, type RunJson, type ViolationJson } from './violation-json.ts';
import { InputError } from '../core/errors.ts';
import { perCameraHour, recordModelUsage } from '../core/model-usage.ts';

export interface AnalysisProgress {
  phase: 'detect' | 'verify' | 'evidence' | 'done';
  /** 0..1 of the clip analysed so far. */
  fraction: number;
  frames: number;
  tMs: number;
}

export interface ClipAnalysisOptions {
  clipPath: string;
  sops: CompiledSop[];
  cameraId?: string;
  /** Sampling rate; default 5 fps, suited to SOP work. */
  fps?: number;
  /** Wall-clock time of the clip's first frame (epoch ms), so that schedules apply. */
  startAtMs?: number;
  /** Where keyframes and the timeline strip are written; none when absent. */
  evidenceDir?: string;
  /** A detector to use (tests share one); otherwise one is created for the needed models and closed after. */
  detector?: Detector;
  /** Answers `verify` steps; without one they become `needs_review`. */
  agent?: VlmAgent;
  onProgress?: (p: AnalysisProgress) => void;
  signal?: AbortSignal;
}

export interface ClipAnalysisResult {
  clip: string;
  camera: string;
  durationS: number;
  fps: number;
  frames: number;
  complete: boolean;
  stoppedAtS?: number;
  error?: string;
  violations: ViolationJson[];
  needsReview: ReviewJson[];
  /** Stretches with no usable video (a damaged middle): not analysed, never compliant. */
  notAnalysed?: NotAnalysed[];
  runs: RunJson[];
  evidence: { dir?: string; timeline?: string; errors: string[] };
  stats: {
    wallMs: number;
    decodeMs: number;
    detectMs: number;
    realtimeFactor: number;
    backend: string;
    modelCalls: number;
    costUsd: number;
    /** Model calls and cost per hour of this clip's camera time. */
    callsPerCameraHour: number;
    costPerCameraHourUsd: number;
  };
}

/** Everything the engines said, merged across SOP files. */
export interface Collected {
  violations: Map<string, Violation>;
  reviews: Map<string, ReviewItem>;
  runs: Map<string, SequenceRun>;
  pending: VerifyRequest[];
  /** Which engine owns each verify request, to send the answer back. */
  owner: Map<string, RuleEngine>;
}

export function collect(into: Collected, engine: RuleEngine, verdicts: ReturnType<RuleEngine['push']>): void {
  for (const v of verdicts) {
    switch (v.type) {
      case 'violation':
        into.violations.set(v.violation.id, { ...v.violation });
        break;
      case 'violation_end': {
        const open = into.violations.get(v.id);
        if (open) {
          open.endMs = v.endMs;
          delete open.ongoing;
        }
        break;
      }
      case 'needs_review':
        into.reviews.set(v.item.id, v.item);
        break;
      case 'pending_verify':
        into.pending.push(v.request);
        into.owner.set(v.request.id, engine);
        break;
      case 'run':
        into.runs.set(v.run.id, v.run);
        break;
    }
  }
}

export async function analyzeClip(options: ClipAnalysisOptions): Promise<ClipAnalysisResult> {
  const wallStart = performance.now();
  const fps = options.fps ?? 5;
  const info = await probeClip(options.clipPath);
  const camera = resolveCamera(options.sops, options.cameraId);
  const sops = sopsForCamera(options.sops, camera);
  if (sops.length === 0) throw new InputError(`no SOP file applies to camera "${camera}"`);

  const makeEngines = () => sops.map((sop) => {
    const engine = createRuleEngine([sop], { cameraId: camera, clockOriginMs: options.startAtMs });
    return { sop, engine, zones: engine.zonesFor(sop) };
  });
  let engines = makeEngines();
  // Across a damaged stretch the rules start over, as after a camera outage: nothing is carried over the hole.
  const damage = damageSegments(await findStreamGaps(info));
  const detector = options.detector ?? (await createDetector({ needs: modelNeedsFor(sops) }));
  let tracker = createTracker();
  const detections = new Map<number, Detections>();
  const collected: Collected = { violations: new Map(), reviews: new Map(), runs: new Map(), pending: [], owner: new Map() };

  let frames = 0;
  let detectMs = 0;
  let lastTMs = 0;
  const handle = (d: Detections): void => {
    const crossed = damage.crossed(d.tMs);
    if (crossed !== undefined) {
      for (const { engine } of engines) collect(collected, engine, engine.finish(crossed.startMs));
      engines = makeEngines();
      tracker = createTracker();
    }
    const tracked = tracker.update(d);
    detections.set(tracked.frameIndex, tracked);
    detectMs += tracked.inferenceMs;
    for (const { engine, zones } of engines) collect(collected, engine, engine.push(observe(tracked, zones)));
    frames += 1;
    lastTMs = tracked.tMs;
    options.onProgress?.({ phase: 'detect', fraction: Math.min(1, tracked.tMs / Math.max(1, info.durationMs)), frames, tMs: tracked.tMs });
  };

  const reader = readClipFrames(options.clipPath, { fps, cameraId: camera, signal: options.signal });
  const frameIterator: AsyncIterator<Frame> = reader[Symbol.asyncIterator]();
  // Time spent waiting for ffmpeg's next frame: the decoding cost as the pipeline feels it.
  let decodeMs = 0;
  try {
    // Keep one frame per detector thread in flight so both cores work; results are consumed in order.
    const inflight: Array<Promise<Detections>> = [];
    for (;;) {
      const waitStart = performance.now();
      const next = await frameIterator.next();
      decodeMs += performance.now() - waitStart;
      if (next.done === true) break;
      const frame = next.value;
      // Frames ffmpeg repeats over a damaged stretch are no footage.
      if (damage.hides(frame.tMs)) continue;
      const p = detector.detect(frame);
      p.catch(() => undefined);
      inflight.push(p);
      if (inflight.length >= Math.max(1, detector.threads)) handle(await (inflight.shift() as Promise<Detections>));
    }
    while (inflight.length > 0) handle(await (inflight.shift() as Promise<Detections>));
  } finally {
    await frameIterator.return?.();
    if (!options.detector) await detector.close();
  }
  const read = await reader.result;
  const endMs = read.complete ? info.durationMs : lastTMs;
  for (const { engine } of engines) collect(collected, engine, engine.finish(endMs));

  options.onProgress?.({ phase: 'verify', fraction: 1, frames, tMs: endMs });
  const verify = await answerVerifyRequests({ clipPath: options.clipPath, collected, detections, agent: options.agent, fps });

  let evidence: ClipAnalysisResult['evidence'] = { errors: [] };
  if (options.evidenceDir !== undefined) {
    options.onProgress?.({ phase: 'evidence', fraction: 1, frames, tMs: endMs });
    evidence = await buildEvidence({
      clipPath: options.clipPath,
      dir: options.evidenceDir,
      violations: [...collected.violations.values()],
      zonesBySop: new Map(engines.map((e) => [e.sop.id, e.zones])),
      rules: new Map(sops.flatMap((s) => s.rules.map((r) => [`${s.id}/${r.id}`, r] as const))),
      detections,
      durationMs: endMs,
      title: `${options.clipPath.split('/').pop() ?? 'clip'} — ${sops.map((s) => s.title).join(', ')}`,
    });
  }
  options.onProgress?.({ phase: 'done', fraction: 1, frames, tMs: endMs });

  const wallMs = performance.now() - wallStart;
  const byTime = <T extends { startMs: number }>(a: T, b: T): number => a.startMs - b.startMs;
  const result: ClipAnalysisResult = {
    clip: options.clipPath,
    camera,
    durationS: info.durationMs / 1000,
    fps,
    frames,
    complete: read.complete,
    violations: [...collected.violations.values()].sort(byTime).map((v) => violationJson(v, options.startAtMs)),
    needsReview: [...collected.reviews.values()].sort(byTime).map(reviewJson),
    notAnalysed: damage.spans,
    runs: [...collected.runs.values()].sort(byTime).map(runJson),
    evidence,
    stats: {
      wallMs: Math.round(wallMs),
      decodeMs: Math.round(decodeMs),
      detectMs: Math.round(detectMs),
      realtimeFactor: Math.round((info.durationMs / Math.max(1, wallMs)) * 100) / 100,
      backend: detector.backend,
      modelCalls: verify.modelCalls,
      costUsd: verify.costUsd,
      callsPerCameraHour: perCameraHour(verify.modelCalls, info.durationMs),
      costPerCameraHourUsd: perCameraHour(verify.costUsd, info.durationMs),
    },
  };
  recordModelUsage({ calls: verify.modelCalls, costUsd: verify.costUsd, cameraMs: endMs });
  if (!read.complete) {
    result.stoppedAtS = (read.stoppedAtMs ?? lastTMs) / 1000;
    result.error = read.error ?? 'the clip ended early';
  }
  return result;
}
