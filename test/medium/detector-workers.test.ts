// The detector's worker threads: frames in parallel, a free event loop, clear errors for crashes and hangs, no thread left.
import { existsSync, readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Frame } from '../../services/core/contracts.ts';
import { DetectorError, UsageError } from '../../services/core/errors.ts';
import { createDetector, type PooledDetector } from '../../services/detector/index.ts';
import { SAMPLES_JPG, blankFrame, imageFrame } from './detector-helpers.ts';

const PERSONS = { persons: true, pose: false, hands: false, objects: false, faces: false };
const FACES = { persons: false, pose: false, hands: false, objects: false, faces: true };

/** OS threads of this process (Linux): worker threads are real threads, so an ended pool gives them back. */
const osThreads = (): number | undefined => (existsSync('/proc/self/task') ? readdirSync('/proc/self/task').length : undefined);

describe('detector worker pool', () => {
  let detector: PooledDetector;
  let samples: Frame;
  let threadsBefore: number | undefined;
  beforeAll(async () => {
    samples = await imageFrame(SAMPLES_JPG);
    threadsBefore = osThreads();
    detector = await createDetector({ needs: PERSONS, threads: 2 });
  });
  afterAll(async () => {
    await detector.close();
  });

  it('detects two frames at once, one on each of its two threads, while the event loop stays free', async () => {
    expect(detector.threads).toBe(2);
    expect(detector.liveThreads()).toBe(2);
    const before = await detector.stats();
    let last = performance.now();
    let maxGapMs = 0;
    const tick = setInterval(() => {
      const now = performance.now();
      maxGapMs = Math.max(maxGapMs, now - last);
      last = now;
    }, 2);
    const results = await Promise.all([detector.detect({ ...samples, index: 1 }), detector.detect({ ...samples, index: 2 })]);
    clearInterval(tick);
    const after = await detector.stats();
    expect(after.map((s, i) => s.frames - (before[i]?.frames ?? 0))).toEqual([1, 1]);
    expect(results.map((r) => r.frameIndex)).toEqual([1, 2]);
    expect(results[0]?.items).toEqual(results[1]?.items);
    // Inference on this thread would stall the timer for about a frame's inference time at least once.
    const fastest = Math.min(...results.map((r) => r.inferenceMs));
    expect(maxGapMs).toBeLessThan(fastest / 2);
  });

  it('leaves the caller its frame: pixels are copied once and the copy is moved to the worker', async () => {
    const frame = blankFrame();
    const copy = Buffer.from(frame.rgb);
    await detector.detect(frame);
    expect(frame.rgb.byteLength).toBe(copy.byteLength);
    expect(frame.rgb.equals(copy)).toBe(true);
  });

  it('fails the frame of a worker killed mid-way with a DetectorError naming it, then carries on with a new worker', async () => {
    const pending = detector.detect({ ...samples, cameraId: 'cam-k', index: 7 });
    await detector.terminateWorker(0);
    const error = await pending.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(DetectorError);
    expect((error as Error).message).toMatch(/detector worker 0 exited .* while detecting frame cam-k#7/);
    const again = await detector.detect({ ...samples, index: 8 });
    expect(again.items.length).toBeGreaterThan(0);
    await expect.poll(() => detector.liveThreads(), { timeout: 60_000 }).toBe(2);
  });

  it('ends every thread on close(), and refuses frames after', async () => {
    await detector.close();
    expect(detector.liveThreads()).toBe(0);
    const after = osThreads();
    if (threadsBefore !== undefined && after !== undefined) expect(after).toBeLessThanOrEqual(threadsBefore);
    await expect(detector.detect(blankFrame())).rejects.toBeInstanceOf(DetectorError);
  });
});

describe('detector deadlines and backends', () => {
  it('fails a frame that takes longer than the deadline with a DetectorError, instead of hanging', async () => {
    const detector = await createDetector({ needs: FACES, threads: 1, frameTimeoutMs: 1 });
    try {
      await expect(detector.detect(await imageFrame(SAMPLES_JPG))).rejects.toThrow(/did not answer frame test#0 within 1 ms/);
    } finally {
      await detector.close();
    }
    expect(detector.liveThreads()).toBe(0);
  });

  it('refuses backend "node" with a UsageError, because @tensorflow/tfjs-node is not installed', async () => {
    const error = await createDetector({ needs: FACES, threads: 1, backend: 'node' }).then(
      async (d) => {
        await d.close();
        return undefined;
      },
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toMatch(/tfjs-node/);
  });

  it('falls back past tfjs-node to wasm with "auto", and runs on "cpu" when asked', async () => {
    const auto = await createDetector({ needs: FACES, threads: 1, backend: 'auto' });
    const cpu = await createDetector({ needs: FACES, threads: 1, backend: 'cpu' });
    try {
      expect(auto.backend).toBe('wasm');
      expect(cpu.backend).toBe('cpu');
      const frame = await imageFrame(SAMPLES_JPG);
      const [a, c] = [await auto.detect(frame), await cpu.detect(frame)];
      expect(c.items.length).toBe(a.items.length);
      for (const [i, item] of c.items.entries()) expect(item.score).toBeCloseTo(a.items[i]?.score ?? -1, 2);
    } finally {
      await Promise.all([auto.close(), cpu.close()]);
    }
  });

  it('refuses needs that ask for nothing', async () => {
    await expect(createDetector({ needs: { ...FACES, faces: false } })).rejects.toBeInstanceOf(UsageError);
  });
});
