// Typed camera errors: transport trouble is retried by the supervisor; refused URIs and bad answers are not.
import { InputError, TransportError } from '../core/errors.ts';

/** The camera did not answer, answered late, or refused the credentials. Messages are redacted. */
export class CameraError extends TransportError {}

/** A call to the camera took longer than its time limit. */
export class CameraTimeoutError extends CameraError {}

/** The camera rejected the credentials (WS-Security fault or Digest 401). */
export class CameraAuthError extends CameraError {}

/**
 * The camera returned a URI we will not open: another host or port than configured, or a scheme
 * we do not speak. Opening it would let a camera point us anywhere (SSRF), so it is never retried.
 */
export class CameraUriRefusedError extends InputError {}

/** The camera answered with something unusable (no profile, no stream URI, not a JPEG). */
export class CameraAnswerError extends InputError {}
