// Edges of the engine's core that the mutation run found unasserted: duration texts at their unit boundaries, a
// duration that is not a string, the camera filter without tags, a frame that is not one, a second finish, and the
// hysteresis's key order, its subjects still entering, and an episode the stream cut.
import { describe, expect, it } from 'vitest';
import { DURATION_HINT, formatDuration, parseDuration } from '../../services/rules/duration.ts';
import { createRuleEngine, sopsForCamera } from '../../services/rules/engine.ts';
import { Hysteresis } from '../../services/rules/smoothing.ts';
import type { FrameObservations } from '../../services/core/contracts.ts';
import { CAMERA, forbiddenRule, person, personIn, sop, stream } from './engine-fixtures.ts';

describe('duration texts', () => {
  it('switch unit exactly at one second and at one minute', () => {
    expect(formatDuration(999)).toBe('999 ms');
    expect(formatDuration(1000)).toBe('1 s');
    expect(formatDuration(59_999)).toBe('59.999 s');
    expect(formatDuration(60_000)).toBe('1 min');
  });

  it('drop trailing zeros only, never a zero inside the number', () => {
    expect(formatDuration(10_500)).toBe('10.5 s');
    expect(formatDuration(100_250)).toBe('1 min 40.25 s');
  });

  it('refuse a number given without a unit with the string hint', () => {
    expect(parseDuration(20)).toStrictEqual({ ok: false, reason: `a duration is a string with a unit; ${DURATION_HINT}` });
    expect(parseDuration(undefined)).toStrictEqual({ ok: false, reason: `a duration is a string with a unit; ${DURATION_HINT}` });
  });
});

describe('engine edges', () => {
  it('picks SOPs by camera or `*` when no tags are given', () => {
    const named = sop([], { id: 'named', cameras: [CAMERA] });
    const tagged = sop([], { id: 'tagged', cameras: ['Stryker was here'] });
    const any = sop([], { id: 'any', cameras: ['*'] });
    expect(sopsForCamera([named, tagged, any], CAMERA).map((s) => s.id)).toEqual(['named', 'any']);
    expect(sopsForCamera([named, tagged, any], 'other-1').map((s) => s.id)).toEqual(['any']);
  });

  it('drops a frame that is not one, and keeps going after it', () => {
    const engine = createRuleEngine([sop([forbiddenRule({ when: personIn('bar'), forMs: 0 })])], { cameraId: CAMERA });
    expect(engine.push(null as unknown as FrameObservations)).toStrictEqual([]);
    expect(engine.push({ tMs: Number.NaN, observations: [] } as unknown as FrameObservations)).toStrictEqual([]);
    const frames = stream([{ from: 0, to: 2000, obs: person('p:1', 'bar') }], { to: 3000 });
    const verdicts = frames.flatMap((f) => engine.push(f));
    expect([...verdicts, ...engine.finish(3000)].filter((v) => v.type === 'violation')).toHaveLength(1);
  });

  it('gives an episode still open at the end once, however often finish is called', () => {
    const engine = createRuleEngine([sop([forbiddenRule({ when: personIn('bar'), forMs: 0 })])], { cameraId: CAMERA });
    for (const f of stream([{ from: 0, to: 2000, obs: person('p:1', 'bar') }], { to: 2000 })) engine.push(f);
    const first = engine.finish(2000);
    // The episode was still open: finish closes it (the violation ends at the last frame that showed it).
    expect(first.map((v) => v.type)).toEqual(['violation_end']);
    expect(engine.finish(2000)).toStrictEqual([]);
  });
});

describe('hysteresis', () => {
  it('lists its keys sorted whatever order they came in', () => {
    const h = new Hysteresis({ enterMs: 0, exitMs: 1000 });
    h.update(0, new Set(['b']));
    h.update(100, new Set(['a', 'b']));
    expect(h.keys()).toEqual(['a', 'b']);
    expect(h.active().map(([k]) => k)).toEqual(['a', 'b']);
  });

  it('ends nothing at the end for a subject still entering', () => {
    const h = new Hysteresis({ enterMs: 1000, exitMs: 0 });
    h.update(0, new Set(['a']));
    h.update(500, new Set(['a']));
    expect(h.active()).toEqual([]);
    expect(h.finish(600)).toEqual([]);
  });

  it('marks an episode the stream cut as truncated, and one seen to end as not', () => {
    const cut = new Hysteresis({ enterMs: 0, exitMs: 1000 });
    cut.update(0, new Set(['a']));
    cut.update(500, new Set(['a']));
    expect(cut.finish(500)).toStrictEqual([{ key: 'a', startMs: 0, endMs: 500, truncated: true }]);
    const seen = new Hysteresis({ enterMs: 0, exitMs: 1000 });
    seen.update(0, new Set(['a']));
    seen.update(500, new Set());
    expect(seen.finish(1600)).toStrictEqual([{ key: 'a', startMs: 0, endMs: 0, truncated: false }]);
  });
});
