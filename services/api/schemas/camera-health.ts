// Live cameras in the API: health as the watching worker last reported it, and the stream settings of a store camera.
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { CameraSchema } from '../../live/camera-config.ts';
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

const { id: _id, tags: _tags, host: _host, ...settings } = CameraSchema.properties;

export const StreamSettings = Type.Object({
  host: nullable(Type.String({ minLength: 1, maxLength: 255, pattern: '^[^@\\s/]+$', description: 'Host name or address, without credentials; null stops live watching' })),
  ...settings,
}, { additionalProperties: false, description: 'How the worker reaches the camera (the cameras.yaml keys). Passwords only by environment variable name' });
export type StreamSettings = Static<typeof StreamSettings>;
