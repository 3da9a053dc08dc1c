// A `required` rule on a live camera that drops out: the time it was offline is never judged, so a gap inside it is no
// violation; a gap seen before the camera dropped is judged up to its last frame only. Real pipeline, engine, tracker and
// JPEG decoding; the detector is replaced by a scripted one (person present or not at each frame time).
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { ViolationKind, type Detections, type Frame, type Verdict } from '../../services/core/contracts.ts';
import { FrameBuffer } from '../../services/ingester/frame-buffer.ts';
import type { LiveFrame } from '../../services/ingester/live-frame.ts';
import { LivePipeline, type LiveEvent } from '../../services/live/live-pipeline.ts';
import type { CompiledSop } from '../../services/rules/compiled.ts';
import { loadSopText } from '../../services/rules/sop-loader.ts';

const SOP = `id: counter
title: Counter staffed
version: 1
cameras: [cam-1]
zones:
  cam-1:
    counter: [[0, 0], [1, 0], [1, 1], [0, 1]]
rules:
  - id: staffed
    kind: required
    when: { person_in: counter }
    max_gap: 3s
`;

let jpeg: Buffer;
let sops: CompiledSop[];

beforeAll(async () => {
  jpeg = await sharp({ create: { width: 64, height: 36, channels: 3, background: '#777' } }).jpeg().toBuffer();
  const loaded = loadSopText(SOP, 'counter.yaml');
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
  sops = [loaded.sop];
});

/** Segments of [fromMs, toMs] (relative, inclusive) in which a person stands at the counter; frames every 500 ms. */
type Script = Array<{ from: number; to: number; person: boolean }>;

function frames(t0: number, script: Script, first = 0): LiveFrame[] {
  const out: LiveFrame[] = [];
  for (const s of script) for (let t = s.from; t <= s.to; t += 500) out.push({ cameraId: 'cam-1', index: first + out.length, tMs: t0 + t, jpeg });
  return out;
}

async function runScript(parts: Script[], offlineBetween: boolean): Promise<{ t0: number; verdicts: Verdict[]; events: LiveEvent[]; segments: number }> {
  const t0 = Date.now() - 600_000;
  const present = new Set(parts.flat().flatMap((s) => (s.person ? frames(t0, [s]).map((f) => f.tMs) : [])));
  const detector = {
    detect: async (f: Frame): Promise<Detections> => ({
      cameraId: f.cameraId, frameIndex: f.index, tMs: f.tMs, width: f.width, height: f.height, inferenceMs: 1,
      items: present.has(f.tMs) ? [{ kind: 'person' as const, label: 'person', score: 0.9, box: [0.4, 0.3, 0.2, 0.6] as const }] : [],
    }),
  };
  const buffer = new FrameBuffer<LiveFrame>(1000);
  const events: LiveEvent[] = [];
  const pipeline = new LivePipeline({ cameraId: 'cam-1', sops, detector, frames: buffer, sink: (e) => events.push(e), gapMs: 120_000, evidence: { afterMs: 0 } });
  const running = pipeline.run();
  let sent = 0;
  for (const [i, part] of parts.entries()) {
    const batch = frames(t0, part, sent);
    for (const f of batch) buffer.push(f);
    sent += batch.length;
    while (pipeline.stats().frames < sent) await new Promise((r) => setTimeout(r, 10));
    if (offlineBetween && i < parts.length - 1) pipeline.cameraOffline(batch.at(-1)?.tMs, 'no frame for 2000 ms (stalled)');
  }
  buffer.close();
  await running;
  return { t0, verdicts: events.flatMap((e) => (e.type === 'verdict' ? [e.verdict] : [])), events, segments: pipeline.stats().segments };
}

const gapViolations = (v: Verdict[]) => v.flatMap((x) => (x.type === 'violation' && x.violation.kind === ViolationKind.Gap ? [x.violation] : []));

describe('required rules on a live camera that goes offline', () => {
  it('raises a gap when the counter is seen empty for longer than max_gap (the control)', async () => {
    const { verdicts } = await runScript([[{ from: 0, to: 3000, person: true }, { from: 3500, to: 8000, person: false }, { from: 8500, to: 10_000, person: true }]], false);
    expect(gapViolations(verdicts)).toHaveLength(1);
  });

  it('never counts the offline time: a gap spanning it is no violation, and watching resumes in a new segment', async () => {
    const before: Script = [{ from: 0, to: 3000, person: true }, { from: 3500, to: 5000, person: false }];
    const after: Script = [{ from: 65_000, to: 68_000, person: true }];
    const { verdicts, events, segments } = await runScript([before, after], true);
    expect(gapViolations(verdicts), JSON.stringify(verdicts)).toEqual([]);
    const ends = events.filter((e) => e.type === 'segment_end');
    expect(ends[0]).toMatchObject({ reason: 'no frame for 2000 ms (stalled)' });
    expect(segments).toBe(2);
    // The same frames without the camera dropping out (and no frame-gap limit) would be a 60 s gap.
    const watched = await runScript([before, after], false);
    expect(gapViolations(watched.verdicts)).toHaveLength(1);
  });

  it('judges a gap seen before the camera dropped only up to its last frame', async () => {
    const before: Script = [{ from: 0, to: 3000, person: true }, { from: 3500, to: 7500, person: false }];
    const after: Script = [{ from: 65_000, to: 66_000, person: true }];
    const { t0, verdicts } = await runScript([before, after], true);
    const gaps = gapViolations(verdicts);
    expect(gaps).toHaveLength(1);
    const ended = verdicts.flatMap((v) => (v.type === 'violation_end' && v.id === gaps[0]?.id ? [v.endMs] : []));
    // The last frame before the camera dropped was at 7.5 s: nothing after it is part of the gap.
    expect(Math.max(gaps[0]?.endMs ?? 0, ...ended)).toBeLessThanOrEqual(t0 + 7500);
  });
});
