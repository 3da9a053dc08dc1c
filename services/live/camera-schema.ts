// The cameras file's schema (cameras.yaml): one strict TypeBox schema for the cameras a store has and how they are
// watched. Kept apart from the file reader so that the dashboard can type the API's camera settings from it.
import { Type, type Static } from '@sinclair/typebox';

const strict = { additionalProperties: false } as const;

export const CameraSchema = Type.Object({
  id: Type.String({ pattern: '^[a-z0-9][a-z0-9_-]*$', description: 'Camera id, as SOP files name it in `cameras:` and `zones:`.' }),
  tags: Type.Array(Type.String({ minLength: 1 }), { default: [], description: 'Tags SOP files may name instead of the id.' }),
  host: Type.String({ minLength: 1, description: 'The camera\'s address. Stream and snapshot URIs the camera returns must point at this host, or they are refused.' }),
  onvifPort: Type.Integer({ minimum: 1, maximum: 65535, default: 80, description: 'ONVIF (HTTP) port.' }),
  // No control characters (header injection) and no colon (Basic authentication splits user and password at it).
  username: Type.Optional(Type.String({ minLength: 1, maxLength: 128, pattern: '^[^\\x00-\\x1f\\x7f:]+$', description: 'User for ONVIF, RTSP and snapshots (a viewer account is enough).' })),
  passwordEnv: Type.Optional(Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]*$', description: 'Name of the environment variable holding the password (this file only: the API refuses it and stores the password itself, encrypted). The password itself never goes in this file.' })),
  auth: Type.Union([Type.Literal('auto'), Type.Literal('digest')], { default: 'auto', description: 'ONVIF auth: auto (WS-Security, and HTTP Digest when asked) or digest (Digest only).' }),
  profile: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_.:-]{1,64}$', description: 'ONVIF profile token; default: the low-resolution (sub-stream) profile.' })),
  rtspUrl: Type.Optional(Type.String({ pattern: '^rtsps?://', description: 'RTSP URL without credentials, to skip ONVIF; must point at `host`.' })),
  rtspPorts: Type.Array(Type.Integer({ minimum: 1, maximum: 65535 }), { default: [554], description: 'Ports an RTSP URI may use.' }),
  snapshotPorts: Type.Array(Type.Integer({ minimum: 1, maximum: 65535 }), { default: [], description: 'Ports a snapshot URI may use; empty means the ONVIF port only.' }),
  snapshotUrl: Type.Optional(Type.String({ pattern: '^https?://', description: 'Snapshot URL without credentials, to skip ONVIF; must point at `host`.' })),
  source: Type.Union([Type.Literal('auto'), Type.Literal('rtsp'), Type.Literal('snapshot')], { default: 'auto', description: 'auto: RTSP, falling back to snapshots when the stream keeps failing; or one of them only.' }),
  transport: Type.Union([Type.Literal('tcp'), Type.Literal('udp')], { default: 'tcp', description: 'RTSP transport.' }),
  fps: Type.Number({ exclusiveMinimum: 0, maximum: 5, default: 2, description: 'Frames per second analysed (1-5 suits SOP work).' }),
  maxWidth: Type.Integer({ minimum: 160, maximum: 1920, default: 640, description: 'Wider pictures are scaled down to this width.' }),
  evidenceStream: Type.Optional(Type.Union([Type.Literal('auto'), Type.Literal('detection')], { description: 'Where violation keyframes come from. auto (also when absent): the main (largest) stream, recorded without decoding for a short window, when ONVIF lists one larger than the detection stream (ONVIF is not asked for a camera given by `rtspUrl`, or by `snapshotUrl` with `source: snapshot`) or `mainRtspUrl` names it; detection: the frames the detector saw.' })),
  mainRtspUrl: Type.Optional(Type.String({ pattern: '^rtsps?://', description: 'RTSP URL of the main stream without credentials, for evidence (instead of asking ONVIF); must point at `host`.' })),
}, { ...strict, description: 'One camera.' });
export type CameraConfig = Static<typeof CameraSchema>;

export const LiveConfigSchema = Type.Object({
  cameras: Type.Array(CameraSchema, { default: [], description: 'The cameras to watch.' }),
  stallMs: Type.Integer({ minimum: 500, default: 20_000, description: 'No frame for this long: the camera is offline and its stream is restarted.' }),
  startTimeoutMs: Type.Integer({ minimum: 500, default: 20_000, description: 'A (re)started stream may take this long to give its first frame.' }),
  backoffInitialMs: Type.Integer({ minimum: 10, default: 1_000, description: 'First delay before a restart; doubles on each failure, with jitter.' }),
  backoffMaxMs: Type.Integer({ minimum: 10, default: 60_000, description: 'Longest delay between restarts.' }),
  stableMs: Type.Integer({ minimum: 0, default: 60_000, description: 'Online this long before failing resets the backoff (a flapping camera keeps backing off).' }),
  leaseTtlMs: Type.Integer({ minimum: 1_000, default: 15_000, description: 'With Redis: a dead worker\'s cameras are taken over after about this long.' }),
  evidenceBeforeMs: Type.Integer({ minimum: 0, default: 5_000, description: 'Seconds of frames kept before a violation.' }),
  evidenceAfterMs: Type.Integer({ minimum: 0, default: 5_000, description: 'Seconds of frames kept after a violation.' }),
  mainWindowMs: Type.Integer({ minimum: 5_000, maximum: 600_000, default: 30_000, description: 'How much of a camera\'s main stream is kept on disk for evidence, ms (segments older than this are deleted).' }),
  mainMaxBytes: Type.Integer({ minimum: 1_048_576, default: 67_108_864, description: 'The most bytes of main-stream recording kept per camera (the oldest segments go first).' }),
}, { ...strict, description: 'cameras.yaml: live cameras and how they are supervised.' });
export type LiveConfig = Static<typeof LiveConfigSchema>;
