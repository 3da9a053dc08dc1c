// Per-camera health figures: frame rates over a sliding window, events in the last hour, and the quality grade ladder.

export type CameraState = 'starting' | 'online' | 'offline' | 'backoff' | 'stopped';
export type QualityGrade = 'excellent' | 'fair' | 'poor' | 'unusable';

/** A span in which the camera was not watched: nothing in it may be read as compliance. */
export interface NotMonitored {
  cameraId: string;
  startMs: number;
  /** Absent while the span is still open. */
  endMs?: number;
  /** Redacted reason the camera went offline. */
  reason: string;
}

/** What a supervisor tells its listener; every reason is redacted. */
export type CameraEvent =
  | { type: 'online'; cameraId: string; atMs: number; source: string }
  | {
      type: 'offline';
      cameraId: string;
      atMs: number;
      reason: string;
      /** stall: frames stopped; start_timeout: no first frame; exit: the source ended; error: it could not be opened. */
      kind: 'stall' | 'start_timeout' | 'exit' | 'error' | 'stopped';
      /** False when the camera was already offline (a failed restart). */
      wasOnline: boolean;
      lastFrameMs?: number;
    }
  | { type: 'backoff'; cameraId: string; atMs: number; attempt: number; delayMs: number }
  | { type: 'not_monitored'; cameraId: string; span: NotMonitored };

export interface CameraHealth {
  cameraId: string;
  /** Where frames come from, without credentials. */
  source: string;
  state: CameraState;
  /** When the current state began, epoch ms. */
  sinceMs: number;
  expectedFps: number;
  /** Frames arriving from the camera per second (last 10 s). */
  fpsIn: number;
  /** Frames taken by the analysis per second (last 10 s). */
  fpsOut: number;
  /** Frames dropped because the analysis was behind (newest wins). */
  dropped: number;
  framesTotal: number;
  reconnectsLastHour: number;
  stallsLastHour: number;
  lastFrameMs?: number;
  lastError?: string;
  /** Camera clock minus ours, when known (ONVIF). */
  clockSkewMs?: number;
  grade: QualityGrade;
  /** Recent not-monitored spans, newest last (bounded). */
  notMonitored: NotMonitored[];
}

/** Events per second over a sliding window. */
export class RateMeter {
  private readonly times: number[] = [];
  constructor(private readonly windowMs = 10_000, private readonly maxSamples = 512) {}

  mark(nowMs: number): void {
    this.times.push(nowMs);
    if (this.times.length > this.maxSamples) this.times.shift();
  }

  rate(nowMs: number): number {
    while (this.times.length > 0 && (this.times[0] as number) < nowMs - this.windowMs) this.times.shift();
    if (this.times.length === 0) return 0;
    // Over the window, or over the time since the first sample when the meter is younger than that.
    const span = Math.min(this.windowMs, Math.max(1000, nowMs - (this.times[0] as number)));
    return Math.round((this.times.length / span) * 1000 * 100) / 100;
  }
}

/** Counts events in the last hour (bounded memory: older and excess entries are dropped). */
export class HourCounter {
  private readonly times: number[] = [];
  constructor(private readonly windowMs = 3_600_000, private readonly max = 2000) {}

  mark(nowMs: number): void {
    this.times.push(nowMs);
    if (this.times.length > this.max) this.times.shift();
  }

  count(nowMs: number): number {
    while (this.times.length > 0 && (this.times[0] as number) < nowMs - this.windowMs) this.times.shift();
    return this.times.length;
  }
}

/**
 * The quality grade (after Frigate's connection-quality ladder, with the fps threshold relative to
 * the rate asked for): not receiving = unusable; no reconnect, >= 90 % of the rate and < 5 stalls =
 * excellent; <= 2 reconnects and >= 60 % = fair; > 10 reconnects, > 100 stalls or < 30 % = unusable;
 * anything else poor. More reconnects or stalls, or a lower rate, never improves the grade.
 */
export function qualityGrade(h: { state: CameraState; fpsIn: number; expectedFps: number; reconnectsLastHour: number; stallsLastHour: number }): QualityGrade {
  if (h.state === 'offline' || h.state === 'backoff' || h.state === 'stopped' || h.fpsIn < 0.1) return 'unusable';
  const ratio = h.expectedFps > 0 ? h.fpsIn / h.expectedFps : 1;
  if (h.reconnectsLastHour > 10 || h.stallsLastHour > 100 || ratio < 0.3) return 'unusable';
  if (h.reconnectsLastHour === 0 && ratio >= 0.9 && h.stallsLastHour < 5) return 'excellent';
  if (h.reconnectsLastHour <= 2 && ratio >= 0.6) return 'fair';
  return 'poor';
}

/** Exponential backoff with jitter: base * 2^attempt, capped, then spread by +-jitter (0..1). */
export function backoffMs(attempt: number, o: { initialMs: number; maxMs: number; jitter: number }, random: () => number = Math.random): number {
  const raw = Math.min(o.maxMs, o.initialMs * 2 ** Math.max(0, attempt));
  const spread = raw * o.jitter * (2 * random() - 1);
  return Math.max(0, Math.round(raw + spread));
}
