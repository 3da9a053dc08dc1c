// `duration` rules through the engine: too_short, too_long, boundaries, flicker, lost tracks, several persons.
import { describe, expect, it } from 'vitest';
import { ViolationKind } from '../../services/core/contracts.ts';
import { createRuleEngine } from '../../services/rules/engine.ts';
import {
  CAMERA, durationRule, hand, handsIn, objectIn, person, personIn, run, sop, stream, thing, timeline, type Segment,
} from './engine-fixtures.ts';

const smooth = { enterMs: 400, exitMs: 1000 };
const wash = (over: { minMs?: number; maxMs?: number; smoothing?: { enterMs: number; exitMs: number } } = {}) =>
  durationRule({ id: 'handwash', when: handsIn('sink'), minMs: 20_000, maxMs: 60_000, smoothing: smooth, ...over });
const hands = (from: number, to: number, who = 'p:1'): Segment => ({ from, to, obs: hand(who, 'sink') });
const summary = (segments: Segment[], rule = wash(), to?: number) =>
  run([rule], stream(segments, { to: to ?? Math.max(...segments.map((s) => s.to)) + 3000 }))
    .violations.map((v) => [v.kind, v.subject, v.startMs, v.endMs]);

describe('duration: min and max', () => {
  const cases: Array<[string, Segment[], Array<[string, string, number, number]>]> = [
    ['exactly min passes', [hands(0, 20_000)], []],
    ['one frame under min is too_short', [hands(0, 19_800)], [[ViolationKind.TooShort, 'p:1', 0, 19_800]]],
    ['well under min', [hands(5_000, 17_400)], [[ViolationKind.TooShort, 'p:1', 5_000, 17_400]]],
    ['exactly max passes', [hands(0, 60_000)], []],
    ['one frame over max is too_long', [hands(0, 60_200)], [[ViolationKind.TooLong, 'p:1', 0, 60_200]]],
    ['a one-frame flicker off does not split the episode', [hands(0, 10_000), hands(10_400, 25_000)], []],
    ['a track lost for less than exitMs continues', [hands(0, 8_000), hands(8_800, 22_000)], []],
    ['a track lost for longer than exitMs splits', [hands(0, 8_000), hands(9_400, 22_000)],
      [[ViolationKind.TooShort, 'p:1', 0, 8_000], [ViolationKind.TooShort, 'p:1', 9_400, 22_000]]],
    ['a one-frame flicker on starts nothing', [hands(5_000, 5_000)], []],
    ['two persons overlap and are judged apart', [hands(0, 25_000, 'p:1'), hands(10_000, 18_000, 'p:2')],
      [[ViolationKind.TooShort, 'p:2', 10_000, 18_000]]],
    ['an unowned hand is its own subject', [hands(0, 4_000, 'h:3')], [[ViolationKind.TooShort, 'h:3', 0, 4_000]]],
  ];
  it.each(cases)('%s', (_n, segments, expected) => {
    expect(summary(segments)).toEqual(expected);
  });

  it('without smoothing the same flicker splits the episode in two', () => {
    expect(summary([hands(0, 10_000), hands(10_400, 25_000)], wash({ smoothing: { enterMs: 0, exitMs: 0 } })))
      .toEqual([[ViolationKind.TooShort, 'p:1', 0, 10_000], [ViolationKind.TooShort, 'p:1', 10_400, 25_000]]);
  });

  it('without smoothing a single frame is an episode of 0 s', () => {
    expect(summary([hands(5_000, 5_000)], wash({ smoothing: { enterMs: 0, exitMs: 0 } })))
      .toEqual([[ViolationKind.TooShort, 'p:1', 5_000, 5_000]]);
  });

  it('writes a message a manager can read', () => {
    const { violations } = run([wash()], stream([hands(0, 12_400)], { to: 15_000 }));
    expect(violations).toHaveLength(1);
    expect(violations[0]).toMatchObject({
      id: 'test-sop/handwash/too_short/-/p:1/0', sop: 'test-sop', rule: 'handwash', cameraId: CAMERA,
      message: 'hands at sink for 12.4 s, the SOP asks at least 20 s', decidedBy: 'detector', confidence: 1,
      evidence: [], severity: 'medium',
    });
    expect(violations[0]?.ongoing).toBeUndefined();
  });

  it('raises too_long as soon as max is passed, ongoing, then ends it with the episode', () => {
    const engine = createRuleEngine([sop([wash()])], { cameraId: CAMERA });
    const seen = timeline(engine, stream([hands(0, 70_000)], { to: 75_000 }));
    expect(seen.map((s) => s.verdict.type)).toEqual(['violation', 'violation_end']);
    const [raised, ended] = seen;
    expect(raised?.atMs).toBe(60_200);
    expect(raised?.verdict).toMatchObject({
      type: 'violation',
      violation: { kind: ViolationKind.TooLong, startMs: 0, endMs: 60_200, ongoing: true,
        message: 'hands at sink for longer than the 60 s the SOP allows' },
    });
    const id = raised?.verdict.type === 'violation' ? raised.verdict.violation.id : '';
    // The episode ends once exitMs has passed after the last hands frame (70.2 s + 1 s).
    expect(ended).toEqual({ atMs: 71_200, verdict: { type: 'violation_end', id, endMs: 70_000 } });
    expect(engine.finish(75_000)).toEqual([]);
  });

  it('smoothing delays the decision, not the times: the episode starts at its first true frame', () => {
    const { violations } = run([wash()], stream([{ from: 0, to: 1_000, obs: [] }, hands(1_200, 5_000)], { to: 8_000 }));
    expect(violations.map((v) => [v.startMs, v.endMs])).toEqual([[1_200, 5_000]]);
  });

  it('min only or max only', () => {
    expect(summary([hands(0, 100_000)], durationRule({ when: handsIn('sink'), minMs: 20_000 }))).toEqual([]);
    expect(summary([hands(0, 1_000)], durationRule({ when: handsIn('sink'), maxMs: 5_000 }))).toEqual([]);
  });

  it('a scene-level condition has one episode, subject *', () => {
    const rule = durationRule({ when: objectIn('cup', 'pass'), maxMs: 2_000 });
    expect(summary([{ from: 0, to: 3_000, obs: thing('cup', 'pass') }], rule))
      .toEqual([[ViolationKind.TooLong, '*', 0, 2_200]]);
  });

  it('person_in episodes follow the person track', () => {
    const rule = durationRule({ when: personIn('grinder'), minMs: 3_000 });
    const segments = [{ from: 0, to: 1_000, obs: person('p:4', 'grinder') }, { from: 0, to: 9_000, obs: person('p:5', 'door') }];
    expect(summary(segments, rule)).toEqual([[ViolationKind.TooShort, 'p:4', 0, 1_000]]);
  });
});

describe('duration: end of stream', () => {
  it('an episode cut by the end of the recording is a review item, not a too_short', () => {
    const r = run([wash()], stream([hands(10_000, 15_000)], { to: 15_000 }));
    expect(r.violations).toEqual([]);
    expect(r.reviews).toHaveLength(1);
    expect(r.reviews[0]).toMatchObject({ startMs: 10_000, endMs: 15_000, id: 'test-sop/handwash/needs_review/-/p:1/10000' });
    expect(r.reviews[0]?.reason).toContain('the recording ended during hands at sink (5 s so far)');
  });

  it('an episode whose end was seen (false for exitMs before the end) is judged normally', () => {
    const frames = stream([hands(0, 5_000)], { to: 5_600 });
    expect(run([wash()], frames, { endMs: 5_600 }).reviews).toHaveLength(1);
    const judged = run([wash()], frames, { endMs: 10_000 });
    expect(judged.violations.map((v) => [v.kind, v.startMs, v.endMs])).toEqual([[ViolationKind.TooShort, 0, 5_000]]);
  });

  it('an ongoing too_long is ended at the last true frame', () => {
    const r = run([wash()], stream([hands(0, 65_000)], { to: 65_000 }));
    expect(r.violations.map((v) => v.kind)).toEqual([ViolationKind.TooLong]);
    expect(r.ends).toEqual([{ id: r.violations[0]?.id, endMs: 65_000 }]);
  });
});
