// Keyframe evidence: the frame with faces blurred first, then zones, detections and the rule's caption.
import sharp from 'sharp';
import type { Box, Detections, Frame, Polygon } from '../core/contracts.ts';
import { writeFileAtomic } from './atomic-write.ts';
import { blurFaces } from './blur.ts';
import { EvidenceError } from './errors.ts';
import { faceRegions } from './face-regions.ts';
import { checkRgb } from './image.ts';
import { CAPTION_BACKGROUND, captionHeight, captionSvg, detectionsSvg, svgDocument, zonesSvg } from './overlay.ts';
import { DEFAULT_JPEG_QUALITY } from './jpeg.ts';

export interface KeyframeSpec {
  frame: Frame;
  detections?: Detections;
  zones: Record<string, Polygon>;
  /** Zones the rule is about, drawn in the alert colour. */
  highlightZones?: string[];
  /** Caption lines: rule, step, kind, time, message. The first is drawn bold. */
  caption: string[];
  /** Faces found by the face detector (normalised). Person heads are added from `detections`. */
  faceBoxes: Box[];
  outPath: string;
  quality?: number;
}

/**
 * The keyframe as JPEG bytes, without touching the disk. Faces are blurred on the raw pixels before any
 * overlay is drawn; a FaceBlurError here means there is no picture.
 */
export async function composeKeyframe(spec: KeyframeSpec): Promise<Buffer> {
  const { frame } = spec;
  checkRgb(frame, `keyframe ${frame.cameraId}#${frame.index}`);
  const { width, height } = frame;
  const items = spec.detections?.items ?? [];
  const blurred = await blurFaces(frame.rgb, width, height, faceRegions(items, spec.faceBoxes, width, height));
  const band = captionHeight(spec.caption.length, width);
  const overlay = svgDocument(
    width,
    height + band,
    zonesSvg(spec.zones, spec.highlightZones ?? [], width, height) +
      detectionsSvg(items, width, height) +
      captionSvg(spec.caption, width, height),
  );
  try {
    return await sharp(blurred, { raw: { width, height, channels: 3 } })
      .extend({ bottom: band, background: CAPTION_BACKGROUND })
      .composite([{ input: overlay, left: 0, top: 0 }])
      .jpeg({ quality: spec.quality ?? DEFAULT_JPEG_QUALITY })
      .toBuffer();
  } catch (err) {
    throw new EvidenceError(`render keyframe ${frame.cameraId}#${frame.index}`, { cause: err });
  }
}

/** Render the keyframe and write it atomically to `spec.outPath`. Nothing is written on any failure. */
export async function renderKeyframe(spec: KeyframeSpec): Promise<{ path: string; bytes: number }> {
  const jpeg = await composeKeyframe(spec);
  await writeFileAtomic(spec.outPath, jpeg);
  return { path: spec.outPath, bytes: jpeg.length };
}
