// A violation's keyframes on the real face models and real sharp: made side by side (the face finder's threads serve
// them at once), named and listed in time order whichever finishes first, and a keyframe that cannot be made costs
// only itself.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { ViolationKind, type Frame, type Violation } from '../../services/core/contracts.ts';
import { createFaceFinder } from '../../services/analysis/face-finder.ts';
import { evidenceName, writeViolationEvidence, type EvidenceContext } from '../../services/analysis/evidence.ts';

const dir = mkdtempSync(join(tmpdir(), 'sopwatch-violation-evidence-'));
const faces = createFaceFinder();
afterAll(async () => {
  await faces.close();
  rmSync(dir, { recursive: true, force: true });
});

const W = 320;
const H = 180;

function frameAt(tMs: number): Frame {
  // A grey kitchen wall with a darker counter: nothing for the face models to find.
  const rgb = Buffer.alloc(W * H * 3, 150);
  rgb.fill(90, W * Math.round(H * 0.7) * 3);
  return { cameraId: 'bar-1', index: 0, tMs, width: W, height: H, rgb };
}

function violation(): Violation {
  return {
    id: 'kitchen/hand-wash/too_short/-/p:1/2000',
    sop: 'kitchen',
    rule: 'hand-wash',
    kind: ViolationKind.TooShort,
    cameraId: 'bar-1',
    startMs: 2000,
    endMs: 11_000,
    severity: 'high',
    message: 'person at sink for 9.0 s, the SOP asks at least 20 s',
    decidedBy: 'detector',
    confidence: 0.9,
    evidence: [],
    subject: 'p:1',
    subjects: ['p:1'],
  };
}

describe('writeViolationEvidence', () => {
  it('makes the keyframes side by side, lists them in time order, and a missing frame costs only its keyframe', async () => {
    await faces.warm();
    const v = violation();
    const asked: number[] = [];
    const finished: number[] = [];
    const ctx: EvidenceContext = {
      dir,
      faces,
      zonesBySop: new Map([['kitchen', { sink: [[0.05, 0.5], [0.4, 0.5], [0.4, 0.95], [0.05, 0.95]] }]]),
      rules: new Map(),
      detections: new Map(),
      frames: async (tMs) => {
        asked.push(tMs);
        // The first keyframe's frame comes last, so it finishes last; the middle one is gone.
        if (asked.length === 1) await new Promise((r) => setTimeout(r, 400));
        if (tMs === 6500) return undefined;
        finished.push(tMs);
        return frameAt(tMs);
      },
    };
    const errors: string[] = [];
    await writeViolationEvidence(ctx, v, errors);

    // Asked for all three before the first frame came: made side by side, not one after another.
    expect(asked).toEqual([3500, 6500, 9500]);
    expect(finished).toEqual([9500, 3500]);
    expect(errors).toEqual([`${v.id} keyframe 2: no frame at 0:06.5`]);
    expect(v.evidence).toEqual([evidenceName(v.id, 1), evidenceName(v.id, 3)]);
    expect(v.keyframeBoxes?.map((b) => [b.evidence, b.tMs])).toEqual([[evidenceName(v.id, 1), 3500], [evidenceName(v.id, 3), 9500]]);
    for (const name of v.evidence) {
      const meta = await sharp(join(dir, name)).metadata();
      expect(meta.width).toBe(W);
      expect(meta.height).toBeGreaterThan(H); // the caption band under the frame
    }
    expect(existsSync(join(dir, evidenceName(v.id, 2)))).toBe(false);
  });
});
