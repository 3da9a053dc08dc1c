// The live pipeline of one camera: frames -> detector -> tracker -> observe -> rule engines on wall-clock time,
// verdicts handed to a sink as soon as a rule fires, with the seconds before and after kept as evidence.
// A camera that goes offline ends the segment: open episodes are closed as cut short (a person decides), never as passed.
// Frames handed out (evidence, questions) carry their tracked detections, for the boxes of an episode's subjects and for
// the agent's scene reuse; the model calls the answers took are counted per camera-hour watched.
import type { Detector } from '../detector/index.ts';
import { FrameStage, masksFor, regionFor, type FrameStageStats, type GateOptions, type StagedFrame } from '../frames/index.ts';
import { ViolationKind, type Polygon, type Verdict, type VerifyAnswer, type VerifyRequest, type Violation } from '../core/contracts.ts';
import type { FrameBuffer } from '../ingester/frame-buffer.ts';
import { perCameraHour } from '../core/model-usage.ts';
import { decodeLiveFrame, type LiveFrame } from '../ingester/live-frame.ts';
import type { CompiledSop } from '../rules/compiled.ts';
import { createRuleEngine, sopsForCamera, type RuleEngine } from '../rules/engine.ts';
import { observe } from '../rules/observe.ts';
import { EvidenceRing, pickKeyframes, type WatchedFrame } from './evidence-ring.ts';
import type { MainStream } from './main-evidence.ts';

/**
 * Live: motion in the region is detected at least this often, empty or not (clips wait up to 2 s when empty and the
 * rules' exit smoothing when not, halving finds the edge): frames wait for the next call before the rules see them.
 */
const LIVE_WATCH_MS = 1000;

export type LiveEvent =
  /** `frameMs`: arrival time of the frame that made the rule fire; `emittedMs`: when the sink got it. */
  | { type: 'verdict'; cameraId: string; verdict: Verdict; frameMs: number; emittedMs: number }
  /**
   * The frames around a violation: `before` as soon as it is raised, `after` once `afterMs` has passed; `keyframes`
   * are the few to draw, from the camera's main stream where it was recorded (`stream: 'main'`), else from the
   * detection stream, with why in `keyframeNotes` (nothing is lost: a missing main picture falls back to its frame).
   */
  | { type: 'evidence'; cameraId: string; violationId: string; before: WatchedFrame[]; after: WatchedFrame[]; keyframes: WatchedFrame[]; keyframeNotes: string[] }
  /** Monitoring of this camera paused (offline, handed over, stopped): rules were closed at `atMs`. */
  | { type: 'segment_end'; cameraId: string; atMs: number; reason: string };

export interface LivePipelineOptions {
  cameraId: string;
  cameraTags?: string[];
  sops: CompiledSop[];
  detector: Pick<Detector, 'detect' | 'keypointsAt'>;
  frames: FrameBuffer<LiveFrame>;
  sink: (event: LiveEvent) => void;
  evidence?: { beforeMs?: number; afterMs?: number; maxFrames?: number };
  /** Answers `verify` questions from the buffered frames; without it they become needs_review. */
  verify?: LiveVerify;
  /** The camera's main stream, recorded for evidence: keyframes are taken from it when it has them. */
  mainStream?: MainStream;
  /** The motion gate of the frame stage; `{ enabled: false }` sends every frame to the detector. */
  gate?: GateOptions;
  /** Frames further apart than this belong to different segments (the camera was away). Default 10 000. */
  gapMs?: number;
  /**
   * A too_short, missing_step or out_of_order violation starting this close to the start of a segment may have begun
   * before the camera was watched: it becomes a review case instead. Default 3000.
   */
  headMs?: number;
}

/** An answer, with the model calls it took when the answerer knows them (the agent's VerifyResult has both). */
export type LiveAnswer = VerifyAnswer & { calls?: ReadonlyArray<{ costUsd: number }>; via?: string };

/** Answers a `verify` question about the frames of its episode (with their detections, when settled). */
export type LiveVerify = (request: VerifyRequest, frames: WatchedFrame[]) => Promise<LiveAnswer>;

export interface LivePipelineStats {
  frames: number;
  decodeErrors: number;
  detectErrors: number;
  verdicts: number;
  /** Mean time from a frame's arrival to the end of its analysis, ms. */
  meanLagMs: number;
  segments: number;
  /** Camera time watched by the rules, ms: the spans between consecutive analysed frames of a segment. */
  watchedMs: number;
  /** `verify` questions the rules asked (one per gated episode, or per subject with `per: subject`), with or without a model. */
  questions: number;
  /** HTTP calls to the model those questions took (0 for answers from the cache or an unchanged scene). */
  modelCalls: number;
  /** Answers reused from an earlier question about the same, unchanged scene. */
  reusedAnswers: number;
  modelCostUsd: number;
  /** `modelCalls` per hour of `watchedMs`; 0 before any time was watched. */
  modelCallsPerCameraHour: number;
  /** The frame stage: frames decoded, with motion near the zones, detector calls and time. */
  stage: FrameStageStats;
}

/** Kinds that depend on having seen the start of the episode or run. */
const NEEDS_THE_START = new Set<string>([ViolationKind.TooShort, ViolationKind.MissingStep, ViolationKind.OutOfOrder]);

const NO_MODEL: Omit<VerifyAnswer, 'reason'> = { answer: 'unsure', confidence: 0, decidedBy: 'none', evidence: [] };

export class LivePipeline {
  private readonly ring: EvidenceRing;
  private readonly beforeMs: number;
  private readonly afterMs: number;
  private readonly gapMs: number;
  private readonly sops: CompiledSop[];
  private engines: Array<{ engine: RuleEngine; zones: Record<string, Polygon> }> | undefined;
  private readonly stage: FrameStage;
  private lastMs: number | undefined;
  /** Newest frame handed to the frame stage (it may still be waiting there). */
  private pushedMs: number | undefined;
  private segmentStartMs: number | undefined;
  private readonly headMs: number;
  private busy = false;
  private pendingBreak: { atMs: number; reason: string } | undefined;
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly flushers = new Set<() => void>();
  /** Evidence waiting for its main-stream pictures. */
  private readonly decoding = new Set<Promise<void>>();
  private readonly s = {
    frames: 0, decodeErrors: 0, detectErrors: 0, verdicts: 0, lagTotalMs: 0, segments: 0, watchedMs: 0,
    questions: 0, modelCalls: 0, reusedAnswers: 0, modelCostUsd: 0,
  };

  constructor(private readonly o: LivePipelineOptions) {
    this.beforeMs = o.evidence?.beforeMs ?? 5000;
    this.afterMs = o.evidence?.afterMs ?? 5000;
    this.gapMs = o.gapMs ?? 10_000;
    this.headMs = o.headMs ?? 3000;
    this.ring = new EvidenceRing(this.beforeMs + this.afterMs + 5000, o.evidence?.maxFrames ?? 120);
    this.sops = sopsForCamera(o.sops, o.cameraId, o.cameraTags ?? []);
    const zoned = this.sops.map((sop) => ({ sop, zones: createRuleEngine([sop], { cameraId: o.cameraId, cameraTags: o.cameraTags ?? [] }).zonesFor(sop) }));
    const region = regionFor(zoned);
    this.stage = new FrameStage({
      cameraId: o.cameraId,
      detector: o.detector,
      region,
      masks: masksFor(this.sops, o.cameraId, o.cameraTags ?? []),
      // Frames with motion wait for the next detector call before the rules see them: a second at most, live.
      gate: { watchMs: LIVE_WATCH_MS, busyMs: Math.min(LIVE_WATCH_MS, region.exitMs ?? LIVE_WATCH_MS), ...o.gate },
    });
  }

  stats(): LivePipelineStats {
    const { lagTotalMs, ...rest } = this.s;
    return {
      ...rest,
      meanLagMs: this.s.frames === 0 ? 0 : Math.round(lagTotalMs / this.s.frames),
      modelCostUsd: Math.round(this.s.modelCostUsd * 1e6) / 1e6,
      modelCallsPerCameraHour: perCameraHour(this.s.modelCalls, this.s.watchedMs),
      stage: this.stage.stats(),
    };
  }

  /** The newest frame this pipeline took (for a snapshot of the camera). */
  latestFrame(): LiveFrame | undefined {
    return this.ring.latest();
  }

  /** Processes frames until the buffer is closed, then closes the last segment and sends pending evidence. */
  async run(): Promise<void> {
    for (;;) {
      const frame = await this.o.frames.next();
      if (frame === undefined) break;
      this.busy = true;
      try {
        await this.process(frame);
      } finally {
        this.busy = false;
      }
      if (this.pendingBreak !== undefined) this.endSegment(this.pendingBreak.atMs, this.pendingBreak.reason);
    }
    await this.settle(() => this.stage.flush());
    if (this.lastMs !== undefined) this.endSegment(this.lastMs, 'stopped');
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    for (const flush of [...this.flushers]) flush();
    await Promise.all([...this.decoding]);
  }

  /** The camera went offline after its frame at `lastFrameMs`: close the rules there. */
  cameraOffline(lastFrameMs: number | undefined, reason: string): void {
    const atMs = lastFrameMs ?? this.lastMs;
    if (atMs === undefined) return;
    if (this.busy) this.pendingBreak = { atMs, reason };
    else this.endSegment(atMs, reason);
  }

  private startSegment(firstMs: number): NonNullable<LivePipeline['engines']> {
    this.stage.restart();
    this.segmentStartMs = firstMs;
    this.s.segments += 1;
    this.engines = this.sops.map((sop) => {
      // Wall-clock time: tMs is epoch ms, so tMs = 0 is the epoch and schedules apply.
      const engine = createRuleEngine([sop], { cameraId: this.o.cameraId, cameraTags: this.o.cameraTags ?? [], clockOriginMs: 0 });
      return { engine, zones: engine.zonesFor(sop) };
    });
    return this.engines;
  }

  private endSegment(atMs: number, reason: string): void {
    this.pendingBreak = undefined;
    const engines = this.engines;
    if (engines === undefined) return;
    this.engines = undefined;
    for (const { engine } of engines) this.handle(engine, engine.finish(atMs), atMs);
    this.segmentStartMs = undefined;
    this.emit({ type: 'segment_end', cameraId: this.o.cameraId, atMs, reason });
  }

  private async process(frame: LiveFrame): Promise<void> {
    const prevMs = this.pushedMs ?? this.lastMs;
    if (prevMs !== undefined && frame.tMs <= prevMs) return;
    if (prevMs !== undefined && frame.tMs - prevMs > this.gapMs) {
      await this.settle(() => this.stage.flush());
      if (this.lastMs !== undefined) this.endSegment(this.lastMs, `no frame for ${frame.tMs - prevMs} ms`);
    }
    this.ring.add(frame);
    // No SOP applies to this camera: it is watched (health, evidence) but the detector is spared.
    if (this.sops.length === 0) {
      this.lastMs = frame.tMs;
      return;
    }
    let decoded;
    try {
      decoded = await decodeLiveFrame(frame);
    } catch {
      this.s.decodeErrors += 1;
      return;
    }
    this.engines ??= this.startSegment(frame.tMs);
    this.pushedMs = frame.tMs;
    await this.settle(() => this.stage.push(decoded));
  }

  /** Runs the frame stage and hands every frame it settles to the rule engines, in time order. */
  private async settle(step: () => Promise<StagedFrame[]>): Promise<void> {
    let staged: StagedFrame[];
    try {
      staged = await step();
    } catch (err) {
      if ((err as Error).name === 'DetectorError') this.s.detectErrors += 1;
      else this.s.decodeErrors += 1;
      return;
    }
    const engines = this.engines;
    if (engines === undefined) return;
    for (const { frame, detections } of staged) {
      if (this.lastMs !== undefined && frame.tMs <= this.lastMs) continue;
      // Time between two frames of the same segment was watched; a new segment starts after the last frame of the old one.
      if (this.lastMs !== undefined && this.segmentStartMs !== undefined && this.lastMs >= this.segmentStartMs) this.s.watchedMs += frame.tMs - this.lastMs;
      this.lastMs = frame.tMs;
      this.ring.annotate(frame.tMs, detections);
      for (const { engine, zones } of engines) this.handle(engine, engine.push(observe(detections, zones)), frame.tMs);
      this.s.frames += 1;
      this.s.lagTotalMs += Date.now() - frame.tMs;
    }
  }

  private emit(event: LiveEvent): void {
    try {
      this.o.sink(event);
    } catch {
      // The sink's failure must not stop the camera's analysis.
    }
  }

  /** A violation whose beginning may predate the segment, turned into a case for a person. */
  private headCut(v: Violation, segmentStartMs: number | undefined): Verdict | undefined {
    if (segmentStartMs === undefined || !NEEDS_THE_START.has(v.kind) || v.startMs - segmentStartMs > this.headMs) return undefined;
    const reason = `watching began ${new Date(segmentStartMs).toISOString()}, during this episode: it may have started earlier (${v.message})`;
    return { type: 'needs_review', item: { id: v.id, sop: v.sop, rule: v.rule, ...(v.step === undefined ? {} : { step: v.step }), cameraId: v.cameraId, startMs: v.startMs, endMs: v.endMs, severity: v.severity, reason, ...(v.shadow === true ? { shadow: true } : {}) } };
  }

  private handle(engine: RuleEngine, raw: Verdict[], frameMs: number, segmentStartMs = this.segmentStartMs): void {
    const verdicts = raw.map((v) => (v.type === 'violation' ? (this.headCut(v.violation, segmentStartMs) ?? v) : v));
    for (const verdict of verdicts) {
      this.s.verdicts += 1;
      this.emit({ type: 'verdict', cameraId: this.o.cameraId, verdict, frameMs, emittedMs: Date.now() });
      if (verdict.type === 'violation') this.collectEvidence(verdict.violation.id, verdict.violation.startMs);
      if (verdict.type === 'pending_verify') this.ask(engine, verdict.request, frameMs);
    }
  }

  private collectEvidence(violationId: string, startMs: number): void {
    const raisedMs = this.lastMs ?? startMs;
    const before = this.ring.between(startMs - this.beforeMs, raisedMs);
    let done = false;
    const flush = (): void => {
      if (done) return;
      done = true;
      this.timers.delete(timer);
      this.flushers.delete(flush);
      const after = this.ring.between(raisedMs + 1, raisedMs + this.afterMs);
      const picked = pickKeyframes(startMs, before, after);
      const send = (keyframes: WatchedFrame[], keyframeNotes: string[]): void =>
        this.emit({ type: 'evidence', cameraId: this.o.cameraId, violationId, before, after, keyframes, keyframeNotes });
      if (this.o.mainStream === undefined) return send(picked, []);
      const work = this.fromMainStream(this.o.mainStream, picked).then(({ keyframes, notes }) => send(keyframes, notes));
      this.decoding.add(work);
      void work.finally(() => this.decoding.delete(work));
    };
    const timer = setTimeout(flush, this.afterMs);
    this.timers.add(timer);
    this.flushers.add(flush);
  }

  /** Each picked frame replaced by the main stream's picture at its time; a frame it lacks stays, with why. */
  private async fromMainStream(main: MainStream, picked: WatchedFrame[]): Promise<{ keyframes: WatchedFrame[]; notes: string[] }> {
    const notes: string[] = [];
    const keyframes: WatchedFrame[] = [];
    for (const frame of picked) {
      const got = await main.frameAt(frame.tMs).catch((err: unknown) => ({ ok: false as const, reason: (err as Error).message, unused: false }));
      if (got.ok) {
        keyframes.push({ ...frame, jpeg: got.jpeg, stream: 'main' });
        continue;
      }
      keyframes.push(frame);
      if (got.unused !== true) notes.push(`keyframe at ${new Date(frame.tMs).toISOString()} from the detection stream: ${got.reason}`);
    }
    return { keyframes, notes };
  }

  private ask(engine: RuleEngine, request: VerifyRequest, frameMs: number): void {
    // The answer may come after this segment ended: judge it against the segment that asked.
    const segmentStartMs = this.segmentStartMs;
    const answerWith = (answer: VerifyAnswer): void => this.handle(engine, engine.resolveVerify(request.id, answer), frameMs, segmentStartMs);
    this.s.questions += 1;
    if (this.o.verify === undefined) {
      answerWith({ ...NO_MODEL, reason: 'no vision model is configured: a person must check' });
      return;
    }
    const frames = this.ring.spread(request.startMs, request.endMs, request.frames);
    const counted = (answer: LiveAnswer): void => {
      this.s.modelCalls += answer.calls?.length ?? 0;
      this.s.modelCostUsd += (answer.calls ?? []).reduce((sum, c) => sum + c.costUsd, 0);
      if (answer.via === 'reused') this.s.reusedAnswers += 1;
      answerWith(answer);
    };
    this.o.verify(request, frames).then(counted, (err: unknown) => answerWith({ ...NO_MODEL, reason: `the model could not be asked: ${(err as Error).message}` }));
  }
}
