// `forbidden` rules through the engine: the `for` boundary, one violation per episode, verify answers.
import { describe, expect, it } from 'vitest';
import { ViolationKind, type Verdict } from '../../services/core/contracts.ts';
import { createRuleEngine } from '../../services/rules/engine.ts';
import {
  answer, CAMERA, forbiddenRule, objectIn, person, personIn, run, sop, split, stream, thing, timeline, type Segment,
} from './engine-fixtures.ts';

const phone = (from: number, to: number): Segment => ({ from, to, obs: thing('cell phone', 'machine') });
const phoneRule = (over: Partial<Parameters<typeof forbiddenRule>[0]> = {}) => forbiddenRule({
  id: 'phone-at-bar', when: objectIn('cell phone', 'machine'), forMs: 3_000, severity: 'high',
  smoothing: { enterMs: 0, exitMs: 600 }, ...over,
});
const verify = { question: 'Is anyone using a phone at the machine?', expect: 'no' as const, frames: 3 };

describe('forbidden', () => {
  const cases: Array<[string, Segment[], Array<[number, number]>]> = [
    ['held just under for: nothing', [phone(0, 2_800)], []],
    ['held exactly for: a violation', [phone(0, 3_000)], [[0, 3_000]]],
    ['a long episode gives one violation', [phone(0, 10_000)], [[0, 3_000]]],
    ['a flicker inside the episode does not give a second one', [phone(0, 4_000), phone(4_400, 9_000)], [[0, 3_000]]],
    ['two episodes give two violations', [phone(0, 4_000), phone(6_000, 9_000)], [[0, 3_000], [6_000, 9_000]]],
  ];
  it.each(cases)('%s', (_n, segments, expected) => {
    const r = run([phoneRule()], stream(segments, { to: 12_000 }));
    expect(r.violations.map((v) => [v.startMs, v.endMs])).toEqual(expected);
    expect(r.violations.every((v) => v.kind === ViolationKind.Forbidden && v.ongoing === true && v.severity === 'high')).toBe(true);
    // Every ongoing violation is ended, at its episode's last true frame.
    expect(r.ends.map((e) => e.id)).toEqual(r.violations.map((v) => v.id));
  });

  it('is raised while the episode runs and ended when it ends', () => {
    const engine = createRuleEngine([sop([phoneRule()])], { cameraId: CAMERA });
    const seen = timeline(engine, stream([phone(0, 10_000)], { to: 12_000 }));
    expect(seen.map((s) => [s.atMs, s.verdict.type])).toEqual([[3_000, 'violation'], [10_800, 'violation_end']]);
    expect(seen[0]?.verdict).toMatchObject({
      violation: { id: 'test-sop/phone-at-bar/forbidden/-/*/0', message: 'cell phone at machine for 3 s: not allowed' },
    });
    expect(seen[1]?.verdict).toMatchObject({ endMs: 10_000 });
  });

  it('for 0 s: a single frame is enough', () => {
    const r = run([phoneRule({ forMs: 0, smoothing: { enterMs: 0, exitMs: 0 } })], stream([phone(1_000, 1_000)], { to: 2_000 }));
    expect(r.violations.map((v) => [v.startMs, v.endMs, v.message])).toEqual([[1_000, 1_000, 'cell phone at machine: not allowed']]);
  });

  const lawn = (over: Partial<Parameters<typeof forbiddenRule>[0]> = {}) => forbiddenRule({ id: 'behind-bar', when: personIn('behind-bar'), forMs: 2_000, ...over });

  it('concurrent subjects make one episode, from the first in to the last out', () => {
    // The pair of the field report: one walks in at 0.6 s, the other at 3.4 s; they leave at 10.4 s and 24.2 s.
    const r = run([lawn()], stream([
      { from: 600, to: 10_400, obs: person('p:1', 'behind-bar') },
      { from: 3_400, to: 24_200, obs: person('p:2', 'behind-bar') },
    ], { to: 28_000 }));
    expect(r.violations).toHaveLength(1);
    expect(r.violations[0]).toMatchObject({ id: 'test-sop/behind-bar/forbidden/-/*/600', subject: '*', startMs: 600, subjects: ['p:1'], count: 1 });
    // The end carries everyone who was in the episode and the most at once.
    expect(r.ends).toEqual([{ id: r.violations[0]?.id, endMs: 24_200 }]);
    const end = r.verdicts.find((v) => v.type === 'violation_end');
    expect(end).toMatchObject({ subjects: ['p:1', 'p:2'], count: 2 });
  });

  it('a trio gives one violation per episode, and a second episode a second one', () => {
    const trio = (from: number, to: number): Segment[] => ['p:4', 'p:5', 'p:6'].map((p, i) => ({ from: from + i * 400, to: to - i * 400, obs: person(p, 'behind-bar') }));
    const r = run([lawn()], stream([...trio(0, 8_000), ...trio(12_000, 20_000)], { to: 22_000 }));
    expect(r.violations.map((v) => [v.startMs, v.subjects, v.count, v.message])).toEqual([
      [0, ['p:4', 'p:5', 'p:6'], 3, 'person at behind-bar for 2 s, 3 at once: not allowed'],
      [12_000, ['p:4', 'p:5', 'p:6'], 3, 'person at behind-bar for 2 s, 3 at once: not allowed'],
    ]);
    expect(r.ends.map((e) => e.endMs)).toEqual([8_000, 20_000]);
  });

  it('a relay of subjects with no gap is one episode: the condition never stopped holding', () => {
    const r = run([lawn()], stream([
      { from: 0, to: 1_000, obs: person('p:1', 'behind-bar') },
      { from: 1_000, to: 5_000, obs: person('p:2', 'behind-bar') },
    ], { to: 8_000 }));
    expect(r.violations.map((v) => [v.startMs, v.subjects, v.count])).toEqual([[0, ['p:1', 'p:2'], 2]]);
    expect(r.ends.map((e) => e.endMs)).toEqual([5_000]);
  });

  it('a subject who left before the episode counted is not listed', () => {
    // p:9 is in for 1 s, leaves (gap beyond exit), then the episode of p:1 starts.
    const r = run([lawn({ smoothing: { enterMs: 0, exitMs: 400 } })], stream([
      { from: 0, to: 1_000, obs: person('p:9', 'behind-bar') },
      { from: 3_000, to: 7_000, obs: person('p:1', 'behind-bar') },
    ], { to: 9_000 }));
    expect(r.violations.map((v) => [v.startMs, v.subjects])).toEqual([[3_000, ['p:1']]]);
  });

  it('verify per subject judges each person apart', () => {
    const rule = lawn({ verify: { question: 'Is this person wearing a hair net?', expect: 'yes', frames: 3, per: 'subject' } });
    const engine = createRuleEngine([sop([rule])], { cameraId: CAMERA });
    const verdicts = stream([
      { from: 0, to: 5_000, obs: person('p:1', 'behind-bar') },
      { from: 1_000, to: 2_000, obs: person('p:2', 'behind-bar') },
      { from: 2_000, to: 6_000, obs: person('p:3', 'behind-bar') },
    ], { to: 8_000 }).flatMap((f) => engine.push(f));
    const requests = split(verdicts).requests;
    expect(requests.map((q) => [q.subject, q.startMs, q.subjects])).toEqual([['p:1', 0, ['p:1']], ['p:3', 2_000, ['p:3']]]);
    const raised = requests.flatMap((q) => split(engine.resolveVerify(q.id, answer('no'))).violations);
    expect(raised.map((v) => [v.subject, v.startMs, v.endMs])).toEqual([['p:1', 0, 5_000], ['p:3', 2_000, 6_000]]);
  });

  it('verify per episode asks once about everyone in it', () => {
    const rule = lawn({ verify: { question: 'Is every person wearing a hair net?', expect: 'yes', frames: 3 } });
    const engine = createRuleEngine([sop([rule])], { cameraId: CAMERA });
    const verdicts = stream(['p:1', 'p:2', 'p:3', 'p:4'].map((p) => ({ from: 0, to: 4_000, obs: person(p, 'behind-bar') })), { to: 4_000 })
      .flatMap((f) => engine.push(f));
    const requests = split(verdicts).requests;
    expect(requests).toHaveLength(1);
    expect(requests[0]).toMatchObject({ subject: '*', subjects: ['p:1', 'p:2', 'p:3', 'p:4'], startMs: 0, endMs: 2_000 });
    expect(requests[0]?.facts).toContain('the detector saw 4 subjects at once: the question is about all of them');
    const raised = split(engine.resolveVerify(requests[0]?.id ?? '', answer('no'))).violations;
    expect(raised.map((v) => [v.startMs, v.endMs, v.ongoing, v.count])).toEqual([[0, 4_000, true, 4]]);
    expect(split(engine.finish(6_000)).ends).toEqual([{ id: raised[0]?.id, endMs: 4_000 }]);
  });
});

describe('forbidden with verify', () => {
  const rule = phoneRule({ verify });
  const start = (): { engine: ReturnType<typeof createRuleEngine>; verdicts: Verdict[] } => {
    const engine = createRuleEngine([sop([rule])], { cameraId: CAMERA });
    const verdicts = stream([phone(0, 5_000)], { to: 5_000 }).flatMap((f) => engine.push(f));
    return { engine, verdicts };
  };

  it('asks instead of raising', () => {
    const { verdicts } = start();
    const { violations, requests } = split(verdicts);
    expect(violations).toEqual([]);
    expect(requests).toHaveLength(1);
    expect(requests[0]).toMatchObject({
      id: 'test-sop/phone-at-bar/-/*/0', sop: 'test-sop', rule: 'phone-at-bar', cameraId: CAMERA, subject: '*',
      question: verify.question, expect: 'no', frames: 3, startMs: 0, endMs: 3_000, severity: 'high',
      failKind: ViolationKind.Forbidden, violationStartMs: 0, violationEndMs: 3_000,
    });
    expect(requests[0]?.step).toBeUndefined();
    expect(requests[0]?.facts).toContain('the detector saw cell phone at machine for 3 s');
  });

  it('the opposite answer while the episode runs raises an ongoing violation, ended with the episode', () => {
    const { engine, verdicts } = start();
    const id = split(verdicts).requests[0]?.id ?? '';
    const raised = split(engine.resolveVerify(id, answer('yes', { reason: 'a phone in hand' }))).violations;
    expect(raised).toHaveLength(1);
    expect(raised[0]).toMatchObject({
      kind: ViolationKind.Forbidden, startMs: 0, endMs: 5_000, ongoing: true, decidedBy: 'vlm:test/model-1',
      confidence: 0.8, evidence: ['kf-1'], message: 'cell phone at machine for 5 s: the model answered yes (a phone in hand)',
    });
    expect(split(engine.finish(9_000)).ends).toEqual([{ id: raised[0]?.id, endMs: 5_000 }]);
  });

  it('the opposite answer after the episode ended raises a closed violation', () => {
    const { engine, verdicts } = start();
    engine.finish(9_000);
    const raised = split(engine.resolveVerify(split(verdicts).requests[0]?.id ?? '', answer('yes'))).violations;
    expect(raised.map((v) => [v.startMs, v.endMs, v.ongoing])).toEqual([[0, 5_000, undefined]]);
  });

  it('the expected answer passes the episode', () => {
    const { engine, verdicts } = start();
    expect(engine.resolveVerify(split(verdicts).requests[0]?.id ?? '', answer('no'))).toEqual([]);
    expect(engine.finish(9_000)).toEqual([]);
  });

  it.each([
    ['unsure', answer('unsure', { reason: 'the hand is hidden' }), 'the model was unsure: the hand is hidden'],
    ['no model reachable', answer('yes', { decidedBy: 'none', reason: 'all providers down' }), 'no model could answer: all providers down'],
  ])('%s becomes a review item, never a violation', (_n, a, reason) => {
    const { engine, verdicts } = start();
    const out = split(engine.resolveVerify(split(verdicts).requests[0]?.id ?? '', a));
    expect(out.violations).toEqual([]);
    expect(out.reviews).toHaveLength(1);
    expect(out.reviews[0]).toMatchObject({ reason, question: verify.question, startMs: 0, severity: 'high' });
    expect(out.reviews[0]?.answer?.answer).toBe('unsure');
  });

  it('unknown ids and second answers give nothing', () => {
    const { engine, verdicts } = start();
    const id = split(verdicts).requests[0]?.id ?? '';
    expect(engine.resolveVerify('nope', answer('yes'))).toEqual([]);
    expect(engine.resolveVerify(id, answer('no'))).toEqual([]);
    expect(engine.resolveVerify(id, answer('yes'))).toEqual([]);
  });

  it('an answer arriving after a second episode keeps the violation to its own episode', () => {
    // Episode one 0-5 s, episode two 8-14 s, both asked; the first answer comes after both ended.
    const engine = createRuleEngine([sop([rule])], { cameraId: CAMERA });
    const verdicts = stream([phone(0, 5_000), phone(8_000, 14_000)], { to: 16_000 }).flatMap((f) => engine.push(f));
    verdicts.push(...engine.finish(16_000));
    const requests = split(verdicts).requests;
    expect(requests.map((r) => [r.startMs, r.endMs])).toEqual([[0, 3_000], [8_000, 11_000]]);
    const first = split(engine.resolveVerify(requests[0]?.id ?? '', answer('yes'))).violations;
    expect(first.map((v) => [v.startMs, v.endMs, v.ongoing])).toEqual([[0, 5_000, undefined]]);
    expect(first[0]?.message).toBe('cell phone at machine for 5 s: the model answered yes (the model says yes)');
    const second = split(engine.resolveVerify(requests[1]?.id ?? '', answer('yes'))).violations;
    expect(second.map((v) => [v.startMs, v.endMs, v.ongoing])).toEqual([[8_000, 14_000, undefined]]);
  });

  it('a malformed answer counts as unsure', () => {
    const { engine, verdicts } = start();
    const out = split(engine.resolveVerify(split(verdicts).requests[0]?.id ?? '', { answer: 'maybe' } as never));
    expect(out.reviews).toHaveLength(1);
    expect(out.violations).toEqual([]);
  });
});
