// Camera health as pure logic: the quality grade ladder (table and monotonicity), backoff bounds, rate meters.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { backoffMs, HourCounter, qualityGrade, RateMeter, type CameraState, type QualityGrade } from '../../services/ingester/camera-health.ts';

const RANK: Record<QualityGrade, number> = { unusable: 0, poor: 1, fair: 2, excellent: 3 };
const online = { state: 'online' as CameraState, expectedFps: 2 };

describe('qualityGrade', () => {
  it.each([
    [{ fpsIn: 2, reconnectsLastHour: 0, stallsLastHour: 0 }, 'excellent'],
    [{ fpsIn: 1.8, reconnectsLastHour: 0, stallsLastHour: 4 }, 'excellent'],
    [{ fpsIn: 2, reconnectsLastHour: 1, stallsLastHour: 0 }, 'fair'],
    [{ fpsIn: 1.2, reconnectsLastHour: 2, stallsLastHour: 0 }, 'fair'],
    [{ fpsIn: 1.0, reconnectsLastHour: 0, stallsLastHour: 0 }, 'poor'],
    [{ fpsIn: 2, reconnectsLastHour: 5, stallsLastHour: 0 }, 'poor'],
    [{ fpsIn: 2, reconnectsLastHour: 11, stallsLastHour: 0 }, 'unusable'],
    [{ fpsIn: 2, reconnectsLastHour: 0, stallsLastHour: 101 }, 'unusable'],
    [{ fpsIn: 0.5, reconnectsLastHour: 0, stallsLastHour: 0 }, 'unusable'],
    [{ fpsIn: 0.05, reconnectsLastHour: 0, stallsLastHour: 0 }, 'unusable'],
  ] as const)('%j -> %s', (h, grade) => {
    expect(qualityGrade({ ...online, ...h })).toBe(grade);
  });

  it('is unusable whenever the camera is not online, however good its figures', () => {
    for (const state of ['offline', 'backoff', 'stopped'] as const) {
      expect(qualityGrade({ state, expectedFps: 2, fpsIn: 2, reconnectsLastHour: 0, stallsLastHour: 0 })).toBe('unusable');
    }
  });

  it('never improves with more reconnects, more stalls or a lower rate', () => {
    const figures = fc.record({ fpsIn: fc.double({ min: 0, max: 5, noNaN: true }), reconnectsLastHour: fc.nat(30), stallsLastHour: fc.nat(200) });
    fc.assert(
      fc.property(figures, fc.nat(10), fc.nat(50), fc.double({ min: 0, max: 2, noNaN: true }), (h, moreReconnects, moreStalls, lessFps) => {
        const base = RANK[qualityGrade({ ...online, ...h })];
        const worse = { ...online, fpsIn: Math.max(0, h.fpsIn - lessFps), reconnectsLastHour: h.reconnectsLastHour + moreReconnects, stallsLastHour: h.stallsLastHour + moreStalls };
        expect(RANK[qualityGrade(worse)]).toBeLessThanOrEqual(base);
      }),
    );
  });
});

describe('backoffMs', () => {
  it('doubles from the initial delay up to the cap, within the jitter', () => {
    fc.assert(
      fc.property(fc.nat(40), fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }), (attempt, r) => {
        const o = { initialMs: 500, maxMs: 30_000, jitter: 0.5 };
        const base = Math.min(o.maxMs, o.initialMs * 2 ** attempt);
        const d = backoffMs(attempt, o, () => r);
        expect(d).toBeGreaterThanOrEqual(Math.floor(base * 0.5));
        expect(d).toBeLessThanOrEqual(Math.ceil(base * 1.5));
      }),
    );
    expect(backoffMs(0, { initialMs: 1000, maxMs: 60_000, jitter: 0 })).toBe(1000);
    expect(backoffMs(3, { initialMs: 1000, maxMs: 60_000, jitter: 0 })).toBe(8000);
    expect(backoffMs(30, { initialMs: 1000, maxMs: 60_000, jitter: 0 })).toBe(60_000);
  });
});

describe('meters', () => {
  it('measure frames per second over the last 10 s and events over the last hour', () => {
    const rate = new RateMeter();
    for (let t = 0; t < 20_000; t += 500) rate.mark(t);
    expect(rate.rate(20_000)).toBeCloseTo(2, 1);
    expect(rate.rate(40_000)).toBe(0);
    const hour = new HourCounter();
    hour.mark(0);
    hour.mark(1_800_000);
    expect(hour.count(3_000_000)).toBe(2);
    expect(hour.count(3_700_000)).toBe(1);
  });
});
