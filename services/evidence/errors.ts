// Errors of the evidence stage: a picture that could not be made, and the fail-closed face blur.
import { SopwatchError } from '../core/errors.ts';

/** An evidence image could not be rendered or written. Nothing was written. */
export class EvidenceError extends SopwatchError {}

/**
 * Face blurring failed (a bad box, an image library error). The image is never written or
 * sent unblurred: whoever catches this must drop the picture, not retry without the blur.
 */
export class FaceBlurError extends EvidenceError {}
