// The face finder's queue for live pictures: one at a time, the most urgent first, in order within a priority, freed on failure.
import { describe, expect, it } from 'vitest';
import { PriorityGate, pickKeyframes } from '../../services/service/live-evidence.ts';
import type { LiveFrame } from '../../services/ingester/live-frame.ts';

describe('PriorityGate', () => {
  it('runs one job at a time, highest priority first, first come first within a priority, and goes on after a failure', async () => {
    const gate = new PriorityGate();
    const order: string[] = [];
    let running = 0;
    let most = 0;
    const job = (name: string, fail = false) => async (): Promise<string> => {
      running += 1;
      most = Math.max(most, running);
      await new Promise((r) => setTimeout(r, 5));
      order.push(name);
      running -= 1;
      if (fail) throw new Error(name);
      return name;
    };
    const first = gate.run(1, job('keyframe-1'));
    const rest = [gate.run(1, job('keyframe-2', true)), gate.run(1, job('keyframe-3')), gate.run(3, job('snapshot')), gate.run(2, job('verify'))];
    expect(gate.backlog).toBe(4);
    const results = await Promise.allSettled([first, ...rest]);
    expect(order).toEqual(['keyframe-1', 'snapshot', 'verify', 'keyframe-2', 'keyframe-3']);
    expect(most).toBe(1);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled', 'fulfilled']);
    expect(gate.backlog).toBe(0);
  });
});

describe('pickKeyframes', () => {
  const f = (tMs: number): LiveFrame => ({ cameraId: 'c', index: tMs, tMs, jpeg: Buffer.alloc(0) });
  it('takes the frame nearest the start, the last before the rule fired and the middle of those after, without repeats', () => {
    expect(pickKeyframes(1000, [f(0), f(900), f(1600), f(2000)], [f(2500), f(3000), f(3500)]).map((x) => x.tMs)).toEqual([900, 2000, 3000]);
    expect(pickKeyframes(1000, [f(1000)], []).map((x) => x.tMs)).toEqual([1000]);
    expect(pickKeyframes(1000, [], [])).toEqual([]);
  });
});
