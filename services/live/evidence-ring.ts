// The rolling pre/post buffer of one camera: the last few seconds of JPEG frames, bounded by time and by count,
// so evidence can show what happened before and after a violation without keeping video. Each frame carries what the
// detector saw in it once the frame stage has settled it (for the boxes of an episode's subjects, and scene reuse).
import type { Detections } from '../core/contracts.ts';
import type { LiveFrame } from '../ingester/live-frame.ts';

/** A live frame as the ring holds it: with its tracked detections once they are known. */
export interface WatchedFrame extends LiveFrame {
  detections?: Detections;
  /**
   * `main`: the picture is the camera's main stream at this time (decoded from its recording for evidence), with the
   * detections of the detection-stream frame it replaces (normalised boxes, so they fit the larger picture too).
   */
  stream?: 'main';
}

/** At most three frames: nearest the start, the last one before the rule fired, the middle of those after. */
export function pickKeyframes<F extends LiveFrame>(startMs: number, before: readonly F[], after: readonly F[]): F[] {
  const nearest = [...before].sort((a, b) => Math.abs(a.tMs - startMs) - Math.abs(b.tMs - startMs))[0];
  const picks = [nearest, before.at(-1), after[Math.floor(after.length / 2)]].filter((f): f is F => f !== undefined);
  return [...new Map(picks.map((f) => [f.tMs, f])).values()].sort((a, b) => a.tMs - b.tMs);
}

export class EvidenceRing {
  private readonly frames: WatchedFrame[] = [];

  /**
   * @param windowMs frames older than the newest minus this are dropped
   * @param maxFrames at most this many frames are held (the oldest go first)
   */
  constructor(private readonly windowMs: number, private readonly maxFrames: number) {}

  add(frame: LiveFrame): void {
    this.frames.push(frame);
    const oldest = frame.tMs - this.windowMs;
    while (this.frames.length > this.maxFrames || (this.frames[0] !== undefined && this.frames[0].tMs < oldest)) this.frames.shift();
  }

  /** The detections of the frame taken at `tMs` (a new object: frames already handed out stay as they were). */
  annotate(tMs: number, detections: Detections): void {
    for (let i = this.frames.length - 1; i >= 0; i--) {
      const f = this.frames[i];
      if (f === undefined || f.tMs < tMs) return;
      if (f.tMs === tMs) {
        this.frames[i] = { ...f, detections };
        return;
      }
    }
  }

  /** Frames with fromMs <= tMs <= toMs, oldest first. */
  between(fromMs: number, toMs: number): WatchedFrame[] {
    return this.frames.filter((f) => f.tMs >= fromMs && f.tMs <= toMs);
  }

  /** `n` frames spread evenly over [fromMs, toMs] (fewer when fewer are held). */
  spread(fromMs: number, toMs: number, n: number): WatchedFrame[] {
    const inside = this.between(fromMs, toMs);
    if (inside.length <= n) return inside;
    return Array.from({ length: n }, (_, i) => inside[Math.round((i * (inside.length - 1)) / Math.max(1, n - 1))] as WatchedFrame);
  }

  /** The newest frame held. */
  latest(): WatchedFrame | undefined {
    return this.frames.at(-1);
  }

  get size(): number {
    return this.frames.length;
  }

  get bytes(): number {
    return this.frames.reduce((sum, f) => sum + f.jpeg.length, 0);
  }
}
