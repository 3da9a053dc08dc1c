// The sidecar of a video around an alert: where the alert sits in it, who was where, the zones to draw.
import { Type, type Static } from '@sinclair/typebox';

/** Why no video is shown (the `details.reason` of a 404 `video_unavailable`). */
export const VIDEO_REASONS = ['turned_off', 'not_kept', 'clip_deleted', 'face_not_blurred'] as const;
export type VideoReason = (typeof VIDEO_REASONS)[number];

const Point = Type.Tuple([Type.Number(), Type.Number()]);
const Box = Type.Tuple([Type.Number(), Type.Number(), Type.Number(), Type.Number()], { description: '[x, y, w, h], 0..1' });

export const VideoMeta = Type.Object({
  fromMs: Type.Number({ description: 'Start of the span shown: ms in the clip, or epoch ms for a live camera' }),
  toMs: Type.Number(),
  alertStartS: Type.Number({ description: 'Seconds into the video where the alert starts (the player starts there)' }),
  alertEndS: Type.Number(),
  fps: Type.Number(),
  width: Type.Integer(),
  height: Type.Integer(),
  frames: Type.Array(Type.Object({ t: Type.Number({ description: 'Seconds into the video' }), boxes: Type.Array(Box, { description: 'Persons seen' }) })),
  zones: Type.Record(Type.String(), Type.Array(Point), { description: 'The SOP\'s zones on this camera, normalised polygons' }),
});
export type VideoMeta = Static<typeof VideoMeta>;
