// A region crop is scaled up for small things; while the rules read persons alone and every person in the region is
// large, the frame stage asks for it at the whole frame's scale (Frame.atFrameScale), and an entry (nobody there yet)
// is still asked about scaled up. The detector here is a double that records what it was asked; the real model's side
// is test/medium/centernet-input.test.ts.
import { describe, expect, it } from 'vitest';
import type { Detections, Frame } from '../../services/core/contracts.ts';
import { FrameStage, LARGE_PERSON, regionFor, type GateOptions } from '../../services/frames/index.ts';
import { loadSopText } from '../../services/rules/sop-loader.ts';

const W = 160;
const H = 90;
const FPS = 5;
// A narrow sink: its region (15 % margin each side, up to the top) is 45 % of the picture, so the detector gets crops.
const SINK = '[[0.45, 0.5], [0.6, 0.5], [0.6, 0.95], [0.45, 0.95]]';

const sop = (extra = ''): string => `
id: frame-scale
title: Frame scale
version: 1
cameras: [cam-1]
zones:
  cam-1:
    sink: ${SINK}
rules:
  - id: wash
    kind: duration
    when: { person_in: sink }
    min: 20s
${extra}`;

const KNIFE_RULE = `  - id: no-knife
    kind: forbidden
    when: { object: knife, in: sink }
`;

/** A bright square moving in the sink on every frame: motion throughout. */
function frame(i: number): Frame {
  const rgb = Buffer.alloc(W * H * 3, 60);
  const x0 = 74 + (i % 5) * 3;
  for (let y = 55; y < 70; y++) rgb.fill(230, (y * W + x0) * 3, (y * W + x0 + 8) * 3);
  return { cameraId: 'cam-1', index: i, tMs: Math.round((i * 1000) / FPS), width: W, height: H, rgb };
}

interface Asked {
  index: number;
  atFrameScale: boolean;
  cropped: boolean;
}

/**
 * Nobody before frame `from`, then a person `tall` (a share of the frame's height) standing in the sink. The box is
 * given in the crop's coordinates (the crop spans the picture's full height, so heights are the same).
 */
async function run(text: string, from: number, tall: number, gate: GateOptions = {}): Promise<Asked[]> {
  const loaded = loadSopText(text, 'scale.yaml');
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
  const region = regionFor([{ sop: loaded.sop, zones: loaded.sop.zones['cam-1'] ?? {} }]);
  const asked: Asked[] = [];
  const detector = {
    detect: async (f: Frame): Promise<Detections> => {
      asked.push({ index: f.index, atFrameScale: f.atFrameScale === true, cropped: f.cropOf !== undefined });
      return {
        cameraId: f.cameraId, frameIndex: f.index, tMs: f.tMs, width: f.width, height: f.height, inferenceMs: 1,
        items: f.index < from ? [] : [{ kind: 'person', label: 'person', score: 0.9, box: [0.4, 0.9 - tall, 0.2, tall] }],
      };
    },
  };
  const stage = new FrameStage({ cameraId: 'cam-1', detector, region, gate });
  for (let i = 0; i < 20 * FPS; i++) await stage.push(frame(i));
  await stage.flush();
  return asked.sort((a, b) => a.index - b.index);
}

// Large: at least 3/16 of the longest side (30 px of 160), here 34 px of 90.
const LARGE = 0.38;
const SMALL = 0.25;

describe('a region crop at the whole frame\'s scale', () => {
  it('asks about a large person at the frame\'s scale once one is seen, and about the entry scaled up', async () => {
    expect(LARGE * H).toBeGreaterThanOrEqual(LARGE_PERSON * W);
    expect(SMALL * H).toBeLessThan(LARGE_PERSON * W);
    const asked = await run(sop(), 12, LARGE);
    expect(asked.every((a) => a.cropped)).toBe(true);
    // Up to the entry (frame 12, found by halving between two calls) nobody was there: scaled up.
    const entry = asked.filter((a) => a.index <= 12);
    expect(entry.length).toBeGreaterThan(1);
    expect(entry.filter((a) => a.atFrameScale)).toEqual([]);
    // After it, with the person taken, every call is at the frame's scale.
    const after = asked.filter((a) => a.index > 20);
    expect(after.length).toBeGreaterThan(5);
    expect(after.filter((a) => !a.atFrameScale)).toEqual([]);
  });

  it('keeps scaling up for a small person, for rules that read objects too, and when turned off', async () => {
    const small = await run(sop(), 12, SMALL);
    const knives = await run(sop(KNIFE_RULE), 12, LARGE);
    const off = await run(sop(), 12, LARGE, { largeAtFrameScale: false });
    for (const [name, asked] of Object.entries({ small, knives, off })) {
      expect(asked.length, name).toBeGreaterThan(5);
      expect(asked.every((a) => a.cropped), name).toBe(true);
      expect(asked.filter((a) => a.atFrameScale), name).toEqual([]);
    }
  });
});
