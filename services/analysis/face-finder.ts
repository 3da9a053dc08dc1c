// Finds every region that may show a face in a frame, so that it is blurred before anything is stored or sent.
import type { Box, Detection, Frame } from '../core/contracts.ts';
import { createDetector, type Detector } from '../detector/index.ts';

export interface FaceRegions {
  faces: Box[];
  persons: Detection[];
}

export interface FaceFinder {
  find(frame: Frame): Promise<FaceRegions>;
  close(): Promise<void>;
}

/** A one-thread detector with the face, person and pose models, created on first use. */
export function createFaceFinder(): FaceFinder {
  let detector: Promise<Detector> | undefined;
  return {
    async find(frame) {
      detector ??= createDetector({ needs: { faces: true, persons: true, pose: true, hands: false, objects: false }, threads: 1 });
      const d = await (await detector).detect(frame);
      return {
        faces: d.items.filter((i) => i.kind === 'face').map((i) => i.box),
        persons: d.items.filter((i) => i.kind === 'person'),
      };
    },
    async close() {
      if (detector) await (await detector).close();
    },
  };
}
