// How often the gate calls the detector while something stands in a zone follows the rules' exit smoothing (an
// absence briefer than it ends no episode), and an absence that long is seen on exactly its frames wherever it falls
// between two calls. The detector here is a double that answers from a script of where the person stands, so the
// test is about the gate's scheduling alone (the real model's side is test/medium/frame-gate.test.ts).
import { describe, expect, it } from 'vitest';
import type { Detections, Frame, Polygon } from '../../services/core/contracts.ts';
import { FrameStage, regionFor, splitPoints, type StagedFrame } from '../../services/frames/index.ts';
import { loadSopText } from '../../services/rules/sop-loader.ts';
import { observe } from '../../services/rules/observe.ts';

const W = 160;
const H = 90;
const FPS = 5;
const SINK: Polygon = [[0.4, 0.5], [0.8, 0.5], [0.8, 0.95], [0.4, 0.95]];
const zones = { sink: SINK };

const sop = (smoothing: string): string => `
id: gate-interval
title: Gate interval
version: 1
cameras: [cam-1]
${smoothing}
zones:
  cam-1:
    sink: [[0.4, 0.5], [0.8, 0.5], [0.8, 0.95], [0.4, 0.95]]
rules:
  - id: wash
    kind: duration
    when: { person_in: sink }
    min: 20s
`;

/** A frame with a bright square that moves every frame inside the sink zone (motion on every frame). */
function frame(i: number): Frame {
  const rgb = Buffer.alloc(W * H * 3, 60);
  const x0 = 70 + (i % 10) * 3;
  for (let y = 55; y < 70; y++) rgb.fill(230, (y * W + x0) * 3, (y * W + x0 + 12) * 3);
  return { cameraId: 'cam-1', index: i, tMs: Math.round((i * 1000) / FPS), width: W, height: H, rgb };
}

/**
 * A detector double: a person stands at the sink on every frame but those of `absent`. With `delayMs`, each answer
 * takes that long (a timer); `asked` records the frames it was asked about.
 */
function scripted(absent: (index: number) => boolean, delayMs?: (call: number) => number, asked: number[] = []): { detect: (f: Frame) => Promise<Detections> } {
  return {
    detect: async (f) => {
      asked.push(f.index);
      const wait = delayMs?.(asked.length) ?? 0;
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      return {
        cameraId: f.cameraId, frameIndex: f.index, tMs: f.tMs, width: f.width, height: f.height, inferenceMs: 1,
        items: absent(f.index) ? [] : [{ kind: 'person', label: 'person', score: 0.9, box: [0.55, 0.3, 0.1, 0.55] }],
      };
    },
  };
}

/** Every frame to the detector: the reference the gate must match. */
const EVERY = { busyMs: 0, watchMs: 0, settleMs: 0, refreshMs: 0, idleMs: 0 };

async function run(smoothing: string, frames: number, absent: (index: number) => boolean, gate?: typeof EVERY, lookahead = 0): Promise<{ out: StagedFrame[]; stage: FrameStage }> {
  const loaded = loadSopText(sop(smoothing), 'gate.yaml');
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
  const region = regionFor([{ sop: loaded.sop, zones }]);
  const stage = new FrameStage({ cameraId: 'cam-1', detector: scripted(absent), region, lookahead, ...(gate === undefined ? {} : { gate }) });
  const out: StagedFrame[] = [];
  for (let i = 0; i < frames; i++) out.push(...(await stage.push(frame(i))));
  out.push(...(await stage.flush()));
  return { out, stage };
}

const atSink = (s: StagedFrame): boolean => observe(s.detections, zones).observations.some((o) => o.kind === 'person' && o.zone === 'sink');

describe('the gate while something stands in a zone', () => {
  it('calls the detector at the rules\' exit smoothing, within 0.25-2 s', async () => {
    const motionCalls = async (smoothing: string): Promise<number> => (await run(smoothing, 30 * FPS, () => false)).stage.stats().probes.motion;
    // 30 s with motion on every frame and a person always there: one call per interval (rounded up to a frame).
    const byDefault = await motionCalls(''); // exit 1500 ms -> every 8th frame (1.6 s)
    const slow = await motionCalls('smoothing: { exit: 5s }'); // capped at 2 s -> every 10th frame
    const quick = await motionCalls('smoothing: { exit: 600ms }'); // every 3rd frame
    expect(byDefault).toBeGreaterThanOrEqual(17);
    expect(byDefault).toBeLessThanOrEqual(19);
    expect(slow).toBeGreaterThanOrEqual(14);
    expect(slow).toBeLessThanOrEqual(15);
    expect(quick).toBeGreaterThanOrEqual(48);
    expect(quick).toBeLessThanOrEqual(50);
  });

  it('sees an absence as long as the exit smoothing on exactly its frames, wherever it falls between two calls', async () => {
    // The default exit smoothing is 1.5 s: an absence of 8 frames (1.6 s) at 5 fps, started at every offset; with one
    // call in flight at a time (live cameras) and with two (a clip's two detector threads: a change between two calls
    // is then searched two frames at a time).
    for (const lookahead of [0, 1]) {
      for (let start = 10; start < 18; start++) {
        const absent = (i: number): boolean => i >= start && i < start + 8;
        const { out, stage } = await run('', 40, absent, undefined, lookahead);
        const every = await run('', 40, absent, EVERY);
        expect(out.map((s) => s.frame.index)).toEqual(Array.from({ length: 40 }, (_, i) => i));
        // The reference sees the absence on exactly its frames (after the tracker's first confirmation)...
        expect(every.out.filter((s) => s.frame.index > 1 && atSink(s) === absent(s.frame.index))).toEqual([]);
        // ...and the gated run sees what the reference sees, frame by frame.
        const differ = out.filter((s, i) => atSink(s) !== atSink(every.out[i] as StagedFrame)).map((s) => s.frame.index);
        expect(differ, `absence from frame ${start}, lookahead ${lookahead}`).toEqual([]);
        expect(stage.stats().detectorCalls).toBeLessThan(lookahead === 0 ? 20 : 24);
      }
    }
  });
});

describe('the gate while motion comes and goes', () => {
  it('asks no more often than while motion goes on: a still frame after motion waits for the same interval', async () => {
    // A person stands at the sink and sways: motion for three frames, still for two, over and over (a real person at a
    // sink moves like this). Each still frame after motion used to be a call once the last was a second old, so the
    // detector ran every second instead of at the exit smoothing (1.5 s, every 8th frame at 5 fps).
    const loaded = loadSopText(sop(''), 'gate.yaml');
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
    const region = regionFor([{ sop: loaded.sop, zones }]);
    const asked: number[] = [];
    const absent = (i: number): boolean => i >= 60 && i < 70;
    // A faint square (40 levels over the floor) on a background that goes half way to each frame: a frame that shows
    // what the last one did differs by 20 levels, under the threshold of 25, so it is still.
    const stage = new FrameStage({ cameraId: 'cam-1', detector: scripted(absent, undefined, asked), region, motion: { backgroundMs: 100 } });
    const faint = (i: number): Frame => {
      const f = frame(i);
      for (let k = 0; k < f.rgb.length; k++) if (f.rgb[k] === 230) f.rgb[k] = 100;
      return f;
    };
    const out: StagedFrame[] = [];
    let shown = 0;
    for (let i = 0; i < 30 * FPS; i++) {
      if (i % 5 < 3) shown = i;
      out.push(...(await stage.push({ ...faint(shown), index: i, tMs: Math.round((i * 1000) / FPS) })));
    }
    out.push(...(await stage.flush()));
    const { probes, fills, detectorCalls } = stage.stats();
    expect(probes.motion + probes.settled).toBeGreaterThan(10);
    // One scheduled call per 1.6 s at most: about 19 in 30 s (a second apart, it was 30).
    expect(probes.motion + probes.settled).toBeLessThanOrEqual(20);
    expect(detectorCalls).toBe(probes.first + probes.confirm + probes.motion + probes.settled + probes.refresh + probes.end + fills);
    // The absence (2 s, longer than the exit smoothing) is still seen on exactly its frames.
    const wrong = out.filter((s) => s.frame.index > 1 && atSink(s) === absent(s.frame.index)).map((s) => s.frame.index);
    expect(wrong).toEqual([]);
  });
});

describe('the gate on a faster or slower detector', () => {
  it('asks for the same frames and gives the same output, whatever the detector\'s speed', async () => {
    // Empty, then a person at the sink from frame 12 to 39, then empty; two calls may be in flight (a clip's two
    // detector threads). Answers at once, after 5 ms, or alternately slow and quick: one schedule.
    const absent = (i: number): boolean => i < 12 || i >= 40;
    const loaded = loadSopText(sop(''), 'gate.yaml');
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
    const region = regionFor([{ sop: loaded.sop, zones }]);
    const runAt = async (delayMs: (call: number) => number): Promise<{ asked: number[]; seen: boolean[] }> => {
      const asked: number[] = [];
      const stage = new FrameStage({ cameraId: 'cam-1', detector: scripted(absent, delayMs, asked), region, lookahead: 2 });
      const out: StagedFrame[] = [];
      for (let i = 0; i < 60; i++) {
        out.push(...(await stage.push(frame(i))));
        // Time passes between frames (decoding the next one): a quick answer is back before the next frame.
        await new Promise((r) => setTimeout(r, 2));
      }
      out.push(...(await stage.flush()));
      return { asked: [...asked].sort((a, b) => a - b), seen: out.map(atSink) };
    };
    const instant = await runAt(() => 0);
    const slow = await runAt(() => 5);
    const mixed = await runAt((call) => (call % 2 === 0 ? 8 : 0));
    expect(instant.seen.slice(14, 40).every(Boolean)).toBe(true);
    // The entry (frame 12) lies between the calls at frames 10 and 20: with two calls in flight the nine frames between
    // are searched two at a time (13 and 16, then 11 and 12), not by halving (15, then 12, then 11).
    expect(instant.asked.filter((i) => i > 10 && i < 20)).toEqual([11, 12, 13, 16]);
    expect(slow.asked).toEqual(instant.asked);
    expect(mixed.asked).toEqual(instant.asked);
    expect(slow.seen).toEqual(instant.seen);
    expect(mixed.seen).toEqual(instant.seen);
  });
});

describe('where a change between two calls is looked for', () => {
  it('one call: the middle waiting frame; more: runs as even as they go, never more calls than frames', () => {
    for (let waiting = 1; waiting <= 12; waiting++) {
      expect(splitPoints(waiting, 1)).toEqual([(waiting - 1) >> 1]);
      for (const probes of [2, 3]) {
        const at = splitPoints(waiting, probes);
        expect(at.length).toBe(Math.min(probes, waiting));
        expect([...at].sort((a, b) => a - b)).toEqual(at);
        expect(at.every((i) => Number.isInteger(i) && i >= 0 && i < waiting)).toBe(true);
        // The runs left unprobed (before the first, between two, after the last) differ by at most one frame.
        const runs = [...at, waiting].map((i, j) => i - (j === 0 ? 0 : (at[j - 1] as number) + 1));
        expect(Math.max(...runs) - Math.min(...runs)).toBeLessThanOrEqual(1);
      }
    }
    expect(splitPoints(9, 2)).toEqual([2, 5]);
    expect(splitPoints(4, 2)).toEqual([1, 2]);
  });
});
