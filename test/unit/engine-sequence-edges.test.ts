// `sequence` edges that StrykerJS (npm run mutation:rules) showed no test held: boundaries of idle and within at the
// end of a stream, activity from unowned hands, answers before the run closes, the bound on remembered holds, and
// the order in which seen steps are reported.
import { describe, expect, it } from 'vitest';
import type { Verdict } from '../../services/core/contracts.ts';
import { createRuleEngine } from '../../services/rules/engine.ts';
import {
  answer, CAMERA, hand, handsIn, person, personIn, run, sequenceRule, sop, stream, timeline, type Segment,
} from './engine-fixtures.ts';

const at = (zone: string, from: number, to: number): Segment => ({ from, to, obs: person('p:1', zone) });
const hands = (from: number, to: number, who = 'p:1'): Segment => ({ from, to, obs: hand(who, 'machine') });
const grind = { id: 'grind', detect: personIn('grinder'), minMs: 3_000 };
const tamp = { id: 'tamp', detect: handsIn('machine'), minMs: 2_000 };

/** Verdicts in brief: kind, step, times and message of violations; reasons of reviews; runs with their steps. */
const brief = (verdicts: Verdict[]): unknown[] => verdicts.map((v) => {
  switch (v.type) {
    case 'violation': return [v.violation.kind, v.violation.step, v.violation.startMs, v.violation.endMs, v.violation.message];
    case 'needs_review': return ['review', v.item.reason, v.item.reasonParts];
    case 'run': return ['run', v.run.startMs, v.run.endMs, v.run.outcome, v.run.steps.map((s) => [s.step, s.startMs, s.doneMs])];
    case 'pending_verify':
    case 'violation_end':
      return [v.type];
  }
});

describe('sequence: the end of the stream at the boundaries', () => {
  const rule = sequenceRule({ id: 'short', trigger: personIn('grinder'), steps: [grind, tamp], idleMs: 2_000, withinMs: 10_000 });

  it('a stream ending exactly idleMs after the person left closes the run as idle, not as cut short', () => {
    // Last active frame 4 s, idle from 4.2 s, end at 6.2 s.
    expect(brief(run([rule], stream([at('grinder', 0, 4_000)], { to: 6_000 }), { endMs: 6_200 }).verdicts)).toStrictEqual([
      ['missing_step', 'tamp', 0, 4_000, 'tamp: not seen before the run ended (no activity for 2 s)'],
      ['run', 0, 4_000, 'violation', [['grind', 0, 3_000]]],
    ]);
  });

  it('a stream ending exactly at the deadline closes the run at the deadline', () => {
    expect(brief(run([rule], stream([at('grinder', 0, 9_800)]), { endMs: 10_000 }).verdicts)).toStrictEqual([
      ['timeout', 'tamp', 0, 10_000, 'tamp: not seen within 10 s'],
      ['run', 0, 10_000, 'violation', [['grind', 0, 3_000]]],
    ]);
  });

  it('while frames come, idle closes the run in the first frame idleMs after the person left', () => {
    const engine = createRuleEngine([sop([rule])], { cameraId: CAMERA });
    expect(timeline(engine, stream([at('grinder', 0, 4_000)], { to: 8_000 })).map((x) => [x.atMs, x.verdict.type])).toStrictEqual([
      [6_200, 'violation'], [6_200, 'run'],
    ]);
  });

  it('a trigger still waiting for enterMs when the stream ends leaves nothing', () => {
    const waiting = sequenceRule({ id: 'short', trigger: personIn('grinder'), steps: [grind, tamp], smoothing: { enterMs: 400, exitMs: 0 } });
    expect(run([waiting], stream([at('grinder', 9_800, 10_000)], { to: 10_000 })).verdicts).toStrictEqual([]);
  });
});

describe('sequence: activity', () => {
  it('an unowned hand working on a step keeps a person\'s run alive past idleMs', () => {
    const rule = sequenceRule({ id: 'short', trigger: personIn('grinder'), steps: [grind, { ...tamp, minMs: 3_000 }], idleMs: 2_000 });
    // The person leaves the grinder at 4 s; an unowned hand tamps from 5 s to 9 s (done at 8 s).
    expect(brief(run([rule], stream([at('grinder', 0, 4_000), hands(5_000, 9_000, 'h:9')], { to: 20_000 })).verdicts)).toStrictEqual([
      ['run', 0, 8_000, 'completed', [['grind', 0, 3_000], ['tamp', 5_000, 8_000]]],
    ]);
  });
});

describe('sequence: answers and the run verdict', () => {
  it('the run verdict waits for every answer: none after an early one, none when it closes, one after the last', () => {
    const verify = { question: 'Is it done right?', expect: 'yes' as const, frames: 3 };
    const rule = sequenceRule({
      id: 'two', title: 'Two checks', trigger: personIn('grinder'),
      steps: [{ id: 'grind', detect: personIn('grinder'), minMs: 1_000, verify }, { id: 'tamp', title: 'Tamp', detect: handsIn('machine'), minMs: 1_000, verify }],
    });
    const engine = createRuleEngine([sop([rule])], { cameraId: CAMERA });
    const frames = stream([at('grinder', 0, 2_000), hands(3_000, 5_000)], { to: 20_000 });
    const ask = (step: string, startMs: number, k: number, seen: string) => ({
      type: 'pending_verify',
      request: {
        id: `test-sop/two/${step}/p:1/${startMs}`, sop: 'test-sop', rule: 'two', cameraId: CAMERA, subject: 'p:1', question: verify.question,
        expect: 'yes', frames: 3, startMs, endMs: startMs + 1_000, severity: 'medium', failKind: 'verify_failed',
        violationStartMs: startMs, violationEndMs: startMs + 1_000, step,
        facts: [`the detector saw ${seen} for 1 s`, `this is step ${k} of 2 (grind, Tamp) of "Two checks"`],
      },
    });
    expect(frames.filter((f) => f.tMs <= 1_000).flatMap((f) => engine.push(f))).toStrictEqual([ask('grind', 0, 1, 'person at grinder')]);
    expect(engine.resolveVerify('test-sop/two/grind/p:1/0', answer('yes'))).toStrictEqual([]);
    // Both steps are counted at 4 s: the run closes then, but still waits for the answer about tamp.
    expect(frames.filter((f) => f.tMs > 1_000).flatMap((f) => engine.push(f))).toStrictEqual([ask('tamp', 3_000, 2, 'hands at machine')]);
    expect(brief(engine.resolveVerify('test-sop/two/tamp/p:1/3000', answer('yes')))).toStrictEqual([
      ['run', 0, 4_000, 'completed', [['grind', 0, 1_000], ['tamp', 3_000, 4_000]]],
    ]);
  });
});

describe('sequence: a closed run waiting for two answers', () => {
  it('gives its verdict after the second answer, not the first', () => {
    const verify = { question: 'Is it done right?', expect: 'yes' as const, frames: 3 };
    const rule = sequenceRule({
      id: 'two', trigger: personIn('grinder'),
      steps: [{ id: 'grind', detect: personIn('grinder'), minMs: 1_000, verify }, { id: 'tamp', detect: handsIn('machine'), minMs: 1_000, verify }],
    });
    const engine = createRuleEngine([sop([rule])], { cameraId: CAMERA });
    const asked = stream([at('grinder', 0, 2_000), hands(3_000, 5_000)], { to: 20_000 }).flatMap((f) => engine.push(f));
    expect(asked.map((v) => v.type)).toStrictEqual(['pending_verify', 'pending_verify']);
    expect(engine.resolveVerify('test-sop/two/grind/p:1/0', answer('yes'))).toStrictEqual([]);
    expect(brief(engine.resolveVerify('test-sop/two/tamp/p:1/3000', answer('yes')))).toStrictEqual([
      ['run', 0, 4_000, 'completed', [['grind', 0, 1_000], ['tamp', 3_000, 4_000]]],
    ]);
  });
});

describe('sequence: holds remembered per step', () => {
  // Step a (at the counter) never comes, so b (hands at the machine) is never counted: the run reports b's first hold.
  const steps = (bMinMs: number) => [{ id: 'a', detect: personIn('counter'), minMs: 1_000 }, { id: 'b', detect: handsIn('machine'), minMs: bMinMs }];
  const rule = (bMinMs: number) => sequenceRule({ id: 'wipe', trigger: personIn('grinder'), steps: steps(bMinMs), idleMs: 2_000 });

  it('a long hold is remembered once, so it does not push out the earlier ones', () => {
    expect(brief(run([rule(200)], stream([at('grinder', 0, 2_000), hands(2_200, 3_000), hands(3_400, 3_600), hands(4_000, 12_000)], { to: 20_000 })).verdicts)).toStrictEqual([
      ['missing_step', 'a', 0, 12_000, 'a: not seen before the run ended (no activity for 2 s)'],
      ['run', 0, 12_000, 'violation', [['b', 2_200, 2_400]]],
    ]);
  });

  it('at most 32 holds per step are kept: of 33, the first is forgotten', () => {
    const flicker = Array.from({ length: 33 }, (_, i) => hands(2_000 + 400 * i, 2_000 + 400 * i));
    expect(brief(run([rule(0)], stream([at('grinder', 0, 2_000), ...flicker], { to: 20_000 })).verdicts)).toStrictEqual([
      ['missing_step', 'a', 0, 14_800, 'a: not seen before the run ended (no activity for 2 s)'],
      ['run', 0, 14_800, 'violation', [['b', 2_400, 2_400]]],
    ]);
  });
});

describe('sequence: which steps are named', () => {
  it('each skipped step names the first later step that was seen', () => {
    const rule = sequenceRule({
      id: 'four', trigger: personIn('grinder'), withinMs: 10_000,
      steps: [grind, tamp, { id: 'brew', detect: personIn('door'), minMs: 1_000 }, { id: 'serve', detect: personIn('counter'), minMs: 1_000 }],
    });
    expect(brief(run([rule], stream([at('grinder', 0, 4_000), at('counter', 5_000, 12_000)])).verdicts)).toStrictEqual([
      ['missing_step', 'tamp', 0, 10_000, 'tamp: not seen, though serve was (within 10 s)'],
      ['missing_step', 'brew', 0, 10_000, 'brew: not seen, though serve was (within 10 s)'],
      ['run', 0, 10_000, 'violation', [['grind', 0, 3_000], ['serve', 5_000, 6_000]]],
    ]);
  });

  it('steps seen out of order are listed by when they started, not when they were done', () => {
    // serve starts at 5 s and is done at 8 s; brew starts later (5.2 s) but is done sooner (7.2 s).
    const rule = sequenceRule({
      id: 'shot', trigger: personIn('grinder'), idleMs: 2_000,
      steps: [grind, { id: 'brew', detect: handsIn('machine'), minMs: 2_000 }, { id: 'serve', detect: personIn('counter'), minMs: 3_000 }],
    });
    expect(brief(run([rule], stream([at('grinder', 0, 4_000), at('counter', 5_000, 8_000), hands(5_200, 7_200)], { to: 20_000 })).verdicts)).toStrictEqual([
      ['out_of_order', 'serve', 0, 8_000, 'steps out of order: seen grind, serve, brew; the SOP asks grind, brew, serve'],
      ['run', 0, 8_000, 'violation', [['grind', 0, 3_000], ['brew', 5_200, 7_200], ['serve', 5_000, 8_000]]],
    ]);
  });

  it('steps that started together are listed by when they were done', () => {
    const rule = sequenceRule({
      id: 'tie', trigger: personIn('grinder'),
      steps: [{ id: 'x', detect: personIn('door'), minMs: 1_000 }, { id: 'long', detect: handsIn('machine'), minMs: 2_000 }, { id: 'quick', detect: handsIn('machine'), minMs: 1_000 }],
    });
    expect(brief(run([rule], stream([at('grinder', 0, 1_000), hands(1_000, 4_000)], { to: 5_000 })).verdicts)).toStrictEqual([
      ['review', 'the recording ended 5 s into the run; not seen yet: x',
        { code: 'recording_ended_run', values: { afterMs: 5_000, missing: [{ id: 'x', title: 'x' }], seen: [{ id: 'quick', title: 'quick' }, { id: 'long', title: 'long' }] } }],
      ['run', 0, 5_000, 'needs_review', [['long', 1_000, 3_000], ['quick', 1_000, 2_000]]],
    ]);
  });

  it('all steps seen, out of order, two of them together: the message lists those by when they were done', () => {
    const rule = sequenceRule({
      id: 'tie', trigger: personIn('grinder'), idleMs: 2_000,
      steps: [{ id: 'x', detect: personIn('door'), minMs: 1_000 }, { id: 'long', detect: handsIn('machine'), minMs: 2_000 }, { id: 'quick', detect: handsIn('machine'), minMs: 1_000 }],
    });
    expect(brief(run([rule], stream([at('grinder', 0, 1_000), hands(1_000, 4_000), at('door', 5_000, 7_000)], { to: 20_000 })).verdicts)).toStrictEqual([
      ['out_of_order', 'long', 0, 7_000, 'steps out of order: seen quick, long, x; the SOP asks x, long, quick'],
      ['run', 0, 7_000, 'violation', [['x', 5_000, 6_000], ['long', 1_000, 3_000], ['quick', 1_000, 2_000]]],
    ]);
  });

  it('order any: a verified step is asked about as soon as it is done, before the steps listed above it', () => {
    const verify = { question: 'Was the cup handed over?', expect: 'yes' as const, frames: 3 };
    const rule = sequenceRule({
      id: 'any', order: 'any', trigger: personIn('grinder'),
      steps: [grind, tamp, { id: 'serve', detect: personIn('counter'), minMs: 2_000, verify }],
    });
    const engine = createRuleEngine([sop([rule])], { cameraId: CAMERA });
    const seen = timeline(engine, stream([at('grinder', 0, 4_000), at('counter', 5_000, 8_000), hands(9_000, 12_000)], { to: 14_000 }));
    expect(seen.map((x) => [x.atMs, x.verdict.type === 'pending_verify' ? x.verdict.request.id : x.verdict.type])).toStrictEqual([
      [7_000, 'test-sop/any/serve/p:1/5000'],
    ]);
  });

  it('order any: a step counts whenever it started in the run, even before the step listed above it', () => {
    const rule = sequenceRule({
      id: 'any', order: 'any', trigger: personIn('grinder'),
      steps: [grind, { id: 'tamp', detect: handsIn('machine'), minMs: 1_000 }, { id: 'serve', detect: personIn('counter'), minMs: 3_000 }],
    });
    expect(brief(run([rule], stream([at('grinder', 0, 4_000), at('counter', 3_000, 7_000), hands(4_000, 6_000)], { to: 20_000 })).verdicts)).toStrictEqual([
      ['run', 0, 6_000, 'completed', [['grind', 0, 3_000], ['tamp', 4_000, 5_000], ['serve', 3_000, 6_000]]],
    ]);
  });
});
