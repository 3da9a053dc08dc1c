// Live cameras in the API: health as the watching worker last reported it, and the stream settings of a store camera.
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { CameraSchema } from '../../live/camera-schema.ts';
import { IsoTime } from './common.ts';

const nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);

export const NotMonitoredSpan = Type.Object({
  startAt: IsoTime,
  endAt: nullable(IsoTime),
  reason: Type.String({ description: 'Why the camera was not watched (no credentials in it)' }),
}, { description: 'A span in which nothing was watched: it never counts as compliance' });

export const CameraHealth = Type.Object({
  cameraId: Type.String(),
  storeId: Type.String(),
  name: Type.String(),
  state: Type.Union(['starting', 'online', 'offline', 'backoff', 'stopped', 'unknown'].map((s) => Type.Literal(s)), {
    description: 'unknown: no worker reported this camera lately (not configured for live, or no worker running)',
  }),
  watched: Type.Boolean({ description: 'A worker reported this camera within the last half minute' }),
  source: nullable(Type.String({ description: 'Where frames come from, without credentials' })),
  since: nullable(IsoTime),
  expectedFps: nullable(Type.Number()),
  fpsIn: nullable(Type.Number({ description: 'Frames arriving per second (last 10 s)' })),
  fpsOut: nullable(Type.Number({ description: 'Frames analysed per second (last 10 s)' })),
  dropped: nullable(Type.Integer({ description: 'Frames dropped because the analysis was behind' })),
  framesTotal: nullable(Type.Integer()),
  reconnectsLastHour: nullable(Type.Integer()),
  stallsLastHour: nullable(Type.Integer()),
  lastFrameAt: nullable(IsoTime),
  problem: nullable(Type.Union(['unreachable', 'wrong_password', 'not_a_camera', 'address_not_allowed'].map((s) => Type.Literal(s)), {
    description: 'What keeps the camera from being watched, when it is not online: unreachable, wrong_password, not_a_camera, address_not_allowed',
  })),
  lastError: nullable(Type.String({ description: 'What the problem means and what to do, in one sentence; the technical detail is in the server log only' })),
  notMonitoredSince: nullable(IsoTime),
  grade: nullable(Type.Union(['excellent', 'fair', 'poor', 'unusable'].map((s) => Type.Literal(s)))),
  meanLagMs: nullable(Type.Number({ description: 'Mean time from a frame\'s arrival to the end of its analysis' })),
  reportedAt: nullable(IsoTime),
  snapshotAt: nullable(IsoTime),
  notMonitored: Type.Array(NotMonitoredSpan, { description: 'The newest spans (at most 10), newest first' }),
});
export type CameraHealth = Static<typeof CameraHealth>;

// passwordEnv names a variable of the server's environment: only the operator's cameras.yaml may do that (issue 10).
const { id: _id, tags: _tags, host: _host, passwordEnv: _passwordEnv, ...settings } = CameraSchema.properties;

const Host = nullable(Type.String({ minLength: 1, maxLength: 255, pattern: '^[^@\\s/]+$', description: 'Host name or address, without credentials; null stops live watching' }));

/** What a PUT of stream settings may carry: the cameras.yaml keys but id, tags and passwordEnv, and the password itself. */
export const StreamSettingsBody = Type.Object({
  host: Host,
  ...settings,
  password: Type.Optional(nullable(Type.String({
    minLength: 1, maxLength: 256, pattern: '^[^\\x00-\\x1f\\x7f]+$', writeOnly: true,
    description: 'The camera account\'s password. Write-only: stored encrypted, never returned. Absent: the stored one is kept (while the host stays the same); null: removed',
  }))),
}, { additionalProperties: false, description: 'How the worker reaches the camera (the cameras.yaml keys), with the camera account\'s password. An environment variable name (passwordEnv) is refused' });
export type StreamSettingsBody = Static<typeof StreamSettingsBody>;

/** What the API answers: the settings and whether a password is stored, never the password. */
export const StreamSettings = Type.Object({
  host: Host,
  ...settings,
  hasPassword: Type.Boolean({ description: 'A password is stored for this camera (it is never returned)' }),
}, { additionalProperties: false, description: 'How the worker reaches the camera (the cameras.yaml keys); the password is write-only' });
export type StreamSettings = Static<typeof StreamSettings>;
