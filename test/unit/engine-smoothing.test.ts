// Hysteresis: enter/exit delays, episode times, flicker, lost tracks, hold marks, fallback keys and stream end.
import { describe, expect, it } from 'vitest';
import type { Smoothing } from '../../services/rules/compiled.ts';
import { Hysteresis, type Episode } from '../../services/rules/smoothing.ts';

/** Feeds one subject `k` a raw truth per frame (5 fps from 0) and collects what happened. */
function feed(smoothing: Smoothing, raw: string, holdMs = 0): { started: number[]; held: number[]; ended: Episode[] } {
  const h = new Hysteresis(smoothing, holdMs);
  const out = { started: [] as number[], held: [] as number[], ended: [] as Episode[] };
  [...raw].forEach((c, i) => {
    const t = i * 200;
    const step = h.update(t, c === '1' ? new Set(['k']) : new Set());
    if (step.started.length > 0) out.started.push(t);
    if (step.held.length > 0) out.held.push(t);
    out.ended.push(...step.ended);
  });
  return out;
}

describe('Hysteresis', () => {
  const cases: Array<[string, Smoothing, string, number[], Array<[number, number]>]> = [
    // name, smoothing, raw truth per frame, frames where it turned on, episodes [start, end]
    ['no smoothing: every stretch is an episode', { enterMs: 0, exitMs: 0 }, '0111010', [200, 1000], [[200, 600], [1000, 1000]]],
    ['one frame off does not split with exitMs > 0', { enterMs: 0, exitMs: 400 }, '11101110000', [0], [[0, 1200]]],
    ['off for exactly exitMs ends it', { enterMs: 0, exitMs: 400 }, '1100011', [0, 1000], [[0, 200]]],
    ['track lost for less than exitMs continues', { enterMs: 0, exitMs: 1000 }, '1110000111000000', [0], [[0, 1800]]],
    ['one frame on never starts an episode', { enterMs: 400, exitMs: 0 }, '0001000', [], []],
    ['enter waits enterMs; the episode starts at the first true frame', { enterMs: 400, exitMs: 0 }, '0111100', [600], [[200, 800]]],
    ['an interrupted enter starts over', { enterMs: 400, exitMs: 0 }, '0110111000', [1200], [[800, 1200]]],
  ];
  it.each(cases)('%s', (_n, smoothing, raw, started, episodes) => {
    const r = feed(smoothing, raw);
    expect(r.started).toEqual(started);
    expect(r.ended.map((e) => [e.startMs, e.endMs])).toEqual(episodes);
  });

  it('marks the frame at which an episode has held holdMs', () => {
    expect(feed({ enterMs: 0, exitMs: 0 }, '0111110', 600).held).toEqual([800]);
    expect(feed({ enterMs: 0, exitMs: 0 }, '0111000', 600).held).toEqual([]);
    // With enterMs longer than holdMs the hold is only known once the state is on.
    expect(feed({ enterMs: 600, exitMs: 0 }, '1111', 200).held).toEqual([600]);
  });

  it('keeps subjects apart and reports in key order', () => {
    const h = new Hysteresis({ enterMs: 0, exitMs: 0 });
    expect(h.update(0, new Set(['p:2', 'p:1'])).started).toEqual(['p:1', 'p:2']);
    const step = h.update(200, new Set(['p:2']));
    expect(step.ended).toEqual([{ key: 'p:1', startMs: 0, endMs: 0 }]);
    expect(h.active().map(([k]) => k)).toEqual(['p:2']);
  });

  it('forgets subjects that are off, so memory follows live tracks only', () => {
    const h = new Hysteresis({ enterMs: 0, exitMs: 0 });
    for (let i = 0; i < 100; i++) h.update(i * 200, new Set([`p:${i}`]));
    expect(h.keys()).toEqual(['p:99']);
  });

  it('a key without state behaves as the fallback key, and starts from its state', () => {
    const h = new Hysteresis({ enterMs: 0, exitMs: 0 }, 1000, '*');
    h.update(0, new Set(['*']));
    h.update(600, new Set(['*']));
    expect(h.get('p:1')).toMatchObject({ on: true, startMs: 0 });
    h.update(1200, new Set(['*', 'p:1']));
    expect(h.get('p:1')).toMatchObject({ on: true, startMs: 0, heldMs: 1200 });
  });

  it('finish closes open episodes and says whether their end was seen', () => {
    const h = new Hysteresis({ enterMs: 0, exitMs: 1000 });
    h.update(0, new Set(['a', 'b']));
    h.update(200, new Set(['a']));
    h.update(400, new Set(['a']));
    expect(h.finish(1400)).toEqual([
      { key: 'a', startMs: 0, endMs: 400, truncated: true },
      { key: 'b', startMs: 0, endMs: 0, truncated: false },
    ]);
    expect(h.keys()).toEqual([]);
  });
});
