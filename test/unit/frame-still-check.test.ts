// The frame stage's cheap checks (services/frames/still-check.ts): a person already found who stays put is checked by
// the pose model on their box instead of a detector call on the region, and only where that cannot hide a change a
// rule reads. The detector here is a double that answers from a script of who stands where, drawn into the frames as
// bright rectangles (so that the motion is real); the real pose model's side is test/medium/still-check-model.test.ts.
import { describe, expect, it } from 'vitest';
import type { Box, Detection, Detections, Frame, Keypoint, Polygon } from '../../services/core/contracts.ts';
import { FrameStage, regionFor, type GateOptions, type StagedFrame } from '../../services/frames/index.ts';
import { bodyAt, boxesToCheck, readsPersonsOnly } from '../../services/frames/still-check.ts';
import { loadSopText } from '../../services/rules/sop-loader.ts';
import { observe } from '../../services/rules/observe.ts';

const W = 160;
const H = 90;
const FPS = 5;
const SINK: Polygon = [[0.4, 0.45], [0.8, 0.45], [0.8, 1], [0.4, 1]];
const zones = { sink: SINK };

const sop = (when = '{ person_in: sink }'): string => `
id: still-check
title: Still check
version: 1
cameras: [cam-1]
zones:
  cam-1:
    sink: [[0.4, 0.45], [0.8, 0.45], [0.8, 1], [0.4, 1]]
rules:
  - id: wash
    kind: duration
    when: ${when}
    min: 20s
`;

/** Where each person stands on a frame (normalised boxes), or nowhere. */
type Script = (index: number) => Box[];

/** The frame: each person a bright rectangle on a dark floor (the tiny motion picture sees them move). */
function frame(i: number, script: Script): Frame {
  const rgb = Buffer.alloc(W * H * 3, 50);
  for (const [bx, by, bw, bh] of script(i)) {
    const [x0, x1] = [Math.round(bx * W), Math.round((bx + bw) * W)];
    for (let y = Math.round(by * H); y < Math.round((by + bh) * H); y++) rgb.fill(220, (y * W + x0) * 3, (y * W + x1) * 3);
  }
  return { cameraId: 'cam-1', index: i, tMs: Math.round((i * 1000) / FPS), width: W, height: H, rgb };
}

/** 17 keypoints spread over the middle of a box (a body there), each with this score. */
function body(box: Box, score: number): Keypoint[] {
  return Array.from({ length: 17 }, (_, k) => ({ part: `k${k}`, point: [box[0] + box[2] * (0.3 + 0.4 * ((k % 3) / 2)), box[1] + box[3] * (0.1 + 0.8 * (k / 16))] as [number, number], score }));
}

interface Calls {
  detect: number[];
  check: number[];
}

/**
 * A detector double that answers from the script: `detect` gives every scripted person (in the asked crop's
 * coordinates), `keypointsAt` a body on each asked box that a scripted person covers (`hidden` frames: none).
 */
function scripted(script: Script, calls: Calls, hidden: (i: number) => boolean = () => false) {
  const crop = (f: Frame): Box => (f.cropOf === undefined ? [0, 0, 1, 1] : [0, 0, f.width / f.cropOf.width, f.height / f.cropOf.height]);
  const inCrop = (b: Box, c: Box): Box => [(b[0] - c[0]) / c[2], (b[1] - c[1]) / c[3], b[2] / c[2], b[3] / c[3]];
  const answer = (f: Frame, items: Detection[]): Detections => ({ cameraId: f.cameraId, frameIndex: f.index, tMs: f.tMs, width: f.width, height: f.height, items, inferenceMs: 1 });
  return {
    detect: async (f: Frame): Promise<Detections> => {
      calls.detect.push(f.index);
      return answer(f, script(f.index).map((b) => ({ kind: 'person', label: 'person', score: 0.9, box: inCrop(b, crop(f)) })));
    },
    keypointsAt: async (f: Frame, boxes: readonly Box[]): Promise<Detections> => {
      calls.check.push(f.index);
      const people = script(f.index).map((b) => inCrop(b, crop(f)));
      return answer(f, boxes.map((b) => {
        const there = !hidden(f.index) && people.some((p) => Math.abs(p[0] + p[2] / 2 - (b[0] + b[2] / 2)) < b[2] / 4 && Math.abs(p[1] + p[3] / 2 - (b[1] + b[3] / 2)) < b[3] / 4);
        return { kind: 'person', label: 'person', score: there ? 0.6 : 0.1, box: b, keypoints: body(b, there ? 0.6 : 0.1) };
      }));
    },
  };
}

/** Every frame to the detector: the reference the checks must match. */
const EVERY: GateOptions = { busyMs: 0, watchMs: 0, settleMs: 0, refreshMs: 0, idleMs: 0, checks: false };

async function run(script: Script, frames: number, o: { gate?: GateOptions; lookahead?: number; when?: string; hidden?: (i: number) => boolean } = {}) {
  const loaded = loadSopText(sop(o.when), 'still.yaml');
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
  const region = regionFor([{ sop: loaded.sop, zones }]);
  const calls: Calls = { detect: [], check: [] };
  const stage = new FrameStage({ cameraId: 'cam-1', detector: scripted(script, calls, o.hidden), region, lookahead: o.lookahead ?? 0, ...(o.gate === undefined ? {} : { gate: o.gate }) });
  const out: StagedFrame[] = [];
  for (let i = 0; i < frames; i++) out.push(...(await stage.push(frame(i, script))));
  out.push(...(await stage.flush()));
  return { out, stage, calls };
}

const atSink = (s: StagedFrame): number => observe(s.detections, zones).observations.filter((o) => o.kind === 'person' && o.zone === 'sink').length;

/** The gated run, and the frames where it reads otherwise than the every-frame reference. */
async function againstEvery(script: Script, frames: number, lookahead: number) {
  const every = await run(script, frames, { gate: EVERY });
  const gated = await run(script, frames, { lookahead });
  return { ...gated, differ: gated.out.filter((s, i) => atSink(s) !== atSink(every.out[i] as StagedFrame)).map((s) => s.frame.index) };
}

/** Live cameras (0), and clips on one or two detector threads (lookahead = threads). */
const LOOKAHEADS = [0, 1, 2];

/** A person at the sink swaying by a pixel or two every frame: motion on every frame, always inside their box. */
const swaying = (i: number): Box => [0.55 + ((i % 3) - 1) * 0.01, 0.3, 0.12, 0.6];

describe('checks of a person who stays', () => {
  it('take the place of most detector calls, and every frame reads as when every frame is detected', async () => {
    const script: Script = (i) => (i >= 5 && i < 140 ? [swaying(i)] : []);
    for (const lookahead of LOOKAHEADS) {
      const gated = await againstEvery(script, 150, lookahead);
      const off = await run(script, 150, { lookahead, gate: { checks: false } });
      expect(gated.differ, `lookahead ${lookahead}`).toEqual([]);
      const s = gated.stage.stats();
      // 27 s at the sink with a call every 1.6 s: about 17 probes, of which all but one in each 8 s are checks.
      expect(s.checks).toBeGreaterThanOrEqual(10);
      expect(gated.calls.check.length).toBe(s.checks);
      // A check that did not hold (the person gone at frame 140 left motion only inside their box) was detected too.
      expect(s.checks - s.checksHeld).toBeLessThanOrEqual(2);
      expect(gated.calls.check.filter((i) => gated.calls.detect.includes(i)).length).toBe(s.checks - s.checksHeld);
      expect(s.detectorCalls).toBe(gated.calls.detect.length);
      expect(s.detectorCalls).toBeLessThanOrEqual(off.stage.stats().detectorCalls - 10);
      expect(off.calls.check).toEqual([]);
      // While checks hold, the region is still detected at least every 8 s (checkFullMs).
      const full = gated.calls.detect.filter((i) => i >= 10 && i < 135).sort((a, b) => a - b);
      const gaps = full.slice(1).map((i, k) => i - (full[k] as number));
      expect(Math.max(...gaps)).toBeLessThanOrEqual(8 * FPS);
    }
  });

  it('a check that finds no body there is followed by a detector call on the same frame', async () => {
    // The pose model sees nobody on frames 40-80 (a person bent out of sight behind the counter, say), though the
    // person detector still does: every check there fails and the frame is detected.
    const script: Script = (i) => (i >= 5 ? [swaying(i)] : []);
    const hidden = (i: number): boolean => i >= 40 && i < 80;
    const gated = await run(script, 100, { hidden });
    const s = gated.stage.stats();
    expect(s.checks).toBeGreaterThan(s.checksHeld);
    const failed = gated.calls.check.filter(hidden);
    expect(failed.length).toBeGreaterThan(0);
    for (const i of failed) expect(gated.calls.detect).toContain(i);
    expect(gated.out.filter((f) => f.frame.index >= 7 && atSink(f) !== 1).map((f) => f.frame.index)).toEqual([]);
  });
});

describe('no check where it could hide a change', () => {
  it('a second person walking in is detected on the frame it would be if every frame were', async () => {
    // A person at the sink; a second walks in from the left edge (motion outside the first one's box) and stops
    // beside them inside the zone.
    const second = (i: number): Box => [Math.min(0.42, 0.02 * (i - 60)), 0.3, 0.1, 0.6];
    const script: Script = (i) => [...(i >= 5 ? [swaying(i)] : []), ...(i >= 60 ? [second(i)] : [])];
    for (const lookahead of LOOKAHEADS) {
      const gated = await againstEvery(script, 130, lookahead);
      expect(gated.stage.stats().checks).toBeGreaterThan(0);
      expect(gated.differ, `lookahead ${lookahead}`).toEqual([]);
      expect(gated.out.filter((s) => atSink(s) === 2).length).toBeGreaterThan(40);
    }
  });

  it('a person who darts in between two probes and stands still beside the first is not missed', async () => {
    // The second person crosses from the left edge in three frames and stops within the first one's grown box, at
    // every offset from the probes: the motion of the frames between two probes counts, not the last frame's alone.
    for (let start = 60; start < 68; start++) {
      const second = (i: number): Box => [[0.02, 0.25][i - start] ?? 0.54, 0.32, 0.09, 0.55];
      const script: Script = (i) => [...(i >= 5 ? [swaying(i)] : []), ...(i >= start ? [second(i)] : [])];
      for (const lookahead of LOOKAHEADS) {
        const { differ } = await againstEvery(script, 100, lookahead);
        expect(differ, `second person from frame ${start}, lookahead ${lookahead}`).toEqual([]);
      }
    }
  });

  it('a person leaving is seen leaving on the frame the reference sees it', async () => {
    const leaving = (i: number): Box => (i < 80 ? swaying(i) : [Math.max(-0.2, 0.55 - 0.04 * (i - 80)), 0.3, 0.12, 0.6]);
    const script: Script = (i) => (i >= 5 ? [leaving(i)].filter((b) => b[0] >= 0) : []);
    for (const lookahead of LOOKAHEADS) {
      const gated = await againstEvery(script, 110, lookahead);
      expect(gated.stage.stats().checksHeld).toBeGreaterThan(0);
      expect(gated.differ, `lookahead ${lookahead}`).toEqual([]);
    }
  });

  it('no checks when the rules read objects too, or with no pose model to check with', async () => {
    const script: Script = (i) => (i >= 5 ? [swaying(i)] : []);
    const objects = await run(script, 80, { when: '{ all: [{ person_in: sink }, { object: bottle, in: sink }] }' });
    expect(objects.calls.check).toEqual([]);
    expect(objects.stage.stats().checks).toBe(0);
    const loaded = loadSopText(sop(), 'still.yaml');
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
    const calls: Calls = { detect: [], check: [] };
    const { detect } = scripted(script, calls);
    const stage = new FrameStage({ cameraId: 'cam-1', detector: { detect }, region: regionFor([{ sop: loaded.sop, zones }]) });
    for (let i = 0; i < 80; i++) await stage.push(frame(i, script));
    await stage.flush();
    expect(stage.stats().checks).toBe(0);
    expect(calls.detect.length).toBeGreaterThan(10);
  });
});

describe('the check\'s geometry', () => {
  const person = (box: Box): Detection => ({ kind: 'person', label: 'person', score: 0.9, box });
  const scene = { zones: [SINK], keys: ['person:person'], anywhere: false };
  const at = (items: Detection[]): Detections => ({ cameraId: 'c', frameIndex: 0, tMs: 0, width: W, height: H, items, inferenceMs: 0 });
  const inZone: Box = [0.5, 0.3, 0.12, 0.6];

  it('checks persons whose motion stays inside their grown boxes, in the middle of a zone', () => {
    expect(boxesToCheck(at([person(inZone)]), [[0.52, 0.35, 0.1, 0.3]], scene)).toEqual([inZone]);
    expect(boxesToCheck(at([person(inZone)]), [], scene)).toEqual([inZone]);
    // Three persons at most, persons only, and only what the rules read.
    expect(boxesToCheck(at([person(inZone), person(inZone), person(inZone), person(inZone)]), [], scene)).toBeUndefined();
    expect(boxesToCheck(at([person(inZone), { kind: 'object', label: 'bottle', score: 0.9, box: inZone }]), [], scene)).toBeUndefined();
    expect(boxesToCheck(at([]), [], scene)).toBeUndefined();
  });

  it('not when something moved outside every grown box', () => {
    expect(boxesToCheck(at([person(inZone)]), [[0.1, 0.3, 0.05, 0.2]], scene)).toBeUndefined();
    expect(boxesToCheck(at([person(inZone)]), [[0.52, 0.35, 0.1, 0.3], [0.9, 0.9, 0.05, 0.05]], scene)).toBeUndefined();
  });

  it('not when a step within the margin would cross a zone\'s edge (the picture\'s own edge excepted)', () => {
    // Feet 0.02 inside the zone's left edge.
    expect(boxesToCheck(at([person([0.36, 0.3, 0.08, 0.6])]), [], scene)).toBeUndefined();
    // Feet near the top edge of the zone.
    expect(boxesToCheck(at([person([0.5, 0.1, 0.12, 0.37])]), [], scene)).toBeUndefined();
    // Feet at the bottom of the picture: they cannot move below it.
    expect(boxesToCheck(at([person([0.5, 0.35, 0.12, 0.64])]), [], scene)).toEqual([[0.5, 0.35, 0.12, 0.64]]);
  });

  it('a body is there when enough keypoints are sure and centred in the box', () => {
    expect(bodyAt(body(inZone, 0.6), inZone)).toBe(true);
    expect(bodyAt(body(inZone, 0.2), inZone)).toBe(false);
    expect(bodyAt(body(inZone, 0.6).map((k, i) => ({ ...k, score: i < 5 ? 0.6 : 0.1 })), inZone)).toBe(false);
    expect(bodyAt(body([0.7, 0.3, 0.12, 0.6], 0.6), inZone)).toBe(false);
    expect(bodyAt(undefined, inZone)).toBe(false);
  });

  it('rules read persons only', () => {
    expect(readsPersonsOnly(['person:person'])).toBe(true);
    expect(readsPersonsOnly(['person:person', 'object:person'])).toBe(true);
    expect(readsPersonsOnly(['person:person', 'object:bottle'])).toBe(false);
    expect(readsPersonsOnly(['hand:hand'])).toBe(false);
    expect(readsPersonsOnly(undefined)).toBe(false);
    expect(readsPersonsOnly([])).toBe(false);
  });
});
