// `sopwatch demo --live` in process: a simulated snapshot camera, the live pipeline and the real person detector for
// 38 s. The short wash ~30 s in must arrive as a too_short violation with its lag printed; the wash already under way
// when watching began must be a review case, never a violation; the camera's port is closed afterwards.
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { runLiveDemo } from '../../services/cli/demo-live.ts';
import { optInLoopback } from '../doubles/outbound.ts';

// The doubles listen on 127.0.0.1: opt in to loopback cameras, webhooks and models as an operator would.
optInLoopback();

describe('demo --live', () => {
  it('prints the live violation with its lag and stops everything', async () => {
    const out = new PassThrough();
    let text = '';
    out.on('data', (chunk: Buffer) => {
      text += chunk.toString('utf8');
    });
    const result = await runLiveDemo({ durationMs: 38_000, out, err: process.stderr });
    expect(result.violations).toBe(1);
    expect(result.reviews).toBeGreaterThanOrEqual(1);
    expect(result.frames).toBeGreaterThan(50);
    const violation = text.split('\n').find((l) => l.includes('VIOLATION'));
    expect(violation).toMatch(/^\d\d:\d\d:\d\d VIOLATION demo-kitchen\/hand-wash \(too_short, high\) .* \[lag from frame (\d+) ms\]$/);
    const lag = Number(/lag from frame (\d+) ms/.exec(violation as string)?.[1]);
    expect(lag).toBeLessThan(3000);
    expect(text).toMatch(/needs review demo-kitchen\/hand-wash .*watching began/);
    expect(result.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/snapshot\.jpg$/);
    await expect(fetch(result.url)).rejects.toThrow();
  }, 120_000);
});
