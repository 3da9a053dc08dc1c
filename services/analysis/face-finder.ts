// Finds and blurs every region that may show a face, before a frame is stored or sent anywhere.
import sharp from 'sharp';
import type { Box, Detection, Frame } from '../core/contracts.ts';
import { createDetector, type DetectionCache, type Detector, type PooledDetector } from '../detector/index.ts';
import { blurFaces, FaceBlurError, headBoxes } from '../evidence/index.ts';
import { CHECK, LOOK } from './face-needs.ts';

export { FACE_FINDER_NEEDS } from './face-needs.ts';

export interface FaceRegions {
  faces: Box[];
  persons: Detection[];
}

export interface FaceFinder {
  find(frame: Frame): Promise<FaceRegions>;
  /**
   * The frame with faces and the heads of persons blurred, checked again by the face detector until it
   * finds nothing (a few passes); throws FaceBlurError when a face survives, so nothing unblurred is kept.
   * `seen` gets what the first pass found in the unblurred frame (a video's overlay draws those persons).
   */
  scrub(frame: Frame, seen?: (regions: FaceRegions) => void): Promise<Frame>;
  /**
   * Renders an image, runs the face detector on the rendered bytes (the top `checkHeight` rows: the frame,
   * not a caption band under it) and renders again with what it found blurred too, until it finds nothing.
   * `render` gets extra boxes normalised to that checked part. A face still found after that render is in the drawing
   * itself (a zone's label beside a blurred head, say) or is the blur's own blob: the rendered image is then blurred
   * there, drawing and all, and checked again. Throws FaceBlurError when a face survives.
   */
  renderClean(render: (extra: Box[]) => Promise<Buffer>, checkHeight?: number): Promise<Buffer>;
  /** Loads both detectors now, so that the first frame to blur does not wait for their models. */
  warm(): Promise<void>;
  close(): Promise<void>;
}

/** Blur passes before giving up: the first covers faces and heads, later ones whatever the detector still sees. */
const MAX_PASSES = 3;
/** JPEG quality of a rendered image blurred after drawing (the renderers use 80-90). */
const REBLURRED_QUALITY = 88;

export interface FaceFinderOptions {
  /**
   * Kept answers of earlier runs (open it with `{ detector: { threads: 1 } }`; the caller saves it): a frame with
   * exactly the same pixels gets exactly the detector's answer, and its models are loaded only for pixels never seen.
   */
  cache?: DetectionCache;
  /**
   * A running pool that has the face finder's models loaded (FACE_FINDER_NEEDS among its needs, default scores): the
   * look and the check run on its threads as views instead of on two threads of their own. Its owner closes it.
   */
  shared?: PooledDetector;
}

/** One-thread detectors (the full look and the face-only check), each created on first use. */
export function createFaceFinder(options: FaceFinderOptions = {}): FaceFinder {
  const { cache, shared } = options;
  let looker: Promise<Detector> | undefined;
  let checker: Promise<Detector> | undefined;
  const start = (needs: typeof LOOK | typeof CHECK): Promise<Detector> => {
    // On a shared pool the face finder's frames go first: evidence is what a violation's alert and the analysis's end
    // wait for, while the frame stage has other calls in flight.
    if (shared !== undefined) {
      const view = shared.view(needs, { first: true });
      return Promise.resolve(cache === undefined ? view : cache.over(view, needs));
    }
    return cache === undefined ? createDetector({ needs, threads: 1 }) : Promise.resolve(cache.detector(needs));
  };
  const look = (): Promise<Detector> => (looker ??= start(LOOK));
  const check = (): Promise<Detector> => (checker ??= start(CHECK));
  const find = async (frame: Frame): Promise<FaceRegions> => {
    const d = await (await look()).detect(frame);
    return {
      faces: d.items.filter((i) => i.kind === 'face').map((i) => i.box),
      persons: d.items.filter((i) => i.kind === 'person'),
    };
  };
  const facesLeft = async (frame: Frame): Promise<Box[]> => {
    const d = await (await check()).detect(frame);
    return d.items.filter((i) => i.kind === 'face').map((i) => i.box);
  };
  return {
    find,
    async scrub(frame, seen) {
      let rgb = frame.rgb;
      for (let pass = 0; pass < MAX_PASSES; pass++) {
        let boxes: Box[];
        if (pass === 0) {
          const regions = await find({ ...frame, rgb });
          seen?.(regions);
          boxes = [...regions.faces, ...headBoxes(regions.persons, frame.width, frame.height)];
        } else {
          boxes = await facesLeft({ ...frame, rgb });
        }
        if (boxes.length === 0) return { ...frame, rgb };
        rgb = await blurFaces(rgb, frame.width, frame.height, boxes);
      }
      const left = await facesLeft({ ...frame, rgb });
      if (left.length > 0) throw new FaceBlurError(`a face was still found after ${MAX_PASSES} blur passes at ${frame.tMs} ms`);
      return { ...frame, rgb };
    },
    async renderClean(render, checkHeight) {
      const extra: Box[] = [];
      let rendered = await render(extra);
      for (let pass = 0; pass <= MAX_PASSES; pass++) {
        const { data, info } = await sharp(rendered).removeAlpha().raw().toBuffer({ resolveWithObject: true });
        const { width } = info;
        const height = Math.min(info.height, checkHeight ?? Number.MAX_SAFE_INTEGER);
        // The checked part is the image's top rows (a view of them); what is returned is what was checked.
        const found = await facesLeft({ cameraId: 'render-check', index: 0, tMs: 0, width, height, rgb: data.subarray(0, width * height * 3) });
        if (found.length === 0) return rendered;
        if (pass === MAX_PASSES) break;
        if (pass === 0) {
          // Blurred under the drawing first: the drawing (boxes, labels) stays readable.
          extra.push(...found);
          rendered = await render(extra);
        } else {
          // Found again: the face is in the drawing (a zone's label beside a blurred head, say), or the blur's blob reads
          // as one. The rendered image is blurred there, drawing and all, to the region's mean colour.
          const share = height / info.height;
          const boxes = found.map(([x, y, w, h]): Box => [x, y * share, w, h * share]);
          const blurred = await blurFaces(data, width, info.height, boxes, 1);
          rendered = await sharp(blurred, { raw: { width, height: info.height, channels: 3 } }).jpeg({ quality: REBLURRED_QUALITY }).toBuffer();
        }
      }
      throw new FaceBlurError(`a face was still found in the rendered image after ${MAX_PASSES} extra blur passes`);
    },
    async warm() {
      await Promise.all([look(), check()]);
    },
    async close() {
      const open = [looker, checker].filter((d): d is Promise<Detector> => d !== undefined);
      await Promise.all(open.map(async (d) => (await d).close()));
    },
  };
}
