// Writes the evidence of a clip analysis: keyframes per violation and a timeline strip of the whole clip.
import { join } from 'node:path';
import { mkdir } from 'node:fs/promises';
import sharp from 'sharp';
import type { Detections, Frame, KeyframeBoxes, Polygon, Violation } from '../core/contracts.ts';
import { captionHeight, composeKeyframe, MAX_THUMBNAILS, renderTimeline, thumbnailDrawWidth, writeFileAtomic } from '../evidence/index.ts';
import { createFaceFinder, type FaceFinder } from './face-finder.ts';
import type { Rule } from '../rules/compiled.ts';
import { ruleZones } from '../rules/rule-conditions.ts';
import { subjectOfDetection } from '../rules/observe.ts';
import { frameAt, nearestDetections, spreadTimes } from './frames.ts';

/** Where keyframes come from: the frame nearest a time (the analysis' frame ring, or a decode of the clip). */
export type FrameSource = (tMs: number, cameraId: string) => Promise<Frame | undefined>;

export interface EvidenceContext {
  dir: string;
  frames: FrameSource;
  faces: FaceFinder;
  zonesBySop: ReadonlyMap<string, Record<string, Polygon>>;
  /** The rules behind the violations, by `<sop>/<rule>`: titles for captions, zones to highlight. */
  rules: ReadonlyMap<string, Rule>;
  detections: ReadonlyMap<number, Detections>;
  /**
   * Timeline thumbnails scrubbed ahead of writeTimeline (prepareThumbnail), by their time: a frame with faces blurred
   * and checked, undefined when the clip had no frame there, a rejection when it could not be made clean.
   */
  preparedThumbnails?: Map<number, Promise<Frame | undefined>>;
}

export interface EvidenceInput extends Omit<EvidenceContext, 'frames' | 'faces'> {
  clipPath: string;
  violations: Violation[];
  durationMs: number;
  title: string;
  /** Thumbnails in the timeline strip. */
  thumbnails?: number;
  frames?: FrameSource;
  faces?: FaceFinder;
}

/** A file name that is the same for the same violation on every run (idempotent writes). */
export function evidenceName(violationId: string, k: number): string {
  return `${violationId.replace(/[^a-zA-Z0-9._-]+/g, '_')}-${k}.jpg`;
}

const clock = (ms: number): string => {
  const s = Math.max(0, ms) / 1000;
  return `${Math.floor(s / 60)}:${(s % 60).toFixed(1).padStart(4, '0')}`;
};

/** The boxes of an episode's subjects in the detections nearest a keyframe (one box per subject: persons before hands). */
export function subjectBoxes(v: Pick<Violation, 'subjects'>, detections: Detections | undefined): KeyframeBoxes['boxes'] {
  const wanted = new Set(v.subjects ?? []);
  const out = new Map<string, KeyframeBoxes['boxes'][number]>();
  for (const item of detections?.items ?? []) {
    const subject = subjectOfDetection(item);
    if (subject === undefined || !wanted.has(subject) || (out.has(subject) && item.kind === 'hand')) continue;
    out.set(subject, { subject, box: [item.box[0], item.box[1], item.box[2], item.box[3]] });
  }
  return (v.subjects ?? []).flatMap((s) => { const b = out.get(s); return b === undefined ? [] : [b]; });
}

/**
 * Keyframes of one violation (faces blurred and checked), their names pushed on `v.evidence` in time order; problems
 * go to `errors`. The keyframes are made side by side: each is a chain of face looks and checks, and a detector pool
 * of several threads serves them at once.
 */
export async function writeViolationEvidence(ctx: EvidenceContext, v: Violation, errors: string[]): Promise<void> {
  await mkdir(ctx.dir, { recursive: true });
  const zones = ctx.zonesBySop.get(v.sop) ?? {};
  const rule = ctx.rules.get(`${v.sop}/${v.rule}`);
  const times = spreadTimes(v.startMs, v.endMs, v.endMs - v.startMs >= 3000 ? 3 : 1);
  const made = await Promise.allSettled(times.map(async (tMs, k) => {
    const raw = await ctx.frames(tMs, v.cameraId);
    if (raw === undefined) throw new Error(`no frame at ${clock(tMs)}`);
    const frame = await ctx.faces.scrub(raw);
    const detections = nearestDetections(ctx.detections, tMs);
    const name = evidenceName(v.id, k + 1);
    const outPath = join(ctx.dir, name);
    const spec = {
      frame,
      ...(detections ? { detections } : {}),
      zones,
      // The zones the rule looks at are drawn highlighted.
      highlightZones: rule ? ruleZones(rule) : [],
      caption: [
        `${rule?.title ?? v.rule}${v.step ? ` — step ${v.step}` : ''}`,
        `${v.kind} · ${v.severity} · ${clock(v.startMs)}–${clock(v.endMs)} · frame at ${clock(tMs)}`,
        v.message,
      ],
      // Already scrubbed above; renderKeyframe blurs the heads of the drawn persons again.
      faceBoxes: [],
      outPath,
    };
    // What is written is checked by the face detector, byte for byte, before it reaches the disk.
    const jpeg = await ctx.faces.renderClean((extra) => composeKeyframe({ ...spec, faceBoxes: extra }), frame.height);
    await writeFileAtomic(outPath, jpeg);
    // Where each of the episode's subjects is on this keyframe image (the caption band below the frame included),
    // for the dashboard to draw.
    const share = frame.height / (frame.height + captionHeight(spec.caption.length, frame.width));
    const boxes = subjectBoxes(v, detections).map((b) => ({ subject: b.subject, box: [b.box[0], b.box[1] * share, b.box[2], b.box[3] * share] as const }));
    return { name, tMs, boxes };
  }));
  for (const [k, m] of made.entries()) {
    if (m.status === 'rejected') {
      // No image is better than an unblurred one: the violation keeps its reason and says why it has no picture.
      errors.push(`${v.id} keyframe ${k + 1}: ${m.reason instanceof Error ? m.reason.message : String(m.reason)}`);
      continue;
    }
    const { name, tMs, boxes } = m.value;
    if (!v.evidence.includes(name)) v.evidence.push(name);
    if (v.subjects !== undefined && v.subjects.length > 0) {
      v.keyframeBoxes = [...(v.keyframeBoxes ?? []).filter((b) => b.evidence !== name), { evidence: name, tMs, boxes }];
    }
  }
}

/** The timeline strip of the whole clip, with every violation's span. */
export async function writeTimeline(
  ctx: EvidenceContext,
  input: { violations: Violation[]; durationMs: number; title: string; thumbnails?: number },
  errors: string[],
): Promise<string | undefined> {
  await mkdir(ctx.dir, { recursive: true });
  const thumbnails = [];
  const times = timelineTimes(input.durationMs, input.thumbnails);
  const width = thumbnailWidth(times.length);
  for (const tMs of times) {
    try {
      const frame = await (ctx.preparedThumbnails?.get(tMs) ?? scrubbedAt(ctx, tMs, width));
      if (frame !== undefined) thumbnails.push({ tMs, frame, faceBoxes: [] });
    } catch (err) {
      errors.push(`timeline thumbnail at ${clock(tMs)}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  try {
    const { path } = await renderTimeline({
      thumbnails,
      durationMs: input.durationMs,
      spans: input.violations.map((v) => ({
        label: `${v.rule}${v.step ? `/${v.step}` : ''}`,
        startMs: v.startMs,
        endMs: v.endMs,
        severity: v.severity,
        kind: v.kind,
      })),
      title: input.title,
      outPath: join(ctx.dir, 'timeline.jpg'),
    });
    return path;
  } catch (err) {
    errors.push(`timeline: ${err instanceof Error ? err.message : String(err)}`);
    return undefined;
  }
}

/** The widest a timeline thumbnail is scrubbed at, px (a strip of a few thumbnails draws them 200-1000 px wide). */
export const THUMBNAIL_WIDTH = 320;
/** A thumbnail is scrubbed at this many times the width the strip draws it at, or more (32 px steps, THUMBNAIL_WIDTH at most). */
const THUMBNAIL_OVERSCAN = 2;

/**
 * Width a timeline thumbnail is scrubbed at, px, when the strip has `count` of them: at least twice what the strip
 * draws it at, in 32 px steps, at most THUMBNAIL_WIDTH. Ten thumbnails (a clip of 10 s or more) are drawn 97 px wide
 * and scrubbed at 224 px; five or fewer at 320. The face look runs on it at that size (Frame.noUpscale): a person too
 * small for the detector at it is a few pixels tall in the strip. A look at 224 px costs about half one at 320 px.
 */
export function thumbnailWidth(count: number): number {
  const wanted = Math.ceil((THUMBNAIL_OVERSCAN * thumbnailDrawWidth(count)) / 32) * 32;
  return Math.min(THUMBNAIL_WIDTH, wanted);
}

/** The frame scaled down to `width` (its aspect kept), marked not to be scaled up again by the detector. */
async function thumbnailOf(frame: Frame, width: number): Promise<Frame> {
  const { cameraId, index, tMs } = frame;
  if (frame.width <= width) return { cameraId, index, tMs, width: frame.width, height: frame.height, rgb: frame.rgb, noUpscale: true };
  const { data, info } = await sharp(frame.rgb, { raw: { width: frame.width, height: frame.height, channels: 3 } })
    .resize({ width })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { cameraId, index, tMs, width: info.width, height: info.height, rgb: data, noUpscale: true };
}

async function scrubbedAt(ctx: EvidenceContext, tMs: number, width: number): Promise<Frame | undefined> {
  const raw = await ctx.frames(tMs, 'timeline');
  return raw === undefined ? undefined : ctx.faces.scrub(await thumbnailOf(raw, width));
}

/**
 * Scrubs the timeline's thumbnail at `tMs` now (its frame has been decoded), so that writeTimeline finds it done: the
 * analysis runs this beside the detection instead of after it. `count`: the thumbnails of the strip (timelineTimes).
 * Resolves when done; a failure is writeTimeline's to report.
 */
export async function prepareThumbnail(ctx: EvidenceContext, tMs: number, count: number): Promise<void> {
  const scrubbed = scrubbedAt(ctx, tMs, thumbnailWidth(count));
  (ctx.preparedThumbnails ??= new Map()).set(tMs, scrubbed);
  await scrubbed.catch(() => undefined);
}

/** The timeline shows at most one thumbnail per this much of the clip: a short clip's neighbours would look alike. */
const MIN_THUMBNAIL_SPACING_MS = 1000;

/**
 * The times of the timeline's thumbnails: `count` (the layout's maximum by default), fewer on a clip too short for
 * them to differ. Each one costs a face scrub, the dearest step of the evidence.
 */
export function timelineTimes(durationMs: number, count = MAX_THUMBNAILS): number[] {
  const fit = Math.max(1, Math.ceil(durationMs / MIN_THUMBNAIL_SPACING_MS));
  return spreadTimes(0, durationMs, Math.min(count, fit));
}

/** Keyframes of every violation and the timeline strip, in one go. */
export async function buildEvidence(input: EvidenceInput): Promise<{ dir: string; timeline?: string; errors: string[] }> {
  const errors: string[] = [];
  const faces = input.faces ?? createFaceFinder();
  const ctx: EvidenceContext = { ...input, faces, frames: input.frames ?? ((tMs, cameraId) => frameAt(input.clipPath, tMs, cameraId)) };
  try {
    for (const v of input.violations) await writeViolationEvidence(ctx, v, errors);
    const timeline = await writeTimeline(ctx, input, errors);
    return { dir: input.dir, ...(timeline === undefined ? {} : { timeline }), errors };
  } finally {
    if (input.faces === undefined) await faces.close();
  }
}
