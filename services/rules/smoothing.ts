// Hysteresis per subject: turns a per-frame raw truth into episodes that survive flicker and short track loss.
import type { Smoothing } from './compiled.ts';

/** What the smoother knows about one subject. */
export interface Hold {
  /** The smoothed state. */
  on: boolean;
  /** While on: the first raw-true frame of the episode. */
  startMs: number;
  /** The last raw-true frame. */
  lastTrueMs: number;
  /** First frame of the current uninterrupted raw-true stretch; undefined while raw is false. */
  runStartMs: number | undefined;
  /** First frame of the current raw-false stretch; undefined while raw is true. */
  falseSinceMs: number | undefined;
  /** Frame at which the episode (smoothed on) had held for `holdMs`; undefined before. */
  heldMs: number | undefined;
}

export interface Episode {
  key: string;
  startMs: number;
  endMs: number;
  /** Set by `finish`: the stream ended before the episode was seen to end. */
  truncated?: boolean;
}

export interface SmoothingStep {
  /** Keys whose smoothed state turned on in this frame. */
  started: string[];
  /** Keys whose episode reached `holdMs` in this frame. */
  held: string[];
  /** Episodes that ended in this frame (times of their first and last raw-true frames). */
  ended: Episode[];
}

function copy(h: Hold): Hold {
  return { ...h };
}

/**
 * One smoother holds the state of many subjects. A subject with no state is off (and, when a
 * fallback key is given, behaves exactly like the fallback key: see the sequence kind).
 */
export class Hysteresis {
  private readonly states = new Map<string, Hold>();

  constructor(
    private readonly smoothing: Smoothing,
    private readonly holdMs = 0,
    private readonly fallbackKey?: string,
  ) {}

  get(key: string): Hold | undefined {
    return this.states.get(key) ?? (this.fallbackKey === undefined ? undefined : this.states.get(this.fallbackKey));
  }

  /** Keys with any state, sorted (so verdict order never depends on observation order). */
  keys(): string[] {
    return [...this.states.keys()].sort();
  }

  /** Smoothed-on subjects, sorted by key. */
  active(): Array<[string, Hold]> {
    return this.keys().flatMap((k) => {
      const h = this.states.get(k);
      return h?.on === true ? [[k, h] as [string, Hold]] : [];
    });
  }

  update(tMs: number, trueKeys: ReadonlySet<string>): SmoothingStep {
    const step: SmoothingStep = { started: [], held: [], ended: [] };
    const fallbackBefore = this.fallbackKey === undefined ? undefined : this.states.get(this.fallbackKey);
    const seed = fallbackBefore === undefined ? undefined : copy(fallbackBefore);
    const keys = new Set<string>([...this.states.keys(), ...trueKeys]);
    for (const key of [...keys].sort()) {
      const raw = trueKeys.has(key);
      let h = this.states.get(key) ?? (seed === undefined ? undefined : copy(seed));
      if (h === undefined) {
        if (!raw) continue;
        h = { on: false, startMs: tMs, lastTrueMs: tMs, runStartMs: undefined, falseSinceMs: undefined, heldMs: undefined };
      }
      if (raw) {
        h.runStartMs ??= tMs;
        h.falseSinceMs = undefined;
        h.lastTrueMs = tMs;
        if (!h.on && tMs - h.runStartMs >= this.smoothing.enterMs) {
          h.on = true;
          h.startMs = h.runStartMs;
          h.heldMs = undefined;
          step.started.push(key);
        }
        if (h.on && h.heldMs === undefined && h.lastTrueMs - h.startMs >= this.holdMs) {
          h.heldMs = tMs;
          step.held.push(key);
        }
        this.states.set(key, h);
        continue;
      }
      h.runStartMs = undefined;
      h.falseSinceMs ??= tMs;
      if (h.on && tMs - h.falseSinceMs >= this.smoothing.exitMs) {
        step.ended.push({ key, startMs: h.startMs, endMs: h.lastTrueMs });
        h.on = false;
      }
      // Off and raw-false carries no information: forgetting it keeps memory bounded by live tracks.
      if (h.on) this.states.set(key, h);
      else this.states.delete(key);
    }
    return step;
  }

  /** End of stream: every open episode ends at its last raw-true frame. */
  finish(endMs: number): Episode[] {
    const out: Episode[] = [];
    for (const [key, h] of this.active()) {
      const seenToEnd = h.falseSinceMs !== undefined && endMs - h.falseSinceMs >= this.smoothing.exitMs;
      out.push({ key, startMs: h.startMs, endMs: h.lastTrueMs, truncated: !seenToEnd });
    }
    this.states.clear();
    return out;
  }
}
