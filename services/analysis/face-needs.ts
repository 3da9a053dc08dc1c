// What the face finder (face-finder.ts) asks the detector for, apart from its code: a command starts a pool with
// these models before it loads the finder and sharp.
import type { DetectorNeeds } from '../detector/types.ts';

/** What the first look at a frame runs: faces, and persons with their pose for the heads the face model misses. */
export const LOOK = { faces: true, persons: true, pose: true, hands: false, objects: false } as const;
/** The models a pool must have loaded to serve a face finder (`shared`): the look's, which include the check's. */
export const FACE_FINDER_NEEDS: Readonly<DetectorNeeds> = LOOK;
/**
 * What a check after blurring runs: the face model alone. It finds the same faces as the full set (the face model
 * does not depend on the others) at about an eighth of the cost, and a check only ever reads faces.
 */
export const CHECK = { faces: true, persons: false, pose: false, hands: false, objects: false } as const;
