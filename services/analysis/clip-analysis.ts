// Analyses one recorded clip: frames -> detections -> tracks -> observations -> verdicts, then verify and evidence.
import { stat } from 'node:fs/promises';
import type { Detections, Frame, ReviewItem, SequenceRun, VerifyRequest, Violation } from '../core/contracts.ts';
import type { CompiledSop } from '../rules/compiled.ts';
import { createRuleEngine, sopsForCamera, type RuleEngine } from '../rules/engine.ts';
import { observe } from '../rules/observe.ts';
import { createDetector, unionNeeds, withCheckModel, type DetectionCache, type Detector } from '../detector/index.ts';
import { FrameStage, masksFor, regionFor, type GateOptions, type StagedFrame } from '../frames/index.ts';
import { STREAMABLE, findStreamGaps, probeClip, readArrival, readClipFrames } from '../ingester/index.ts';
import { damageSegments, type DamageSegments, type NotAnalysed } from './damaged-spans.ts';
import type { VlmAgent } from '../agent/index.ts';
import { resolveCamera } from './camera.ts';
import { modelNeedsFor } from './detector-needs.ts';
import { answerVerifyRequests } from './verify.ts';
import { prepareThumbnail, timelineTimes, writeTimeline, writeViolationEvidence, type EvidenceContext, type FrameSource } from './evidence.ts';
import { createFaceFinder, FACE_FINDER_NEEDS, type FaceFinder } from './face-finder.ts';
import { FrameRing } from './frame-ring.ts';
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
  /** A detector to use (tests and the clip worker share one); otherwise one is created for the needed models and closed after. */
  detector?: Detector;
  /**
   * The detector's kept answers for this clip: only pixels they lack go to a detector (`detector` when given, else
   * one started on the first of them). The caller saves the cache after the run.
   */
  detectionCache?: DetectionCache;
  /** Finds the faces blurred in evidence (the clip worker keeps one warm); otherwise one is created and closed after. */
  faces?: FaceFinder;
  /** Answers `verify` steps; without one they become `needs_review`. */
  agent?: VlmAgent;
  /**
   * Called for each violation as soon as it closes (its episode ended), with its keyframes already written:
   * well before the clip ends. Every violation is still in the result too.
   */
  onViolation?: (v: ViolationJson) => Promise<void> | void;
  /** The motion gate of the frame stage; `{ enabled: false }` sends every frame to the detector. */
  gate?: GateOptions;
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
  /** Stretches with no usable video (a damaged middle, or what never arrived of an upload): not analysed, never compliant. */
  notAnalysed?: NotAnalysed[];
  /** The clip was analysed while its upload arrived: how much came, and whether the upload completed. */
  arrival?: { complete: boolean; bytes: number; totalBytes?: number };
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
    /** Frames decoded and sampled, frames with motion near the zones, frames the detector saw (its calls). */
    framesDecoded?: number;
    motionFrames?: number;
    detectorCalls?: number;
    /** Why the detector ran, per reason (see `ProbeReason`), and `fill` for the calls that located a change. */
    detectorReasons?: Record<string, number>;
    /**
     * Frames where the pose model checked that the persons found before were still there, instead of a detector call
     * (services/frames/still-check.ts), and how many of those checks held (the others were detected as well).
     */
    personChecks?: number;
    personChecksHeld?: number;
    /** Wall time of each stage after detection, ms. */
    verifyMs?: number;
    /** Wall time of the evidence work (keyframes, thumbnails, timeline), ms: the thumbnails' part runs beside the detection. */
    evidenceMs?: number;
    /** What the analysis spent on evidence after its detection ended (last keyframes, thumbnails left, timeline), ms. */
    evidenceAfterMs?: number;
    /** Keyframes (evidence, model questions) decoded again from the clip: the frames kept as they passed lacked their time. */
    keyframesDecodedAgain?: number;
    /** Frames kept for keyframes as they passed (none without evidence or an agent to ask). */
    framesKept?: number;
    /** Frames whose motion picture came from the decoder's second output (Frame.gray), not shrunk in JavaScript. */
    motionFromDecoder?: number;
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
          // Who came in after the violation was raised, up to the last one out.
          if (v.subjects !== undefined) open.subjects = [...v.subjects];
          if (v.count !== undefined) open.count = v.count;
          if (v.spans !== undefined) open.spans = v.spans.map((s) => ({ ...s }));
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
  // A clip whose upload is still arriving is read as it grows (streamable formats only: see ingester/arrival.ts).
  const arriving = await readArrival(options.clipPath);
  let info = await probeClip(options.clipPath);
  const growing = arriving !== undefined && STREAMABLE.has(info.container);
  // What has arrived says how long the whole will be, roughly (for progress only).
  const arrivedBytes = growing ? Math.max(1, (await stat(options.clipPath)).size) : 1;
  const expectedMs = growing ? Math.max(info.durationMs, (info.durationMs * arriving.totalBytes) / arrivedBytes) : info.durationMs;
  const camera = resolveCamera(options.sops, options.cameraId);
  const sops = sopsForCamera(options.sops, camera);
  if (sops.length === 0) throw new InputError(`no SOP file applies to camera "${camera}"`);

  const makeEngines = () => sops.map((sop) => {
    const engine = createRuleEngine([sop], { cameraId: camera, clockOriginMs: options.startAtMs });
    return { sop, engine, zones: engine.zonesFor(sop) };
  });
  let engines = makeEngines();
  // Across a damaged stretch the rules start over, as after a camera outage: nothing is carried over the hole. A file
  // still arriving is checked for damage once it is whole (its spans are then reported, see below).
  // The scan runs while the decoder starts; the first frame waits for it.
  const damageScan = growing ? Promise.resolve(damageSegments([])) : findStreamGaps(info).then(damageSegments);
  damageScan.catch(() => undefined);
  let damage: DamageSegments | undefined;
  const needs = modelNeedsFor(sops);
  // With evidence to draw and neither detector nor face finder given, one pool serves both (the rules and the face
  // finder each see only their models, as views): each model loads once, and two threads instead of four share the
  // cores (BENCHMARKS.md, "Seventh session").
  const shared =
    options.detector === undefined && options.faces === undefined && options.detectionCache === undefined && options.evidenceDir !== undefined
      ? await createDetector({ needs: unionNeeds(needs, FACE_FINDER_NEEDS) })
      : undefined;
  // A pool of the rules' own loads the pose model too where they want persons alone: the frame stage checks persons
  // already found with it (services/frames/still-check.ts).
  const own =
    shared === undefined && options.detector === undefined && options.detectionCache === undefined ? await createDetector({ needs: withCheckModel(needs) }) : undefined;
  const detector =
    shared !== undefined
      ? shared.view(needs)
      : own !== undefined
        ? own.view(needs)
        : options.detector === undefined
          ? (options.detectionCache as DetectionCache).detector(needs)
          : (options.detectionCache?.over(options.detector, needs) ?? options.detector);
  const stage = new FrameStage({
    cameraId: camera,
    detector,
    region: regionFor(engines),
    masks: masksFor(sops, camera),
    ...(options.gate === undefined ? {} : { gate: options.gate }),
    // One call per thread still running while the stage reads on to its next probe (with one fewer, a thread waits for
    // the frames up to it: the person clip took 8 % longer, BENCHMARKS.md).
    lookahead: Math.max(0, detector.threads),
  });
  const detections = new Map<number, Detections>();
  const collected: Collected = { violations: new Map(), reviews: new Map(), runs: new Map(), pending: [], owner: new Map() };
  // Decode once: keyframes come from the frames decoded here (the timeline's thumbnails are kept as they pass).
  const pins = options.evidenceDir === undefined || growing ? [] : timelineTimes(info.durationMs);
  const ring = new FrameRing(options.clipPath, { pinned: pins });
  const keyframes: FrameSource = (tMs, cameraId) => ring.at(tMs, cameraId);
  const faces = options.faces ?? createFaceFinder(shared === undefined ? {} : { shared });
  const evidenceCtx: EvidenceContext | undefined =
    options.evidenceDir === undefined
      ? undefined
      : {
          dir: options.evidenceDir,
          frames: keyframes,
          faces,
          zonesBySop: new Map(engines.map((e) => [e.sop.id, e.zones])),
          rules: new Map(sops.flatMap((s) => s.rules.map((r) => [`${s.id}/${r.id}`, r] as const))),
          detections,
        };
  const evidenceErrors: string[] = [];
  const streamed = new Set<string>();
  let verifyMs = 0;
  let evidenceMs = 0;
  let evidenceAfterMs = 0;
  // The timeline's thumbnails are scrubbed beside the detection as their frames pass, one at a time, instead of all
  // after it (on 2 cores the face finder's thread and the detector's share them). A thumbnail that fails is
  // writeTimeline's to report.
  let thumbnailWork: Promise<void> = Promise.resolve();
  const prepare = (ctx: EvidenceContext, tMs: number): void => {
    thumbnailWork = thumbnailWork
      .then(async () => {
        const began = performance.now();
        await prepareThumbnail(ctx, tMs, pins.length);
        evidenceMs += performance.now() - began;
      })
      .catch(() => undefined);
  };
  let nextPin = 0;
  let modelCalls = 0;
  let costUsd = 0;

  let frames = 0;
  let lastTMs = 0;
  // Kept frames serve evidence and the model's questions only: without either, none is kept (the ring encodes one every
  // 400 ms, about 3 CPU ms each: 1 CPU s on the person clip).
  const keepFrames = options.evidenceDir !== undefined || options.agent !== undefined;
  /**
   * A frame as it is decoded (before the frame stage, which holds frames back until their detections are known):
   * kept for keyframes, and the thumbnail whose time it settles is scrubbed now. The last thumbnail's face look then
   * runs beside the last detector calls, not after them.
   */
  const decoded = (frame: Frame): void => {
    if (keepFrames) ring.add(frame);
    // A thumbnail's frame is the nearest to its time: settled once a frame at or past that time has been added.
    for (; evidenceCtx !== undefined && nextPin < pins.length && frame.tMs >= (pins[nextPin] ?? 0); nextPin++) prepare(evidenceCtx, pins[nextPin] ?? 0);
  };
  const handle = (staged: StagedFrame): void => {
    const tracked = staged.detections;
    // Only frames the detector saw: evidence draws their boxes.
    if (staged.detected) detections.set(tracked.frameIndex, tracked);
    for (const { engine, zones } of engines) collect(collected, engine, engine.push(observe(tracked, zones)));
    frames += 1;
    lastTMs = tracked.tMs;
    options.onProgress?.({ phase: 'detect', fraction: Math.min(growing ? 0.99 : 1, tracked.tMs / Math.max(1, expectedMs)), frames, tMs: tracked.tMs });
  };
  /** Answers the questions asked so far, then writes the evidence of each violation that closed and hands it on. */
  const release = async (final: boolean, cutMs?: number): Promise<void> => {
    if (collected.pending.length > 0) {
      const began = performance.now();
      const verify = await answerVerifyRequests({ clipPath: options.clipPath, frames: keyframes, faces, collected, detections, agent: options.agent, fps });
      modelCalls += verify.modelCalls;
      costUsd += verify.costUsd;
      verifyMs += performance.now() - began;
    }
    for (const v of [...collected.violations.values()]) {
      if (streamed.has(v.id) || (v.ongoing === true && !final)) continue;
      streamed.add(v.id);
      // A read that stopped early (an abandoned upload, a broken file): an episode ending near the cut may be an
      // artefact of it, so it is not streamed (the result still lists it, for the caller to judge).
      if (cutMs !== undefined && v.endMs >= cutMs) continue;
      // Inline: the detection waits, so that the alert goes out first (the first alert is what a manager waits for).
      const began = performance.now();
      if (evidenceCtx !== undefined) await writeViolationEvidence(evidenceCtx, v, evidenceErrors);
      evidenceMs += performance.now() - began;
      if (final) evidenceAfterMs += performance.now() - began;
      await options.onViolation?.(violationJson(v, options.startAtMs));
    }
  };
  const ready = (): boolean => collected.pending.length > 0 || [...collected.violations.values()].some((v) => !streamed.has(v.id) && v.ongoing !== true);

  // The probe above serves the decoder too (a growing file is probed again as it grows).
  // Motion's tiny grayscale picture comes from the same ffmpeg as the frame (JavaScript shrank each frame: 0.4 s of the
  // demo's 1.8 s on the main thread).
  const reader = readClipFrames(options.clipPath, { fps, cameraId: camera, signal: options.signal, grayHeight: stage.grayHeight, info, ...(growing ? { growing } : {}) });
  const frameIterator: AsyncIterator<Frame> = reader[Symbol.asyncIterator]();
  // Time spent waiting for ffmpeg's next frame: the decoding cost as the pipeline feels it.
  let decodeMs = 0;
  let read: Awaited<typeof reader.result>;
  let endMs: number;
  let timeline: string | undefined;
  try {
    try {
      // The stage keeps up to one detection per detector thread in flight; frames come out in order.
      for (;;) {
        const waitStart = performance.now();
        const next = await frameIterator.next();
        decodeMs += performance.now() - waitStart;
        if (next.done === true) break;
        const frame = next.value;
        damage ??= await damageScan;
        // Frames ffmpeg repeats over a damaged stretch are no footage.
        if (damage.hides(frame.tMs)) continue;
        // Across a damaged stretch the rules and the tracks start over, as after a camera outage.
        const crossed = damage.crossed(frame.tMs);
        if (crossed !== undefined) {
          for (const staged of await stage.flush()) handle(staged);
          for (const { engine } of engines) collect(collected, engine, engine.finish(crossed.startMs));
          engines = makeEngines();
          stage.restart();
        }
        decoded(frame);
        for (const staged of await stage.push(frame)) handle(staged);
        if (ready()) await release(false);
      }
      for (const staged of await stage.flush()) handle(staged);
    } finally {
      await frameIterator.return?.();
      if (!options.detector) await detector.close();
      await own?.close();
    }
    read = await reader.result;
    damage ??= await damageScan;
    if (growing && read.complete) {
      // Whole now: its real duration, and any damage in it (frames over such a stretch were not told apart while
      // it arrived, so the stretch is reported as not analysed).
      info = { ...info, durationMs: read.durationMs ?? info.durationMs };
      const gaps = damageSegments(await findStreamGaps(info));
      damage.spans.push(...gaps.spans);
    }
    endMs = read.complete ? info.durationMs : lastTMs;
    for (const { engine } of engines) collect(collected, engine, engine.finish(endMs));
    options.onProgress?.({ phase: 'verify', fraction: 1, frames, tMs: endMs });
    await release(true, read.complete ? undefined : (read.stoppedAtMs ?? lastTMs) - 1000);
    if (evidenceCtx !== undefined) {
      options.onProgress?.({ phase: 'evidence', fraction: 1, frames, tMs: endMs });
      const waitStart = performance.now();
      await thumbnailWork;
      const began = performance.now();
      const title = `${options.clipPath.split('/').pop() ?? 'clip'} — ${sops.map((s) => s.title).join(', ')}`;
      timeline = await writeTimeline(evidenceCtx, { violations: [...collected.violations.values()], durationMs: endMs, title }, evidenceErrors);
      evidenceMs += performance.now() - began;
      evidenceAfterMs += performance.now() - waitStart;
    }
  } finally {
    // No thumbnail may still be in work on the face finder when it closes.
    await thumbnailWork;
    if (!options.faces) await faces.close();
    await shared?.close();
  }
  const evidence: ClipAnalysisResult['evidence'] =
    options.evidenceDir === undefined ? { errors: [] } : { dir: options.evidenceDir, ...(timeline === undefined ? {} : { timeline }), errors: evidenceErrors };
  options.onProgress?.({ phase: 'done', fraction: 1, frames, tMs: endMs });
  const staged = stage.stats();
  const verify = { modelCalls, costUsd: Math.round(costUsd * 1e6) / 1e6 };

  const wallMs = performance.now() - wallStart;
  const byTime = <T extends { startMs: number }>(a: T, b: T): number => a.startMs - b.startMs;
  const result: ClipAnalysisResult = {
    clip: options.clipPath,
    camera,
    // An upload that stopped early: what arrived (and was read) is all the clip there is.
    durationS: (growing && !read.complete ? endMs : info.durationMs) / 1000,
    fps,
    frames,
    complete: read.complete,
    violations: [...collected.violations.values()].sort(byTime).map((v) => violationJson(v, options.startAtMs)),
    needsReview: [...collected.reviews.values()].sort(byTime).map(reviewJson),
    notAnalysed: damage.spans,
    ...(read.arrival === undefined ? {} : {
      arrival: { complete: read.arrival.kind === 'complete', bytes: read.arrival.bytes, ...('totalBytes' in read.arrival ? { totalBytes: read.arrival.totalBytes } : {}) },
    }),
    runs: [...collected.runs.values()].sort(byTime).map(runJson),
    evidence,
    stats: {
      wallMs: Math.round(wallMs),
      decodeMs: Math.round(decodeMs),
      detectMs: staged.detectorMs,
      realtimeFactor: Math.round((info.durationMs / Math.max(1, wallMs)) * 100) / 100,
      backend: detector.backend,
      modelCalls: verify.modelCalls,
      costUsd: verify.costUsd,
      callsPerCameraHour: perCameraHour(verify.modelCalls, info.durationMs),
      costPerCameraHourUsd: perCameraHour(verify.costUsd, info.durationMs),
      framesDecoded: staged.frames,
      motionFrames: staged.motionFrames,
      detectorCalls: staged.detectorCalls,
      detectorReasons: { ...staged.probes, fill: staged.fills },
      personChecks: staged.checks,
      personChecksHeld: staged.checksHeld,
      verifyMs: Math.round(verifyMs),
      evidenceMs: Math.round(evidenceMs),
      evidenceAfterMs: Math.round(evidenceAfterMs),
      keyframesDecodedAgain: ring.reDecoded,
      framesKept: ring.kept,
      motionFromDecoder: staged.motionFromDecoder,
    },
  };
  recordModelUsage({ calls: verify.modelCalls, costUsd: verify.costUsd, cameraMs: endMs });
  if (!read.complete) {
    result.stoppedAtS = (read.stoppedAtMs ?? lastTMs) / 1000;
    result.error = read.error ?? 'the clip ended early';
    const a = read.arrival;
    if (a !== undefined && (a.kind === 'abandoned' || a.kind === 'expired')) {
      // What never arrived was never seen: not analysed, whatever it held (its length estimated from the bytes).
      const untilS = Math.max(result.stoppedAtS, (result.stoppedAtS * a.totalBytes) / Math.max(1, a.bytes));
      result.notAnalysed = [...(result.notAnalysed ?? []), {
        start: result.stoppedAtS,
        end: Math.round(untilS * 10) / 10,
        reason: `the upload ${a.kind === 'expired' ? 'expired' : 'was abandoned'} after ${a.bytes} of ${a.totalBytes} bytes: the rest never arrived and was not analysed`,
      }];
    }
  }
  return result;
}
