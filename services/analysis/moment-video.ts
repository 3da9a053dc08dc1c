// The few seconds around an alert as a short MP4 with every frame scrubbed by the face finder (the same fail-closed
// blur as keyframes), plus a JSON sidecar of the persons seen per frame for the player's overlay. Clips are cut on
// request from the stored file; live cameras give the frames of their evidence ring. One render at a time.
import { readFile } from 'node:fs/promises';
import type { Box, Frame } from '../core/contracts.ts';
import { writeMp4 } from '../evidence/mp4-video.ts';
import { EvidenceError, writeFileAtomic } from '../evidence/index.ts';
import { decoder, decodeLiveFrame, readClipFrames, type LiveFrame } from '../ingester/index.ts';
import type { FaceFinder } from './face-finder.ts';

export interface VideoWindow {
  /** Seconds shown before the alert's start and after its end, in ms. */
  beforeMs: number;
  afterMs: number;
  /** Longest video, ms: a long episode is cut after its start. */
  maxMs: number;
  /** Frames per second: every frame goes through the face detector, which sets the price (about 0.3-2 s a frame on 2 cores). */
  fps: number;
  maxWidth: number;
}

export const DEFAULT_VIDEO_WINDOW: Readonly<VideoWindow> = Object.freeze({ beforeMs: 3000, afterMs: 3000, maxMs: 15_000, fps: 4, maxWidth: 640 });

/** What the player needs beside the MP4: where the alert sits in it, and who was where in each frame. */
export interface MomentMeta {
  /** The span shown: clip ms for clips, epoch ms for live cameras. */
  fromMs: number;
  toMs: number;
  /** Seconds into the video where the alert starts and ends. */
  alertStartS: number;
  alertEndS: number;
  fps: number;
  width: number;
  height: number;
  /** Persons seen in each frame (normalised boxes, from the unblurred frame), `t` in seconds into the video. */
  frames: Array<{ t: number; boxes: Box[] }>;
}

export interface MomentRequest {
  /** The MP4 written; the sidecar goes to `metaPathOf(outPath)`. */
  outPath: string;
  startMs: number;
  endMs: number;
}

export const metaPathOf = (mp4: string): string => mp4.replace(/\.mp4$/, '') + '.json';

/** The span to show around [startMs, endMs], clipped to [0, durationMs] when the length is known. */
export function momentSpan(startMs: number, endMs: number, w: VideoWindow, durationMs?: number): { fromMs: number; toMs: number } {
  const fromMs = Math.max(0, startMs - w.beforeMs);
  let toMs = Math.min(Math.max(endMs, startMs) + w.afterMs, fromMs + w.maxMs);
  if (durationMs !== undefined) toMs = Math.min(toMs, durationMs);
  return { fromMs, toMs };
}

/** `n` grid times over [fromMs, toMs) at `fps`, each with the newest frame at or before it (the first frame before any). */
export function onGrid<T extends { tMs: number }>(frames: readonly T[], fromMs: number, toMs: number, fps: number): T[] {
  const sorted = [...frames].sort((a, b) => a.tMs - b.tMs);
  if (sorted.length === 0) return [];
  const out: T[] = [];
  for (let t = fromMs, k = 0; t < toMs; k++, t = fromMs + (k * 1000) / fps) {
    let pick = sorted[0] as T;
    for (const f of sorted) if (f.tMs <= t) pick = f;
    out.push(pick);
  }
  return out;
}

export class MomentVideos {
  private readonly window: VideoWindow;
  private readonly inflight = new Map<string, Promise<MomentMeta>>();
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly faces: () => FaceFinder, window: Partial<VideoWindow> = {}, private readonly ffmpeg: () => string = () => decoder().ffmpeg) {
    this.window = { ...DEFAULT_VIDEO_WINDOW, ...window };
  }

  get settings(): Readonly<VideoWindow> {
    return this.window;
  }

  /** Cuts [start - before, end + after] out of a stored clip (ms from its start), scrubbed, and writes it. */
  fromClip(clipPath: string, req: MomentRequest): Promise<MomentMeta> {
    return this.once(req.outPath, async () => {
      const { fromMs, toMs } = momentSpan(req.startMs, req.endMs, this.window);
      const frames = readClipFrames(clipPath, { cameraId: 'video', fps: this.window.fps, maxWidth: this.window.maxWidth, startMs: fromMs, endMs: Math.max(toMs, fromMs + 1) });
      const meta = await this.encode(frames, fromMs, toMs, req);
      const read = await frames.result;
      if (read.error !== undefined && read.frames === 0) throw new EvidenceError(`video: ${read.error}`);
      return meta;
    });
  }

  /** Encodes the frames of a live camera's evidence ring (epoch ms) around [start, end] on a regular grid. */
  fromLiveFrames(ring: readonly LiveFrame[], req: MomentRequest): Promise<MomentMeta> {
    return this.once(req.outPath, async () => {
      const { fromMs, toMs } = momentSpan(req.startMs, req.endMs, this.window);
      // A camera's picture holds until the next one: a frame from before the span shows its first moments.
      const usable = ring.filter((f) => f.tMs <= toMs);
      if (!usable.some((f) => f.tMs >= fromMs)) throw new EvidenceError('video: no frame of the camera around the alert');
      const times = usable.map((f) => f.tMs);
      const first = Math.max(fromMs, Math.min(...times));
      const last = Math.min(toMs, Math.max(...times) + 1000 / this.window.fps);
      const grid = onGrid(usable, first, last, this.window.fps);
      const decoded = new Map<number, Promise<Frame>>();
      const maxWidth = this.window.maxWidth;
      const frames = (async function* () {
        for (const [k, live] of grid.entries()) {
          if (!decoded.has(live.tMs)) decoded.set(live.tMs, decodeLiveFrame(live, maxWidth));
          const f = await (decoded.get(live.tMs) as Promise<Frame>);
          yield { ...f, index: k };
        }
      })();
      return this.encode(frames, first, last, req);
    });
  }

  /** Scrubs every frame (throws FaceBlurError when a face survives: then no video at all) and writes MP4 + sidecar. */
  private async encode(source: AsyncIterable<Frame>, fromMs: number, toMs: number, req: MomentRequest): Promise<MomentMeta> {
    const faces = this.faces();
    const seen: MomentMeta['frames'] = [];
    let size = { width: 0, height: 0 };
    const fps = this.window.fps;
    const scrubbed = (async function* () {
      for await (const raw of source) {
        const k = seen.length;
        let boxes: Box[] = [];
        const clean = await faces.scrub(raw, (r) => { boxes = r.persons.map((p) => p.box); });
        seen.push({ t: k / fps, boxes });
        size = { width: clean.width, height: clean.height };
        yield clean;
      }
    })();
    await writeMp4(scrubbed, { ffmpeg: this.ffmpeg(), fps, outPath: req.outPath });
    const meta: MomentMeta = {
      fromMs, toMs, fps, ...size, frames: seen,
      alertStartS: Math.max(0, (req.startMs - fromMs) / 1000),
      alertEndS: Math.max(0, (Math.min(req.endMs, toMs) - fromMs) / 1000),
    };
    await writeFileAtomic(metaPathOf(req.outPath), Buffer.from(JSON.stringify(meta)));
    return meta;
  }

  /** One render per output path at a time, and one render in the process at a time (the face detector is one thread). */
  private once(key: string, work: () => Promise<MomentMeta>): Promise<MomentMeta> {
    const running = this.inflight.get(key);
    if (running !== undefined) return running;
    const next = this.queue.then(work, work);
    this.queue = next.catch(() => undefined);
    const tracked = next.finally(() => this.inflight.delete(key));
    this.inflight.set(key, tracked);
    return tracked;
  }
}

/** Reads a sidecar written by MomentVideos; undefined when it is missing or unreadable. */
export async function readMomentMeta(mp4: string): Promise<MomentMeta | undefined> {
  try {
    return JSON.parse(await readFile(metaPathOf(mp4), 'utf8')) as MomentMeta;
  } catch {
    return undefined;
  }
}
