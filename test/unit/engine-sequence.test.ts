// `sequence` rules through the engine: runs, step holds, order, within, idle, concurrent runs, verify.
import { describe, expect, it } from 'vitest';
import { ViolationKind, type FrameObservations, type Verdict } from '../../services/core/contracts.ts';
import type { SequenceRule } from '../../services/rules/compiled.ts';
import { createRuleEngine } from '../../services/rules/engine.ts';
import {
  answer, CAMERA, hand, handsIn, person, personIn, run, sequenceRule, sop, split, stream, type Segment,
} from './engine-fixtures.ts';

const at = (zone: string, from: number, to: number, who = 'p:1'): Segment => ({ from, to, obs: person(who, zone) });
const hands = (from: number, to: number, who = 'p:1'): Segment => ({ from, to, obs: hand(who, 'machine') });

const grind = { id: 'grind', detect: personIn('grinder'), minMs: 3_000 };
const tamp = { id: 'tamp', detect: handsIn('machine'), minMs: 2_000 };
const shot = (over: Partial<Parameters<typeof sequenceRule>[0]> = {}): SequenceRule => sequenceRule({
  id: 'shot', trigger: personIn('grinder'),
  steps: [grind, tamp, { id: 'brew', detect: handsIn('machine'), minMs: 15_000 }], ...over,
});
const service = (over: Partial<Parameters<typeof sequenceRule>[0]> = {}): SequenceRule => sequenceRule({
  id: 'service', trigger: personIn('grinder'),
  steps: [grind, tamp, { id: 'serve', detect: personIn('counter'), minMs: 2_000 }], ...over,
});
const short = (over: Partial<Parameters<typeof sequenceRule>[0]> = {}): SequenceRule =>
  sequenceRule({ id: 'short', trigger: personIn('grinder'), steps: [grind, tamp], ...over });

const kinds = (r: ReturnType<typeof run>) => r.violations.map((v) => [v.kind, v.step, v.startMs, v.endMs]);
const outcomes = (r: ReturnType<typeof run>) => r.runs.map((x) => [x.subject, x.startMs, x.endMs, x.outcome]);
const steps = (r: ReturnType<typeof run>, i = 0) => r.runs[i]?.steps.map((s) => [s.step, s.startMs, s.doneMs]);

describe('sequence: outcomes', () => {
  it('completed: overlapping steps on the same zone both count from the same start', () => {
    const r = run([shot()], stream([at('grinder', 0, 4_000), hands(5_000, 25_000)], { to: 30_000 }));
    expect(r.violations).toEqual([]);
    expect(outcomes(r)).toEqual([['p:1', 0, 20_000, 'completed']]);
    expect(steps(r)).toEqual([['grind', 0, 3_000], ['tamp', 5_000, 7_000], ['brew', 5_000, 20_000]]);
    expect(r.runs[0]).toMatchObject({ id: 'test-sop/shot/run/-/p:1/0', sop: 'test-sop', rule: 'shot', cameraId: CAMERA });
  });

  it('missing_step: a step skipped while a later one was seen, judged at the deadline', () => {
    const r = run([service()], stream([at('grinder', 0, 4_000), at('counter', 6_000, 95_000)]));
    expect(kinds(r)).toEqual([[ViolationKind.MissingStep, 'tamp', 0, 90_000]]);
    expect(r.violations[0]).toMatchObject({
      id: 'test-sop/service/missing_step/tamp/p:1/0', subject: 'p:1', decidedBy: 'detector', confidence: 1,
      message: 'tamp: not seen, though serve was (within 90 s)',
    });
    expect(outcomes(r)).toEqual([['p:1', 0, 90_000, 'violation']]);
    expect(steps(r)).toEqual([['grind', 0, 3_000], ['serve', 6_000, 8_000]]);
  });

  it('timeout: only tail steps unseen when within passes', () => {
    const r = run([service()], stream([at('grinder', 0, 100_000), hands(5_000, 8_000)]));
    expect(kinds(r)).toEqual([[ViolationKind.Timeout, 'serve', 0, 90_000]]);
    expect(r.violations[0]?.message).toBe('serve: not seen within 90 s');
  });

  it('out_of_order: all seen but a later step first, closed when the person left', () => {
    const r = run([service()], stream([at('grinder', 0, 4_000), at('counter', 5_000, 8_000), hands(9_000, 12_000)], { to: 25_000 }));
    expect(kinds(r)).toEqual([[ViolationKind.OutOfOrder, 'serve', 0, 12_000]]);
    expect(r.violations[0]?.message).toBe('steps out of order: seen grind, serve, tamp; the SOP asks grind, tamp, serve');
    expect(steps(r)).toEqual([['grind', 0, 3_000], ['tamp', 9_000, 11_000], ['serve', 5_000, 7_000]]);
  });

  it('out_of_order at the deadline', () => {
    const r = run([service()], stream([at('grinder', 0, 4_000), at('counter', 5_000, 8_000), hands(9_000, 95_000)]));
    expect(kinds(r)).toEqual([[ViolationKind.OutOfOrder, 'serve', 0, 90_000]]);
  });

  it('order any: the same stream completes', () => {
    const r = run([service({ order: 'any' })], stream([at('grinder', 0, 4_000), at('counter', 5_000, 8_000), hands(9_000, 12_000)], { to: 25_000 }));
    expect(r.violations).toEqual([]);
    expect(outcomes(r)).toEqual([['p:1', 0, 11_000, 'completed']]);
    expect(steps(r)).toEqual([['grind', 0, 3_000], ['tamp', 9_000, 11_000], ['serve', 5_000, 7_000]]);
  });

  it('order any never gives out_of_order, only missing steps', () => {
    const r = run([service({ order: 'any' })], stream([at('grinder', 0, 4_000), at('counter', 6_000, 95_000)]));
    expect(kinds(r)).toEqual([[ViolationKind.MissingStep, 'tamp', 0, 90_000]]);
  });

  it('idle: every unseen step is missing once the person has left for idleMs', () => {
    const r = run([service()], stream([at('grinder', 0, 4_000)], { to: 20_000 }));
    expect(kinds(r)).toEqual([[ViolationKind.MissingStep, 'tamp', 0, 4_000], [ViolationKind.MissingStep, 'serve', 0, 4_000]]);
    expect(r.violations[0]?.message).toBe('tamp: not seen before the run ended (no activity for 10 s)');
  });

  it('a step hold that started before the run does not count for it', () => {
    const r = run([short()], stream([hands(0, 30_000), at('grinder', 1_000, 5_000)], { to: 45_000 }));
    expect(kinds(r)).toEqual([[ViolationKind.MissingStep, 'tamp', 1_000, 30_000]]);
  });

  it('violations come before the run verdict', () => {
    const r = run([service()], stream([at('grinder', 0, 4_000)], { to: 20_000 }));
    expect(r.verdicts.map((v) => v.type)).toEqual(['violation', 'violation', 'run']);
  });
});

describe('sequence: within', () => {
  it('a step done exactly at the deadline counts', () => {
    const r = run([short()], stream([at('grinder', 0, 100_000), hands(88_000, 95_000)]));
    expect(r.violations).toEqual([]);
    expect(outcomes(r)).toEqual([['p:1', 0, 90_000, 'completed']]);
  });

  it('a step done one frame after the deadline does not', () => {
    const r = run([short()], stream([at('grinder', 0, 100_000), hands(88_200, 95_000)]));
    expect(kinds(r)).toEqual([[ViolationKind.Timeout, 'tamp', 0, 90_000]]);
  });

  it('the run is judged at the first frame at the deadline', () => {
    const engine = createRuleEngine([sop([short()])], { cameraId: CAMERA });
    const seen = stream([at('grinder', 0, 100_000)]).flatMap((f) => engine.push(f).map((v) => [f.tMs, v.type]));
    expect(seen).toEqual([[90_000, 'violation'], [90_000, 'run']]);
  });

  it('a shorter within closes sooner', () => {
    const r = run([short({ withinMs: 5_000 })], stream([at('grinder', 0, 20_000), hands(6_000, 9_000)]));
    expect(kinds(r)).toEqual([[ViolationKind.Timeout, 'tamp', 0, 5_000]]);
  });
});

describe('sequence: triggers and subjects', () => {
  it('a second trigger of the same person during a run is ignored; a later one starts a new run', () => {
    const r = run([short()], stream([
      at('grinder', 0, 4_000), at('grinder', 6_000, 9_000), hands(10_000, 13_000), at('grinder', 20_000, 24_000),
    ], { to: 40_000 }));
    expect(outcomes(r)).toEqual([['p:1', 0, 12_000, 'completed'], ['p:1', 20_000, 24_000, 'violation']]);
    expect(kinds(r)).toEqual([[ViolationKind.MissingStep, 'tamp', 20_000, 24_000]]);
  });

  it('another person\'s trigger starts a concurrent run, judged on their own steps', () => {
    const r = run([short()], stream([
      at('grinder', 0, 4_000, 'p:1'), hands(5_000, 8_000, 'p:1'), at('grinder', 2_000, 6_000, 'p:2'),
    ], { to: 20_000 }));
    expect(outcomes(r)).toEqual([['p:1', 0, 7_000, 'completed'], ['p:2', 2_000, 6_000, 'violation']]);
    expect(r.violations.map((v) => [v.kind, v.subject, v.step])).toEqual([[ViolationKind.MissingStep, 'p:2', 'tamp']]);
  });

  it('an unowned hand (h:) counts for any run', () => {
    const r = run([short()], stream([at('grinder', 0, 4_000), hands(5_000, 8_000, 'h:9')], { to: 20_000 }));
    expect(outcomes(r)).toEqual([['p:1', 0, 7_000, 'completed']]);
  });

  it('with enterMs, the run and its first step start at the trigger\'s first true frame', () => {
    const rule = short({ smoothing: { enterMs: 400, exitMs: 0 }, steps: [{ ...grind, minMs: 200 }, tamp] });
    const r = run([rule], stream([at('grinder', 0, 4_000), hands(5_000, 8_000)], { to: 20_000 }));
    expect(outcomes(r)).toEqual([['p:1', 0, 7_000, 'completed']]);
    expect(steps(r)).toEqual([['grind', 0, 400], ['tamp', 5_000, 7_000]]);
  });

  it('a trigger flicker shorter than enterMs starts no run, and leaves nothing behind', () => {
    const rule = short({ smoothing: { enterMs: 400, exitMs: 0 } });
    expect(run([rule], stream([at('grinder', 1_000, 1_200)], { to: 30_000 })).verdicts).toEqual([]);
    const later = run([rule], stream([at('grinder', 1_000, 1_200), at('grinder', 20_000, 24_000)], { to: 40_000 }));
    expect(outcomes(later)).toEqual([['p:1', 20_000, 24_000, 'violation']]);
  });
});

describe('sequence: end of stream', () => {
  const frames = stream([at('grinder', 0, 4_000), hands(5_000, 6_000)], { to: 8_000 });

  it('a run cut short by the end of the recording is a review item', () => {
    const r = run([shot()], frames, { endMs: 8_000 });
    expect(r.violations).toEqual([]);
    expect(r.reviews.map((x) => [x.startMs, x.endMs, x.reason])).toEqual([[0, 8_000, 'the recording ended 8 s into the run; not seen yet: tamp, brew']]);
    expect(outcomes(r)).toEqual([['p:1', 0, 8_000, 'needs_review']]);
  });

  it('a run whose person had left for idleMs before the end is judged like idle', () => {
    const r = run([shot()], frames, { endMs: 20_000 });
    expect(kinds(r)).toEqual([[ViolationKind.MissingStep, 'tamp', 0, 6_000], [ViolationKind.MissingStep, 'brew', 0, 6_000]]);
  });

  it('a run whose deadline passed before the end is judged at the deadline', () => {
    const r = run([shot({ withinMs: 10_000 })], frames, { endMs: 20_000 });
    expect(kinds(r)).toEqual([[ViolationKind.Timeout, 'tamp', 0, 10_000]]);
  });
});

describe('sequence: verify', () => {
  const verify = { question: 'Is the barista pressing a tamper into the portafilter?', expect: 'yes' as const, frames: 3 };
  const rule = shot({ steps: [grind, { ...tamp, verify }, { id: 'brew', detect: handsIn('machine'), minMs: 15_000 }] });
  const frames = stream([at('grinder', 0, 4_000), hands(5_000, 25_000)], { to: 30_000 });
  const start = (upTo = Number.POSITIVE_INFINITY): { engine: ReturnType<typeof createRuleEngine>; verdicts: Verdict[]; rest: FrameObservations[] } => {
    const engine = createRuleEngine([sop([rule])], { cameraId: CAMERA });
    const verdicts = frames.filter((f) => f.tMs <= upTo).flatMap((f) => engine.push(f));
    return { engine, verdicts, rest: frames.filter((f) => f.tMs > upTo) };
  };

  it('asks once the step is seen, and the run waits for the answer', () => {
    const { verdicts } = start();
    const out = split(verdicts);
    expect(out.runs).toEqual([]);
    expect(out.requests).toHaveLength(1);
    expect(out.requests[0]).toMatchObject({
      id: 'test-sop/shot/tamp/p:1/5000', step: 'tamp', subject: 'p:1', question: verify.question, expect: 'yes',
      startMs: 5_000, endMs: 7_000, failKind: ViolationKind.VerifyFailed, violationStartMs: 5_000, violationEndMs: 7_000,
    });
    expect(out.requests[0]?.facts[0]).toBe('the detector saw hands at machine for 2 s');
  });

  it.each([
    ['yes passes the step', answer('yes'), [], [], 'completed'],
    ['no fails it', answer('no', { reason: 'no tamper in view' }), ['tamp: the model answered no (no tamper in view)'], [], 'violation'],
    ['unsure asks a person', answer('unsure', { reason: 'too dark' }), [], ['tamp: the model was unsure (too dark)'], 'needs_review'],
    ['no model asks a person', answer('no', { decidedBy: 'none', reason: 'budget spent' }), [], ['tamp: no model could answer (budget spent)'], 'needs_review'],
  ] as const)('%s', (_n, a, messages, reasons, outcome) => {
    const { engine, verdicts } = start();
    const id = split(verdicts).requests[0]?.id ?? '';
    const out = split(engine.resolveVerify(id, a));
    expect(out.violations.map((v) => v.message)).toEqual(messages);
    expect(out.reviews.map((v) => v.reason)).toEqual(reasons);
    expect(out.runs.map((x) => x.outcome)).toEqual([outcome]);
    if (out.violations[0] !== undefined) {
      expect(out.violations[0]).toMatchObject({
        kind: ViolationKind.VerifyFailed, step: 'tamp', startMs: 5_000, endMs: 7_000,
        decidedBy: 'vlm:test/model-1', confidence: 0.8, evidence: ['kf-1'], id: 'test-sop/shot/verify_failed/tamp/p:1/5000',
      });
    }
  });

  it('an answer that arrives before the run closes is used when it closes', () => {
    const { engine, verdicts, rest } = start(7_000);
    const id = split(verdicts).requests[0]?.id ?? '';
    expect(split(engine.resolveVerify(id, answer('no'))).violations).toHaveLength(1);
    const later = split([...rest.flatMap((f) => engine.push(f)), ...engine.finish(30_000)]);
    expect(later.runs.map((x) => [x.outcome, x.endMs])).toEqual([['violation', 20_000]]);
  });

  it('a run that never gets its answer is never reported as completed', () => {
    const { engine } = start();
    expect(split(engine.finish(30_000)).runs).toEqual([]);
  });
});

describe('sequence: disabled', () => {
  it('enabled: false never runs', () => {
    const r = run([shot({ enabled: false })], stream([at('grinder', 0, 4_000)], { to: 20_000 }));
    expect(r.verdicts).toEqual([]);
  });
});
