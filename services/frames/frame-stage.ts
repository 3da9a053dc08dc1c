// The frame stage of one camera, shared by clip analysis and live cameras: frame -> motion -> region -> detections
// -> tracks. The detector runs only where it is needed; every other frame carries the last detections forward.
//
// Which frames are detected ("probes"):
// - the first frame, and a frame where most of the picture changed at once (lights): once, not for every frame;
// - motion inside the region: at most every `busyMs` while something stands in a zone, every `watchMs` when empty;
// - the first still frame after motion, when the last call is at least `settleMs` old and as old as motion would
//   need (the scene as it now stands; motion that comes and goes is not asked about more often than steady motion);
// - a still scene: every `refreshMs` while something is tracked (a person standing still stays seen), `idleMs` else;
// - the frame after one with a new, not yet confirmed, track (the tracker confirms on two consecutive detections).
// A motion, settled or refresh probe where the rules read persons only may be a cheap check instead (still-check.ts):
// the pose model on the last detection's person boxes; when every one still holds a body and nothing moved outside
// them, the frame gets that detection again. A check that does not hold is followed by a detection of the frame.
// Frames with motion between two probes wait. When the two probes disagree on what stands in which zone, the
// change is located by halving: the middle waiting frame is detected and compared with both ends, and so on, so a
// rule's edge falls on the frame it would fall on if every frame had been detected (one change between probes
// costs about log2(frames between) calls instead of one per frame). With `lookahead` calls allowed in flight (a
// clip: one per detector thread), that many waiting frames are detected at once, spread evenly: fewer rounds, every
// thread busy, and no call queued behind the others (which would cost a call and save no time).
import type { Box, Detections, Frame, Polygon } from '../core/contracts.ts';
import type { Detector } from '../detector/index.ts';
import { createTracker, type Tracker } from '../detector/tracker.ts';
import { MotionDetector, type MotionOptions } from './motion.ts';
import { cropFrame, intersects, intoCrop, readsDetection, uncrop, WHOLE, zoneState, type Region } from './region.ts';
import { bodyAt, boxesToCheck, readsPersonsOnly } from './still-check.ts';

export interface GateOptions {
  /** False: every frame goes to the detector (the behaviour before the gate). Default true. */
  enabled?: boolean;
  /**
   * Motion in the region while something stands in a zone: detect at least this often, ms. Edges between probes are
   * found by halving, so this bounds how brief an absence can be and still be seen, not timing. Default: the rules'
   * shortest exit smoothing (an absence briefer than that ends no episode; 1500 ms for the default smoothing), kept
   * within 250-2000 ms; 1000 when the rules are not known.
   */
  busyMs?: number;
  /**
   * Motion in the region while the zones are empty, ms. Default 2000: an entry found by halving is placed on its
   * frame all the same; live cameras use 1000, since frames wait for the next call before the rules see them.
   */
  watchMs?: number;
  /**
   * Motion stopped: the first still frame is detected if the last call is at least this old, ms, and at least as old as
   * motion itself would need (`busyMs` or `watchMs`): a person who sways at a sink makes motion that comes and goes,
   * and is not asked about more often than one who moves all the time. Default 1000.
   */
  settleMs?: number;
  /** A still scene with tracked things: re-detect this often, ms (stationary tracks stay tracked). Default 2000. */
  refreshMs?: number;
  /** A still, empty scene, ms. Default 5000. */
  idleMs?: number;
  /** The detector gets a crop of the region when the region is at most this fraction of the picture. Default 0.6. */
  cropBelow?: number;
  /**
   * Cheap checks of persons already found (still-check.ts) where the detector has a pose model and the rules read
   * persons only. Default true.
   */
  checks?: boolean;
  /** While checks hold, the region is still detected at least this often, ms. Default 8000. */
  checkFullMs?: number;
}

export interface FrameStageOptions {
  cameraId: string;
  detector: Pick<Detector, 'detect' | 'keypointsAt'>;
  region: Region;
  /** Areas that always move; motion there never triggers the detector. */
  masks?: readonly Polygon[];
  gate?: GateOptions;
  motion?: Omit<MotionOptions, 'masks'>;
  /**
   * Probes that may still be running when `push` returns (clips: as many as detector threads, so that every thread
   * still has a call while the stage reads on to its next probe; live: 0). Default 0.
   */
  lookahead?: number;
}

export interface StagedFrame {
  frame: Frame;
  /** Tracked detections: this frame's own when `detected`, else those of the last detected frame, retimed. */
  detections: Detections;
  detected: boolean;
  /** Motion inside the region. */
  motion: boolean;
}

export interface FrameStageStats {
  frames: number;
  /** Frames with motion inside the region. */
  motionFrames: number;
  detectorCalls: number;
  /** Detector time summed over calls (worker time, not wall time). */
  detectorMs: number;
  /** Detector calls spent locating a change between two probes. */
  fills: number;
  /** Global changes (lights, exposure) that reset the background. */
  resets: number;
  /** Probes by why they ran (fills are counted in `fills`); a probe is a detector call or a check. */
  probes: Record<ProbeReason, number>;
  /** Probes that were cheap checks of persons already found; `checksHeld` of them held (the others were detected too). */
  checks: number;
  checksHeld: number;
  /** Frames whose motion picture the decoder made (Frame.gray); the others were shrunk here. */
  motionFromDecoder: number;
}

/** Why a frame went to the detector: the gate is off, the first frame, a lighting change, a new track to confirm,
 * motion in the region, the first still frame after motion, the periodic look at a still scene, the clip's end. */
export type ProbeReason = 'ungated' | 'first' | 'reset' | 'confirm' | 'motion' | 'settled' | 'refresh' | 'end';

interface Entry {
  frame: Frame;
  motion: boolean;
  det?: Promise<Detections>;
}

interface Anchor {
  tracked: Detections;
  state: string;
  occupied: boolean;
}

export class FrameStage {
  private readonly gate: Required<GateOptions>;
  private readonly motion: MotionDetector;
  private readonly crop: boolean;
  private readonly lookahead: number;
  private tracker: Tracker;
  private queue: Entry[] = [];
  private anchor: Anchor | undefined;
  private lastProbeMs: number | undefined;
  private forceNext = false;
  /** Whether probes may be checks: the detector can, and the rules read persons only. */
  private readonly checks: boolean;
  /** The answer for the latest frame sent (a check compares with it), and when the region was last detected. */
  private latest: { tMs: number; det: Promise<Detections> } | undefined;
  private lastFullMs: number | undefined;
  /** Motion boxes inside the region of the frames since the latest frame sent (a check must see all of them). */
  private motionLog: Array<{ tMs: number; boxes: Box[] }> = [];
  private readonly s: Omit<FrameStageStats, 'motionFromDecoder'> = {
    frames: 0, motionFrames: 0, detectorCalls: 0, detectorMs: 0, fills: 0, resets: 0,
    probes: { ungated: 0, first: 0, reset: 0, confirm: 0, motion: 0, settled: 0, refresh: 0, end: 0 },
    checks: 0, checksHeld: 0,
  };

  constructor(private readonly o: FrameStageOptions) {
    const g = o.gate ?? {};
    this.gate = {
      enabled: g.enabled ?? true,
      busyMs: g.busyMs ?? Math.min(2000, Math.max(250, o.region.exitMs ?? 1000)),
      watchMs: g.watchMs ?? 2000,
      settleMs: g.settleMs ?? 1000,
      refreshMs: g.refreshMs ?? 2000,
      idleMs: g.idleMs ?? 5000,
      cropBelow: g.cropBelow ?? 0.6,
      checks: g.checks ?? true,
      checkFullMs: g.checkFullMs ?? 8000,
    };
    this.checks = this.gate.enabled && this.gate.checks && o.detector.keypointsAt !== undefined && readsPersonsOnly(o.region.keys);
    this.motion = new MotionDetector({ ...o.motion, masks: o.masks ?? [] });
    const [, , w, h] = o.region.box;
    this.crop = this.gate.enabled && w * h <= this.gate.cropBelow && o.region.box !== WHOLE;
    this.lookahead = Math.max(0, o.lookahead ?? 0);
    this.tracker = this.newTracker();
  }

  /** The height of Frame.gray that motion uses as it comes (ask the decoder for it: readClipFrames' `grayHeight`). */
  get grayHeight(): number {
    return this.motion.height;
  }

  stats(): FrameStageStats {
    return { ...this.s, detectorMs: Math.round(this.s.detectorMs), probes: { ...this.s.probes }, motionFromDecoder: this.motion.fromDecoder };
  }

  /** A new segment (the camera was away): new tracks, a new background. Call with nothing pending (after `flush`). */
  restart(): void {
    this.tracker = this.newTracker();
    this.motion.reset();
    this.queue = [];
    this.anchor = undefined;
    this.lastProbeMs = undefined;
    this.forceNext = false;
    this.latest = undefined;
    this.lastFullMs = undefined;
    this.motionLog = [];
  }

  /** Takes the next frame (time order); resolves with the frames now settled, oldest first. */
  async push(frame: Frame): Promise<StagedFrame[]> {
    this.s.frames += 1;
    const m = this.motion.update(frame);
    if (m.reset) this.s.resets += 1;
    const moved = m.boxes.filter((b) => intersects(b, this.o.region.box));
    const moving = moved.length > 0;
    if (moving) {
      this.s.motionFrames += 1;
      if (this.checks) this.motionLog.push({ tMs: frame.tMs, boxes: moved });
    }
    const entry: Entry = { frame, motion: moving };
    const why = this.probeReason(frame, moving, m.reset);
    if (why !== undefined) this.probe(entry, why);
    this.queue.push(entry);
    return this.settle(false);
  }

  /** End of the stream (or of a segment): the frames still waiting are settled. */
  async flush(): Promise<StagedFrame[]> {
    const last = this.queue.at(-1);
    if (last !== undefined && last.det === undefined && last.motion) this.probe(last, 'end');
    return this.settle(true);
  }

  private newTracker(): Tracker {
    // Gated detections are at least a frame apart and often a second: a track not matched by overlap is looked for
    // by centre distance at once (a person walking in moves more than a box between two calls).
    return createTracker(this.gate.enabled ? { maxMissedMs: Math.max(2000, this.gate.refreshMs + 1000), sparseMs: 0 } : {});
  }

  private probeReason(frame: Frame, moving: boolean, reset: boolean): ProbeReason | undefined {
    if (!this.gate.enabled) return 'ungated';
    if (this.lastProbeMs === undefined) return 'first';
    if (reset) return 'reset';
    if (this.forceNext) return 'confirm';
    const since = frame.tMs - this.lastProbeMs;
    const interval = this.anchor?.occupied === true ? this.gate.busyMs : this.gate.watchMs;
    if (moving) return since >= interval ? 'motion' : undefined;
    // Motion just stopped: see the scene as it now stands (no sooner than motion itself would have been seen).
    if (since >= Math.max(this.gate.settleMs, interval) && this.queue.some((e) => e.det === undefined)) return 'settled';
    return since >= ((this.anchor?.tracked.items.length ?? 0) > 0 ? this.gate.refreshMs : this.gate.idleMs) ? 'refresh' : undefined;
  }

  /**
   * Sends a frame to the detector. A `fill` (locating a change) and a `confirm` of a frame already waiting in the
   * queue leave the gate's clock alone; every other call restarts it.
   */
  private probe(entry: Entry, why: ProbeReason | 'fill', scheduled = why !== 'fill'): void {
    if (why === 'fill') this.s.fills += 1;
    else this.s.probes[why] += 1;
    if (scheduled) {
      this.lastProbeMs = entry.frame.tMs;
      this.forceNext = false;
    }
    const { frame } = entry;
    const latest = this.latest;
    const check = this.checks && latest !== undefined && this.lastFullMs !== undefined && frame.tMs - this.lastFullMs < this.gate.checkFullMs &&
      (why === 'motion' || why === 'settled' || why === 'refresh');
    let det: Promise<Detections>;
    if (check) {
      const moved = this.motionLog.filter((m) => m.tMs > latest.tMs && m.tMs <= frame.tMs).flatMap((m) => m.boxes);
      det = this.check(frame, latest.det, moved);
    } else {
      this.s.detectorCalls += 1;
      if (scheduled) this.lastFullMs = frame.tMs;
      det = this.detect(frame);
    }
    if (latest === undefined || frame.tMs > latest.tMs) {
      this.latest = { tMs: frame.tMs, det };
      this.motionLog = this.motionLog.filter((m) => m.tMs > frame.tMs);
    }
    entry.det = det;
    // Awaited in `settle`; a failure before then must not count as unhandled.
    det.catch(() => undefined);
  }

  /** The region's detections in `frame` (the whole frame's coordinates). */
  private detect(frame: Frame): Promise<Detections> {
    if (!this.crop) return this.o.detector.detect(frame);
    const c = cropFrame(frame, this.o.region.box);
    return this.o.detector.detect(c.frame).then((d) => uncrop(d, c.box, frame));
  }

  /**
   * The frame's answer from a check against `before` (the answer for the latest frame sent before it): `before` again,
   * retimed, when its persons are still there (still-check.ts); else the frame is detected (and the check's time is
   * added to that call's).
   */
  private async check(frame: Frame, before: Promise<Detections>, moved: Box[]): Promise<Detections> {
    const last = await before;
    const { zones, keys, anywhere } = this.o.region;
    const boxes = boxesToCheck(last, moved, { zones, keys, anywhere });
    let spent = 0;
    if (boxes !== undefined) {
      const c = this.crop ? cropFrame(frame, this.o.region.box) : { frame, box: WHOLE };
      const asked = this.crop ? boxes.map((b) => intoCrop(b, c.box)) : boxes;
      const d = await this.o.detector.keypointsAt?.(c.frame, asked);
      // Counted when the pose model answered (a detector that cannot check answers undefined).
      if (d !== undefined) this.s.checks += 1;
      spent = d?.inferenceMs ?? 0;
      if (d !== undefined && d.items.length === asked.length && d.items.every((item, i) => bodyAt(item.keypoints, asked[i] as Box))) {
        this.s.checksHeld += 1;
        return { ...last, frameIndex: frame.index, tMs: frame.tMs, inferenceMs: spent };
      }
    }
    this.s.detectorCalls += 1;
    const d = await this.detect(frame);
    return { ...d, inferenceMs: d.inferenceMs + spent };
  }

  /** Detector calls asked for and not yet taken (done or not). */
  private inFlight(): number {
    return this.queue.reduce((n, e) => n + (e.det !== undefined ? 1 : 0), 0);
  }

  private async settle(all: boolean): Promise<StagedFrame[]> {
    const out: StagedFrame[] = [];
    // A result is taken when more than `lookahead` calls are outstanding, never because it happened to be done
    // sooner: which frames the gate sends to the detector then depends on the frames alone, not on the machine's
    // speed, so an analysis gives the same result on every run (and a dry run can reuse its detections).
    const mayWait = (): boolean => all || this.inFlight() > this.lookahead;
    try {
      while (this.queue.length > 0) {
        const head = this.queue[0] as Entry;
        if (head.det === undefined && !head.motion) {
          out.push(this.carry(head));
          this.queue.shift();
          continue;
        }
        const det = head.det;
        if (det !== undefined) {
          if (!mayWait()) break;
          const raw = await det;
          this.queue.shift();
          out.push(this.take(head, raw));
          continue;
        }
        // Frames with motion wait for the next probe.
        const k = this.queue.findIndex((e) => e.det !== undefined);
        if (k < 0) {
          if (!all) break;
          this.probe(this.queue.at(-1) as Entry, 'end');
          continue;
        }
        const next = this.queue[k] as Entry;
        if (!mayWait()) break;
        const raw = await (next.det as Promise<Detections>);
        if (this.anchor === undefined || zoneState(raw, this.o.region.zones, this.o.region.keys, this.o.region.anywhere) !== this.anchor.state) {
          // Something changed in between: find where by halving (the middle frame tells which half changed), or, with
          // `lookahead` calls allowed in flight, by detecting that many of the waiting frames at once: one round keeps
          // each detector thread busy with one call, and a call more would only wait for a thread.
          for (const i of splitPoints(k, Math.max(1, this.lookahead))) this.probe(this.queue[i] as Entry, 'fill');
        } else {
          for (const e of this.queue.splice(0, k)) out.push(this.carry(e));
        }
      }
    } catch (err) {
      // A failed detection drops what was waiting; the next frames start afresh from the last anchor.
      this.queue = [];
      this.forceNext = true;
      throw err;
    }
    return out;
  }

  private take(entry: Entry, raw: Detections): StagedFrame {
    this.s.detectorMs += raw.inferenceMs;
    const tracked = this.tracker.update(raw);
    const state = zoneState(raw, this.o.region.zones, this.o.region.keys, this.o.region.anywhere);
    this.anchor = { tracked, state, occupied: /@\d/.test(state) };
    // A new track is confirmed by the next detection: ask for it on the very next frame (as if every frame were
    // detected), so that an entry is not late; the next frame may already be waiting in the queue.
    if (this.gate.enabled && tracked.items.some((i) => readsDetection(i, this.o.region.keys) && i.trackId === undefined)) {
      const next = this.queue[0];
      if (next === undefined) this.forceNext = true;
      else if (next.det === undefined) {
        this.probe(next, 'confirm', false);
      }
    }
    return { frame: entry.frame, detections: tracked, detected: true, motion: entry.motion };
  }

  private carry(entry: Entry): StagedFrame {
    const { frame } = entry;
    const base = this.anchor?.tracked;
    const detections: Detections =
      base === undefined
        ? { cameraId: frame.cameraId, frameIndex: frame.index, tMs: frame.tMs, width: frame.width, height: frame.height, items: [], inferenceMs: 0 }
        : { ...base, frameIndex: frame.index, tMs: frame.tMs, inferenceMs: 0 };
    return { frame, detections, detected: false, motion: entry.motion };
  }
}

/**
 * Which of `waiting` frames (queue positions 0..waiting-1) to detect to locate a change among them: `probes` frames
 * that cut the rest into `probes + 1` runs as even as they go (one probe: the middle, `(waiting - 1) >> 1`), never
 * more probes than frames.
 */
export function splitPoints(waiting: number, probes: number): number[] {
  const n = Math.max(1, Math.min(probes, waiting));
  // Distinct and rising: the cuts are waiting / (n + 1) apart, and n <= waiting.
  return Array.from({ length: n }, (_, i) => Math.floor(((i + 1) * waiting - 1) / (n + 1)));
}
