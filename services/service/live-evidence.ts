// Pictures from live cameras, all through the face finder: violation keyframes, the latest snapshot, and the crops a
// verify question sends to the model. What is written or sent is checked byte for byte; a face that survives means no picture.
// An episode's subjects are drawn on its keyframes with where they are (for the dashboard), and a question's scene
// (subjects, boxes, small thumbnails) goes with it so that an unchanged scene reuses the rule's last answer.
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { evidenceName, subjectBoxes } from '../analysis/evidence.ts';
import type { FaceFinder } from '../analysis/face-finder.ts';
import { MomentVideos, metaPathOf, type VideoWindow } from '../analysis/moment-video.ts';
import type { Keyframe, SceneSignature } from '../agent/index.ts';
import type { Box, Detections, KeyframeBoxes, Polygon, VerifyRequest, Violation } from '../core/contracts.ts';
import { captionHeight, composeKeyframe, cropAndScale, cropAround, encodeJpeg, FaceBlurError, grayThumbnail, writeFileAtomic } from '../evidence/index.ts';
import { decodeLiveFrame, type LiveFrame } from '../ingester/live-frame.ts';
import { pickKeyframes, type WatchedFrame } from '../live/index.ts';

export interface WrittenEvidence {
  name: string;
  /** Relative to the data directory, as the evidence table stores it. */
  path: string;
  bytes: number;
  /** A keyframe of an episode with subjects: where each is on the written image (caption band included). */
  boxes?: KeyframeBoxes;
}

export interface KeyframeRequest {
  storeId: string;
  /** The camera's row id (folder name). */
  cameraRowId: string;
  violation: Violation;
  ruleTitle: string;
  zones: Record<string, Polygon>;
  before: WatchedFrame[];
  after: WatchedFrame[];
  /** The pictures to draw, when the pipeline chose them (main-stream pictures among them); default picked from before/after. */
  keyframes?: WatchedFrame[];
}

/** Work waiting for the face finder beyond this: keyframes are skipped (the violation stays, without a picture). */
const MAX_BACKLOG = 30;

/**
 * One picture at a time through the face finder, the most urgent first: a snapshot someone is looking at, then a
 * question the rules wait for, then keyframes (a burst of violations must not keep the zone editor waiting).
 */
export class PriorityGate {
  private busy = false;
  private seq = 0;
  private readonly waiting: Array<{ priority: number; seq: number; go: () => void }> = [];

  get backlog(): number {
    return this.waiting.length;
  }

  async run<T>(priority: number, work: () => Promise<T>): Promise<T> {
    await new Promise<void>((go) => {
      this.waiting.push({ priority, seq: this.seq++, go });
      this.next();
    });
    try {
      return await work();
    } finally {
      this.busy = false;
      this.next();
    }
  }

  private next(): void {
    if (this.busy || this.waiting.length === 0) return;
    this.waiting.sort((a, b) => b.priority - a.priority || a.seq - b.seq);
    const first = this.waiting.shift();
    if (first === undefined) return;
    this.busy = true;
    first.go();
  }
}

const SNAPSHOT = 3;
const VERIFY = 2;
const KEYFRAME = 1;
/** Video frames wait behind everything else: a clip of the moment is the least urgent picture. */
const VIDEO = 0;

const iso = (ms: number): string => new Date(ms).toISOString().replace('T', ' ').slice(0, 19);

export { pickKeyframes } from '../live/index.ts';

/** The detections of the frame, else of the nearest frame that has them (frames still in the frame stage have none). */
export function detectionsNear(frame: WatchedFrame, around: readonly WatchedFrame[]): Detections | undefined {
  if (frame.detections !== undefined) return frame.detections;
  const seen = around.filter((f) => f.detections !== undefined).sort((a, b) => Math.abs(a.tMs - frame.tMs) - Math.abs(b.tMs - frame.tMs));
  return seen[0]?.detections;
}

/** The persons seen, padded: the model looks at the scene around them, not the whole room. */
const cropToPersons = (persons: ReadonlyArray<{ box: Box }>): Box => cropAround(persons.map((p) => p.box), 0.3, 0.05) ?? [0, 0, 1, 1];

export class LiveImages {
  private readonly gate = new PriorityGate();
  private readonly videos: MomentVideos;

  constructor(private readonly faces: FaceFinder, private readonly dataDir: string, videoWindow: Partial<VideoWindow> = {}) {
    // Each frame of a video goes through the gate on its own, so a snapshot or a question never waits for a whole video.
    const gated: FaceFinder = { ...faces, scrub: (frame, seen) => this.gate.run(VIDEO, () => faces.scrub(frame, seen)) };
    this.videos = new MomentVideos(() => gated, videoWindow);
  }

  /**
   * The evidence ring around a live violation as a short MP4, every frame scrubbed, written with its sidecar beside the
   * keyframes; the sidecar is the second file returned. Throws when too few frames or a face survives: no video then.
   */
  async video(req: KeyframeRequest): Promise<WrittenEvidence[]> {
    const v = req.violation;
    const name = evidenceName(v.id, 0).replace(/-0\.jpg$/, '.mp4');
    const path = ['evidence', 'live', req.storeId, req.cameraRowId, name].join('/');
    const out = join(this.dataDir, path);
    const frames = [...req.before, ...req.after];
    await this.videos.fromLiveFrames(frames, { outPath: out, startMs: v.startMs, endMs: Math.max(v.startMs, v.endMs) });
    const meta = metaPathOf(out);
    return [
      { name, path, bytes: (await stat(out)).size },
      { name: metaPathOf(name), path: metaPathOf(path), bytes: (await stat(meta)).size },
    ];
  }

  /** Loads the face finder's models now, so that the first violation's pictures do not wait for them. */
  async warm(): Promise<void> {
    await this.faces.find({ cameraId: 'warm-up', index: 0, tMs: 0, width: 64, height: 36, rgb: Buffer.alloc(64 * 36 * 3) });
  }

  /** Writes the keyframes of a live violation; each failure is listed, and that picture is simply not written. */
  async keyframes(req: KeyframeRequest): Promise<{ written: WrittenEvidence[]; errors: string[] }> {
    const v = req.violation;
    const written: WrittenEvidence[] = [];
    const errors: string[] = [];
    for (const [k, live] of (req.keyframes ?? pickKeyframes(v.startMs, req.before, req.after)).entries()) {
      const name = evidenceName(v.id, k + 1);
      const path = ['evidence', 'live', req.storeId, req.cameraRowId, name].join('/');
      if (this.gate.backlog >= MAX_BACKLOG) {
        errors.push(`${v.id} keyframe ${k + 1}: not drawn, ${this.gate.backlog} pictures are already waiting for the face finder`);
        continue;
      }
      try {
        const drawn = await this.gate.run(KEYFRAME, () => this.keyframe(req, live, join(this.dataDir, path)));
        written.push({ name, path, bytes: drawn.bytes, ...(drawn.boxes === undefined ? {} : { boxes: { evidence: name, tMs: live.tMs, boxes: drawn.boxes } }) });
      } catch (err) {
        errors.push(`${v.id} keyframe ${k + 1}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    return { written, errors };
  }

  /**
   * One keyframe: scrubbed, zones, detections and caption drawn, the rendered bytes checked, written; returns its size
   * and, for an episode with subjects, their boxes on the written image.
   */
  private async keyframe(req: KeyframeRequest, live: WatchedFrame, outPath: string): Promise<{ bytes: number; boxes?: KeyframeBoxes['boxes'] }> {
    const v = req.violation;
    const frame = await this.faces.scrub(await decodeLiveFrame(live));
    const detections = detectionsNear(live, [...req.before, ...req.after]);
    const spec = {
      frame,
      ...(detections === undefined ? {} : { detections }),
      zones: req.zones,
      highlightZones: Object.keys(req.zones).filter((z) => v.message.includes(z) || v.subject.includes(z)),
      caption: [`${req.ruleTitle}${v.step ? ` — step ${v.step}` : ''}`, `${v.kind} · ${v.severity} · ${iso(v.startMs)} UTC · frame at ${iso(live.tMs)}${live.stream === 'main' ? ' · main stream' : ''}`, v.message],
      faceBoxes: [],
      outPath,
    };
    const jpeg = await this.faces.renderClean((extra) => composeKeyframe({ ...spec, faceBoxes: extra }), frame.height);
    await writeFileAtomic(outPath, jpeg);
    if (v.subjects === undefined || v.subjects.length === 0) return { bytes: jpeg.length };
    // The frame is the top part of the written image: the caption band is below it.
    const share = frame.height / (frame.height + captionHeight(spec.caption.length, frame.width));
    const boxes = subjectBoxes(v, detections).map((b) => ({ subject: b.subject, box: [b.box[0], b.box[1] * share, b.box[2], b.box[3] * share] as const }));
    return { bytes: jpeg.length, boxes };
  }

  /** The frame with faces blurred, as a checked JPEG written to `outPath`; false when a face could not be blurred. */
  async snapshot(live: LiveFrame, outPath: string): Promise<boolean> {
    try {
      return await this.gate.run(SNAPSHOT, async () => {
        const frame = await this.faces.scrub(await decodeLiveFrame(live));
        const jpeg = await this.faces.renderClean((extra) => encodeJpeg(frame, { quality: 80, faceBoxes: extra }));
        await writeFileAtomic(outPath, jpeg);
        return true;
      });
    } catch (err) {
      if (err instanceof FaceBlurError) return false;
      throw err;
    }
  }

  /**
   * Keyframes for a verify question: cropped around the persons, blurred, checked; a frame that fails is left out.
   * With them, the scene they show (the episode's subjects and their boxes on the last frame, a small grayscale
   * thumbnail of each crop), for the agent to reuse the rule's last answer while the scene stays the same.
   */
  async verifyKeyframes(request: Pick<VerifyRequest, 'id' | 'endMs' | 'subjects'>, frames: readonly WatchedFrame[]): Promise<{ keyframes: Keyframe[]; scene: SceneSignature }> {
    const keyframes: Keyframe[] = [];
    const thumbs: Uint8Array[] = [];
    for (const [i, live] of frames.entries()) {
      try {
        const { jpeg, thumb } = await this.gate.run(VERIFY, async () => {
          const raw = await decodeLiveFrame(live);
          // The tracked persons of the frame when the frame stage has settled it (steady from frame to frame of a still
          // scene, as the scene reuse needs), else the face finder's own person detection.
          const tracked = detectionsNear(live, frames)?.items.filter((d) => d.kind === 'person') ?? [];
          const crop = cropToPersons(tracked.length > 0 ? tracked : (await this.faces.find(raw)).persons);
          const frame = await this.faces.scrub(raw);
          const cropped = await cropAndScale(frame, crop, 768);
          return { jpeg: await this.faces.renderClean((extra) => encodeJpeg(cropped, { quality: 85, faceBoxes: extra })), thumb: await grayThumbnail(cropped) };
        });
        keyframes.push({ id: `${request.id}#${i + 1}`, tMs: live.tMs, jpeg });
        thumbs.push(thumb);
      } catch (err) {
        // A frame whose face cannot be blurred never leaves the machine; fewer frames (or none) mean `unsure`.
        if (err instanceof FaceBlurError) continue;
        throw err;
      }
    }
    const last = frames.find((f) => f.tMs === keyframes.at(-1)?.tMs) ?? frames.at(-1);
    const detections = last === undefined ? undefined : detectionsNear(last, frames);
    const subjects = subjectBoxes({ subjects: request.subjects ?? [] }, detections).map((b) => ({ id: b.subject, box: b.box }));
    return { keyframes, scene: { tMs: request.endMs, subjects, thumbs } };
  }
}
