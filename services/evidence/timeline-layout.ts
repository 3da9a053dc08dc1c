// Geometry of the timeline picture, kept apart from drawing so that tests can find a span's pixels.

export interface Rect {
  left: number;
  top: number;
  width: number;
  height: number;
}

export interface Lane extends Rect {
  label: string;
}

export interface TimelineLayout {
  width: number;
  height: number;
  margin: number;
  thumbs: Rect[];
  trackLeft: number;
  trackRight: number;
  rulerY: number;
  ticksMs: number[];
  lanesTop: number;
  lanesBottom: number;
  lanes: Lane[];
  legendY: number;
  /** Pixel column of a clip time (clamped to the track). */
  xForMs(tMs: number): number;
  /** Where a span is drawn inside its lane (at least 4 px wide, so that a blip stays visible). */
  spanRect(span: { startMs: number; endMs: number }, lane: Lane): Rect;
}

interface LayoutInput {
  thumbnails: ReadonlyArray<{ frame: { width: number; height: number } }>;
  durationMs: number;
  spans: ReadonlyArray<{ label: string }>;
}

export const TIMELINE_WIDTH = 1280;
const MARGIN = 24;
const LABEL_COLUMN = 190;
const TITLE_HEIGHT = 44;
const THUMB_GAP = 8;
/** More thumbnails than this are thinned evenly: below ~95 px wide nobody can see what they show. */
export const MAX_THUMBNAILS = 10;
const LANE_HEIGHT = 34;
const LANE_GAP = 8;
const TICK_STEPS_S = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200];

/** `m:ss` (or `h:mm:ss`) for a time from the clip start; tenths when the clip is short. */
export function formatClipTime(tMs: number, durationMs: number): string {
  const totalS = Math.max(0, tMs) / 1000;
  const h = Math.floor(totalS / 3600);
  const m = Math.floor((totalS % 3600) / 60);
  const s = totalS % 60;
  const sec = durationMs < 120_000 && Math.round(s * 10) % 10 !== 0 ? s.toFixed(1).padStart(4, '0') : String(Math.floor(s)).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
}

/** At most `max` items, evenly spread, first and last kept. */
export function thinEvenly<T>(items: readonly T[], max = MAX_THUMBNAILS): T[] {
  if (items.length <= max) return [...items];
  if (max <= 1) return items.slice(0, max);
  return Array.from({ length: max }, (_, i) => items[Math.round((i * (items.length - 1)) / (max - 1))] as T);
}

/** Where the thumbnails, the ruler and the lanes are drawn: right of the label column, within the margins. */
const TRACK_LEFT = MARGIN + LABEL_COLUMN;
const TRACK_RIGHT = TIMELINE_WIDTH - MARGIN;

/** How wide the strip draws each of `count` thumbnails, px. */
export function thumbnailDrawWidth(count: number): number {
  const n = Math.min(MAX_THUMBNAILS, Math.max(1, count));
  return Math.floor((TRACK_RIGHT - TRACK_LEFT - (n - 1) * THUMB_GAP) / n);
}

export function timelineLayout(input: LayoutInput): TimelineLayout {
  const width = TIMELINE_WIDTH;
  const [trackLeft, trackRight] = [TRACK_LEFT, TRACK_RIGHT];
  const trackWidth = trackRight - trackLeft;
  const durationMs = Math.max(1, input.durationMs);

  const n = Math.min(MAX_THUMBNAILS, input.thumbnails.length);
  const first = input.thumbnails[0]?.frame;
  const aspect = first === undefined ? 9 / 16 : Math.min(1, Math.max(0.5, first.height / first.width));
  const thumbWidth = n === 0 ? 0 : thumbnailDrawWidth(n);
  const thumbHeight = Math.round(thumbWidth * aspect);
  const thumbsTop = MARGIN + TITLE_HEIGHT;
  const thumbs: Rect[] = Array.from({ length: n }, (_, i) => ({
    left: trackLeft + i * (thumbWidth + THUMB_GAP),
    top: thumbsTop,
    width: thumbWidth,
    height: thumbHeight,
  }));

  const rulerY = n === 0 ? thumbsTop + 10 : thumbsTop + thumbHeight + 48;
  const lanesTop = rulerY + 32;
  const labels = [...new Set(input.spans.map((s) => s.label))];
  if (labels.length === 0) labels.push('all rules');
  const lanes: Lane[] = labels.map((label, i) => ({
    label,
    left: trackLeft,
    top: lanesTop + i * (LANE_HEIGHT + LANE_GAP),
    width: trackWidth,
    height: LANE_HEIGHT,
  }));
  const lanesBottom = lanesTop + lanes.length * (LANE_HEIGHT + LANE_GAP) - LANE_GAP;
  const legendY = lanesBottom + 30;

  const stepS = TICK_STEPS_S.find((s) => durationMs / 1000 / s <= 10) ?? 7200;
  const ticksMs: number[] = [];
  for (let t = 0; t <= durationMs; t += stepS * 1000) ticksMs.push(t);

  const xForMs = (tMs: number): number => trackLeft + (Math.min(Math.max(tMs, 0), durationMs) / durationMs) * trackWidth;
  const spanRect = (span: { startMs: number; endMs: number }, lane: Lane): Rect => {
    const left = Math.round(xForMs(span.startMs));
    const right = Math.max(left + 4, Math.round(xForMs(span.endMs)));
    return { left, top: lane.top + 5, width: right - left, height: lane.height - 10 };
  };

  return {
    width,
    height: legendY + MARGIN,
    margin: MARGIN,
    thumbs,
    trackLeft,
    trackRight,
    rulerY,
    ticksMs,
    lanesTop,
    lanesBottom,
    lanes,
    legendY,
    xForMs,
    spanRect,
  };
}
