// Every kind's verdicts asserted whole: the message as data (`parts`, `reasonParts`) and an episode's subjects
// (`subjects`, `count`, `spans`) next to the text, ids and times, with toStrictEqual so that no field can appear or change unseen.
import { describe, expect, it } from 'vitest';
import type { FrameObservations, Verdict, VerifyAnswer } from '../../services/core/contracts.ts';
import { createRuleEngine } from '../../services/rules/engine.ts';
import { stepRef } from '../../services/rules/kinds/common.ts';
import {
  answer, CAMERA, durationRule, forbiddenRule, hand, handsIn, objectIn, person, personIn, requiredRule, run, sequenceRule, sop,
  split, stream, thing, type Segment,
} from './engine-fixtures.ts';

/** What every verdict written by the detector alone carries. */
const byDetector = { sop: 'test-sop', cameraId: CAMERA, severity: 'medium', decidedBy: 'detector', confidence: 1, evidence: [] };
/** What a verdict decided by the fixtures' model answer carries. */
const byModel = { sop: 'test-sop', cameraId: CAMERA, severity: 'medium', decidedBy: 'vlm:test/model-1', confidence: 0.8, evidence: ['kf-1'] };

describe('forbidden: parts and the episode\'s subjects', () => {
  const lawn = { type: 'person_in', zone: 'behind-bar' };
  // p:1 0-3 s, p:2 1-6 s, p:3 4-5 s: at most two at once; the hold (2 s) is reached while p:1 and p:2 are in.
  const trio: Segment[] = [
    { from: 0, to: 3_000, obs: person('p:1', 'behind-bar') },
    { from: 1_000, to: 6_000, obs: person('p:2', 'behind-bar') },
    { from: 4_000, to: 5_000, obs: person('p:3', 'behind-bar') },
  ];
  const spansAtEnd = [
    { subject: 'p:1', firstMs: 0, lastMs: 3_000 }, { subject: 'p:2', firstMs: 1_000, lastMs: 6_000 }, { subject: 'p:3', firstMs: 4_000, lastMs: 5_000 },
  ];
  const id = 'test-sop/behind-bar/forbidden/-/*/0';

  it('without verify: raised with who was in at the hold, ended with everyone and their spans', () => {
    const r = run([forbiddenRule({ id: 'behind-bar', when: personIn('behind-bar'), forMs: 2_000 })], stream(trio, { to: 7_000 }));
    expect(r.verdicts).toStrictEqual([
      {
        type: 'violation',
        violation: {
          ...byDetector, id, rule: 'behind-bar', kind: 'forbidden', subject: '*', startMs: 0, endMs: 2_000, ongoing: true,
          message: 'person at behind-bar for 2 s, 2 at once: not allowed',
          parts: { code: 'forbidden', values: { what: lawn, durationMs: 2_000, count: 2 } },
          subjects: ['p:1', 'p:2'], count: 2,
          spans: [{ subject: 'p:1', firstMs: 0, lastMs: 2_000 }, { subject: 'p:2', firstMs: 1_000, lastMs: 2_000 }],
        },
      },
      { type: 'violation_end', id, endMs: 6_000, subjects: ['p:1', 'p:2', 'p:3'], count: 2, spans: spansAtEnd },
    ]);
  });

  it('for 0 s on a scene condition: no duration, no count, no subjects', () => {
    const rule = forbiddenRule({ id: 'zero', when: objectIn('cell phone', 'machine'), forMs: 0 });
    const r = run([rule], stream([{ from: 1_000, to: 1_400, obs: thing('cell phone', 'machine') }], { to: 2_000 }));
    expect(r.verdicts).toStrictEqual([
      {
        type: 'violation',
        violation: {
          ...byDetector, id: 'test-sop/zero/forbidden/-/*/1000', rule: 'zero', kind: 'forbidden', subject: '*', startMs: 1_000, endMs: 1_000,
          ongoing: true, message: 'cell phone at machine: not allowed',
          parts: { code: 'forbidden', values: { what: { type: 'object', label: 'cell phone', zone: 'machine' } } },
        },
      },
      { type: 'violation_end', id: 'test-sop/zero/forbidden/-/*/1000', endMs: 1_400 },
    ]);
  });

  it('one person alone: subjects and a span, but no "at once" count in the message or its parts', () => {
    const rule = forbiddenRule({ id: 'behind-bar', when: personIn('behind-bar'), forMs: 2_000 });
    const r = run([rule], stream([{ from: 600, to: 3_000, obs: person('p:7', 'behind-bar') }], { to: 4_000 }));
    expect(r.verdicts).toStrictEqual([
      {
        type: 'violation',
        violation: {
          ...byDetector, id: 'test-sop/behind-bar/forbidden/-/*/600', rule: 'behind-bar', kind: 'forbidden', subject: '*', startMs: 600,
          endMs: 2_600, ongoing: true, message: 'person at behind-bar for 2 s: not allowed',
          parts: { code: 'forbidden', values: { what: lawn, durationMs: 2_000 } },
          subjects: ['p:7'], count: 1, spans: [{ subject: 'p:7', firstMs: 600, lastMs: 2_600 }],
        },
      },
      {
        type: 'violation_end', id: 'test-sop/behind-bar/forbidden/-/*/600', endMs: 3_000, subjects: ['p:7'], count: 1,
        spans: [{ subject: 'p:7', firstMs: 600, lastMs: 3_000 }],
      },
    ]);
  });

  it('two arriving in the same frame are listed by id, whatever the order of the observations', () => {
    const rule = forbiddenRule({ id: 'behind-bar', when: personIn('behind-bar'), forMs: 1_000 });
    const r = run([rule], stream([{ from: 0, to: 1_000, obs: [...person('p:2', 'behind-bar'), ...person('p:1', 'behind-bar')] }], { to: 2_000 }));
    const group = { subjects: ['p:1', 'p:2'], count: 2, spans: [{ subject: 'p:1', firstMs: 0, lastMs: 1_000 }, { subject: 'p:2', firstMs: 0, lastMs: 1_000 }] };
    expect(r.verdicts).toStrictEqual([
      {
        type: 'violation',
        violation: {
          ...byDetector, id, rule: 'behind-bar', kind: 'forbidden', subject: '*', startMs: 0, endMs: 1_000, ongoing: true,
          message: 'person at behind-bar for 1 s, 2 at once: not allowed', parts: { code: 'forbidden', values: { what: lawn, durationMs: 1_000, count: 2 } },
          ...group,
        },
      },
      { type: 'violation_end', id, endMs: 1_000, ...group },
    ]);
  });

  it('a shadow rule on a scene condition: its question has no subjects, its review item is marked shadow', () => {
    const question = 'Is anyone using a phone?';
    const rule = forbiddenRule({ id: 'phone', when: objectIn('cell phone', 'machine'), forMs: 1_000, verify: { question, expect: 'no', frames: 3 }, shadow: true });
    const engine = createRuleEngine([sop([rule])], { cameraId: CAMERA });
    const verdicts = [...stream([{ from: 0, to: 2_000, obs: thing('cell phone', 'machine') }], { to: 3_000 }).flatMap((f) => engine.push(f)), ...engine.finish(3_000)];
    expect(verdicts).toStrictEqual([{
      type: 'pending_verify',
      request: {
        id: 'test-sop/phone/-/*/0', sop: 'test-sop', rule: 'phone', cameraId: CAMERA, subject: '*', question, expect: 'no', frames: 3,
        startMs: 0, endMs: 1_000, facts: ['the detector saw cell phone at machine for 1 s', 'the rule: A forbidden rule'], severity: 'medium',
        failKind: 'forbidden', violationStartMs: 0, violationEndMs: 1_000, shadow: true,
      },
    }]);
    expect(engine.resolveVerify('test-sop/phone/-/*/0', answer('unsure', { reason: 'blurred' }))).toStrictEqual([{
      type: 'needs_review',
      item: {
        id: 'test-sop/phone/needs_review/-/*/0', sop: 'test-sop', rule: 'phone', cameraId: CAMERA, startMs: 0, endMs: 2_000, severity: 'medium',
        reason: 'the model was unsure: blurred', question,
        answer: { answer: 'unsure', confidence: 0.8, reason: 'blurred', decidedBy: 'vlm:test/model-1', evidence: ['kf-1'] },
        reasonParts: { code: 'model_unsure', values: { reason: 'blurred' } }, shadow: true,
      },
    }]);
  });

  describe('with smoothing', () => {
    const smoothed = forbiddenRule({ id: 'behind-bar', when: personIn('behind-bar'), forMs: 2_000, smoothing: { enterMs: 400, exitMs: 1_000 } });
    const raised = (startMs: number, message: string, values: object, group: object) => ({
      type: 'violation',
      violation: {
        ...byDetector, id: `test-sop/behind-bar/forbidden/-/*/${startMs}`, rule: 'behind-bar', kind: 'forbidden', subject: '*', startMs,
        endMs: startMs + 2_000, ongoing: true, message, parts: { code: 'forbidden', values: { what: lawn, durationMs: 2_000, ...values } }, ...group,
      },
    });

    it('a gap shorter than exitMs keeps everyone of the episode, before and after it', () => {
      const r = run([smoothed], stream([
        { from: 0, to: 2_400, obs: person('p:1', 'behind-bar') },
        { from: 3_000, to: 5_000, obs: person('p:2', 'behind-bar') },
      ], { to: 7_000 }));
      expect(r.verdicts).toStrictEqual([
        raised(0, 'person at behind-bar for 2 s: not allowed', {}, { subjects: ['p:1'], count: 1, spans: [{ subject: 'p:1', firstMs: 0, lastMs: 2_000 }] }),
        {
          type: 'violation_end', id: 'test-sop/behind-bar/forbidden/-/*/0', endMs: 5_000, subjects: ['p:1', 'p:2'], count: 1,
          spans: [{ subject: 'p:1', firstMs: 0, lastMs: 2_400 }, { subject: 'p:2', firstMs: 3_000, lastMs: 5_000 }],
        },
      ]);
    });

    it('who came while the episode waited for enterMs counts; who left before it started does not', () => {
      const r = run([smoothed], stream([
        { from: 0, to: 200, obs: person('p:9', 'behind-bar') },
        { from: 1_000, to: 4_000, obs: person('p:1', 'behind-bar') },
        { from: 1_200, to: 1_200, obs: person('p:2', 'behind-bar') },
      ], { to: 6_000 }));
      const spans = (lastMs: number) => [{ subject: 'p:1', firstMs: 1_000, lastMs }, { subject: 'p:2', firstMs: 1_200, lastMs: 1_200 }];
      expect(r.verdicts).toStrictEqual([
        raised(1_000, 'person at behind-bar for 2 s, 2 at once: not allowed', { count: 2 }, { subjects: ['p:1', 'p:2'], count: 2, spans: spans(3_000) }),
        { type: 'violation_end', id: 'test-sop/behind-bar/forbidden/-/*/1000', endMs: 4_000, subjects: ['p:1', 'p:2'], count: 2, spans: spans(4_000) },
      ]);
    });
  });

  describe('with verify per episode', () => {
    const question = 'Is every person wearing a hair net?';
    const rule = forbiddenRule({ id: 'behind-bar', when: personIn('behind-bar'), forMs: 2_000, verify: { question, expect: 'yes', frames: 3 } });
    const frames = stream(trio, { to: 7_000 });
    const request = {
      id: 'test-sop/behind-bar/-/*/0', sop: 'test-sop', rule: 'behind-bar', cameraId: CAMERA, subject: '*', question, expect: 'yes',
      frames: 3, startMs: 0, endMs: 2_000, severity: 'medium', failKind: 'forbidden', violationStartMs: 0, violationEndMs: 2_000,
      facts: [
        'the detector saw person at behind-bar for 2 s', 'the rule: A forbidden rule',
        'the detector saw 2 subjects at once: the question is about all of them',
      ],
      subjects: ['p:1', 'p:2'],
    };
    const through = (upTo: number): { engine: ReturnType<typeof createRuleEngine>; verdicts: Verdict[]; rest: FrameObservations[] } => {
      const engine = createRuleEngine([sop([rule])], { cameraId: CAMERA });
      return { engine, verdicts: frames.filter((f) => f.tMs <= upTo).flatMap((f) => engine.push(f)), rest: frames.filter((f) => f.tMs > upTo) };
    };

    it('asks with the subjects in at the hold', () => {
      expect(through(7_000).verdicts).toStrictEqual([{ type: 'pending_verify', request }]);
    });

    it('a failing answer while the episode runs: who is in so far, their spans up to now, then the end with all', () => {
      const { engine, verdicts, rest } = through(4_400);
      expect(verdicts).toStrictEqual([{ type: 'pending_verify', request }]);
      expect(engine.resolveVerify(request.id, answer('no', { reason: 'one bare head' }))).toStrictEqual([{
        type: 'violation',
        violation: {
          ...byModel, id, rule: 'behind-bar', kind: 'forbidden', subject: '*', startMs: 0, endMs: 4_400, ongoing: true,
          message: 'person at behind-bar for 4.4 s, 2 at once: the model answered no (one bare head)',
          parts: { code: 'forbidden_answered', values: { what: lawn, durationMs: 4_400, answer: 'no', reason: 'one bare head', count: 2 } },
          subjects: ['p:1', 'p:2', 'p:3'], count: 2,
          spans: [{ subject: 'p:1', firstMs: 0, lastMs: 3_000 }, { subject: 'p:2', firstMs: 1_000, lastMs: 4_400 }, { subject: 'p:3', firstMs: 4_000, lastMs: 4_400 }],
        },
      }]);
      expect([...rest.flatMap((f) => engine.push(f)), ...engine.finish(7_000)]).toStrictEqual([
        { type: 'violation_end', id, endMs: 6_000, subjects: ['p:1', 'p:2', 'p:3'], count: 2, spans: spansAtEnd },
      ]);
    });

    it('a failing answer after the episode ended: a closed violation with the episode\'s final subjects', () => {
      const { engine } = through(7_000);
      expect(engine.finish(7_000)).toStrictEqual([]);
      expect(engine.resolveVerify(request.id, answer('no'))).toStrictEqual([{
        type: 'violation',
        violation: {
          ...byModel, id, rule: 'behind-bar', kind: 'forbidden', subject: '*', startMs: 0, endMs: 6_000,
          message: 'person at behind-bar for 6 s, 2 at once: the model answered no (the model says no)',
          parts: { code: 'forbidden_answered', values: { what: lawn, durationMs: 6_000, answer: 'no', reason: 'the model says no', count: 2 } },
          subjects: ['p:1', 'p:2', 'p:3'], count: 2, spans: spansAtEnd,
        },
      }]);
    });

    const unsure: Array<[string, VerifyAnswer, string, object]> = [
      ['the model unsure', answer('unsure', { reason: 'too dark' }), 'the model was unsure: too dark', { code: 'model_unsure', values: { reason: 'too dark' } }],
      ['no model', answer('yes', { decidedBy: 'none', reason: 'budget spent' }), 'no model could answer: budget spent', { code: 'no_model', values: {} }],
    ];
    it.each(unsure)('%s: a review item with its reason as data and the episode\'s subjects', (_n, a, reason, reasonParts) => {
      const { engine } = through(7_000);
      engine.finish(7_000);
      expect(engine.resolveVerify(request.id, a)).toStrictEqual([{
        type: 'needs_review',
        item: {
          id: 'test-sop/behind-bar/needs_review/-/*/0', sop: 'test-sop', rule: 'behind-bar', cameraId: CAMERA, startMs: 0, endMs: 6_000,
          severity: 'medium', reason, reasonParts, question,
          answer: { answer: 'unsure', confidence: 0.8, reason: a.reason, decidedBy: a.decidedBy, evidence: ['kf-1'] },
          subjects: ['p:1', 'p:2', 'p:3'], count: 2, spans: spansAtEnd,
        },
      }]);
    });

    it('a single subject answered while in: count 1, no count in the parts', () => {
      const engine = createRuleEngine([sop([rule])], { cameraId: CAMERA });
      const alone = stream([{ from: 0, to: 5_000, obs: person('p:1', 'behind-bar') }], { to: 7_000 });
      const asked = split(alone.filter((f) => f.tMs <= 3_000).flatMap((f) => engine.push(f))).requests;
      expect(asked.map((q) => [q.subjects, q.facts.length])).toStrictEqual([[['p:1'], 2]]);
      expect(engine.resolveVerify(asked[0]?.id ?? '', answer('no'))).toStrictEqual([{
        type: 'violation',
        violation: {
          ...byModel, id, rule: 'behind-bar', kind: 'forbidden', subject: '*', startMs: 0, endMs: 3_000, ongoing: true,
          message: 'person at behind-bar for 3 s: the model answered no (the model says no)',
          parts: { code: 'forbidden_answered', values: { what: lawn, durationMs: 3_000, answer: 'no', reason: 'the model says no' } },
          subjects: ['p:1'], count: 1, spans: [{ subject: 'p:1', firstMs: 0, lastMs: 3_000 }],
        },
      }]);
      expect([...alone.filter((f) => f.tMs > 3_000).flatMap((f) => engine.push(f)), ...engine.finish(7_000)]).toStrictEqual([
        { type: 'violation_end', id, endMs: 5_000, subjects: ['p:1'], count: 1, spans: [{ subject: 'p:1', firstMs: 0, lastMs: 5_000 }] },
      ]);
    });
  });

  it('verify per subject: each question and violation names its own subject and span only', () => {
    const question = 'Is this person wearing a hair net?';
    const rule = forbiddenRule({ id: 'behind-bar', when: personIn('behind-bar'), forMs: 2_000, verify: { question, expect: 'yes', frames: 3, per: 'subject' } });
    const engine = createRuleEngine([sop([rule])], { cameraId: CAMERA });
    const verdicts = [...stream(trio, { to: 7_000 }).flatMap((f) => engine.push(f)), ...engine.finish(7_000)];
    const ask = (who: string, startMs: number) => ({
      type: 'pending_verify',
      request: {
        id: `test-sop/behind-bar/-/${who}/${startMs}`, sop: 'test-sop', rule: 'behind-bar', cameraId: CAMERA, subject: who, question,
        expect: 'yes', frames: 3, startMs, endMs: startMs + 2_000, severity: 'medium', failKind: 'forbidden',
        violationStartMs: startMs, violationEndMs: startMs + 2_000,
        facts: ['the detector saw person at behind-bar for 2 s', 'the rule: A forbidden rule'], subjects: [who],
      },
    });
    // p:3 was in for 1 s only: never asked about.
    expect(verdicts).toStrictEqual([ask('p:1', 0), ask('p:2', 1_000)]);
    const raised = split(verdicts).requests.flatMap((q) => engine.resolveVerify(q.id, answer('no')));
    const closed = (who: string, startMs: number, endMs: number, text: string) => ({
      type: 'violation',
      violation: {
        ...byModel, id: `test-sop/behind-bar/forbidden/-/${who}/${startMs}`, rule: 'behind-bar', kind: 'forbidden', subject: who, startMs, endMs,
        message: `person at behind-bar for ${text}: the model answered no (the model says no)`,
        parts: { code: 'forbidden_answered', values: { what: lawn, durationMs: endMs - startMs, answer: 'no', reason: 'the model says no' } },
        subjects: [who], count: 1, spans: [{ subject: who, firstMs: startMs, lastMs: endMs }],
      },
    });
    expect(raised).toStrictEqual([closed('p:1', 0, 3_000, '3 s'), closed('p:2', 1_000, 6_000, '5 s')]);
  });
});

describe('required: parts of a gap', () => {
  const rule = requiredRule({ id: 'register-staffed', when: personIn('register'), maxGapMs: 5_000 });
  const staffed = (from: number, to: number): Segment => ({ from, to, obs: person('p:1', 'register') });
  const what = { type: 'person_in', zone: 'register' };
  const id = 'test-sop/register-staffed/gap/-/*/1000';

  it('a gap still open when max_gap passes: gap_ongoing, then its end', () => {
    expect(run([rule], stream([staffed(0, 1_000), staffed(9_000, 10_000)])).verdicts).toStrictEqual([
      {
        type: 'violation',
        violation: {
          ...byDetector, id, rule: 'register-staffed', kind: 'gap', subject: '*', startMs: 1_000, endMs: 6_200, ongoing: true,
          message: 'person at register: not seen for more than 5 s, the longest gap the SOP allows',
          parts: { code: 'gap_ongoing', values: { what, maxGapMs: 5_000 } },
        },
      },
      { type: 'violation_end', id, endMs: 9_000 },
    ]);
  });

  it('a gap that closes in the frame it passes max_gap: gap, with its length', () => {
    expect(run([rule], stream([staffed(0, 1_000), staffed(6_200, 7_000)])).verdicts).toStrictEqual([{
      type: 'violation',
      violation: {
        ...byDetector, id, rule: 'register-staffed', kind: 'gap', subject: '*', startMs: 1_000, endMs: 6_200,
        message: 'person at register: not seen for 5.2 s, the SOP allows at most 5 s',
        parts: { code: 'gap', values: { what, durationMs: 5_200, maxGapMs: 5_000 } },
      },
    }]);
  });
});

describe('duration: parts of too_short, too_long and a cut-short episode', () => {
  const rule = durationRule({ id: 'handwash', when: handsIn('sink'), minMs: 5_000, maxMs: 10_000 });
  const hands = (from: number, to: number): Segment => ({ from, to, obs: hand('p:1', 'sink') });
  const what = { type: 'hands_in', zone: 'sink' };

  it('too_short', () => {
    expect(run([rule], stream([hands(1_000, 3_000)], { to: 5_000 })).verdicts).toStrictEqual([{
      type: 'violation',
      violation: {
        ...byDetector, id: 'test-sop/handwash/too_short/-/p:1/1000', rule: 'handwash', kind: 'too_short', subject: 'p:1', startMs: 1_000,
        endMs: 3_000, message: 'hands at sink for 2 s, the SOP asks at least 5 s',
        parts: { code: 'too_short', values: { what, durationMs: 2_000, minMs: 5_000 } },
      },
    }]);
  });

  it('too_long while it lasts, then its end', () => {
    const id = 'test-sop/handwash/too_long/-/p:1/0';
    expect(run([rule], stream([hands(0, 12_000)], { to: 14_000 })).verdicts).toStrictEqual([
      {
        type: 'violation',
        violation: {
          ...byDetector, id, rule: 'handwash', kind: 'too_long', subject: 'p:1', startMs: 0, endMs: 10_200, ongoing: true,
          message: 'hands at sink for longer than the 10 s the SOP allows',
          parts: { code: 'too_long_ongoing', values: { what, maxMs: 10_000 } },
        },
      },
      { type: 'violation_end', id, endMs: 12_000 },
    ]);
  });

  it('cut short by the end of the recording: a review item with its reason as data', () => {
    expect(run([rule], stream([hands(1_000, 3_000)], { to: 3_000 })).verdicts).toStrictEqual([{
      type: 'needs_review',
      item: {
        id: 'test-sop/handwash/needs_review/-/p:1/1000', sop: 'test-sop', rule: 'handwash', cameraId: CAMERA, startMs: 1_000, endMs: 3_000,
        severity: 'medium', reason: 'the recording ended during hands at sink (2 s so far); the SOP asks at least 5 s',
        reasonParts: { code: 'recording_ended_short', values: { what, durationMs: 2_000, minMs: 5_000 } },
      },
    }]);
  });
});

describe('sequence: parts of every outcome, with steps named by id, title and Chinese title', () => {
  const at = (zone: string, from: number, to: number): Segment => ({ from, to, obs: person('p:1', zone) });
  const hands = (from: number, to: number): Segment => ({ from, to, obs: hand('p:1', 'machine') });
  const grind = { id: 'grind', title: '', detect: personIn('grinder'), minMs: 3_000 };
  const tamp = { id: 'tamp', title: 'Tamp the coffee', detect: handsIn('machine'), minMs: 2_000 };
  const serve = { id: 'serve', title: 'Serve', titleZh: '出杯', detect: personIn('counter'), minMs: 2_000 };
  const service = sequenceRule({ id: 'service', trigger: personIn('grinder'), steps: [grind, tamp, serve], withinMs: 30_000 });
  const refs = {
    grind: { id: 'grind' }, tamp: { id: 'tamp', title: 'Tamp the coffee' }, serve: { id: 'serve', title: { en: 'Serve', 'zh-CN': '出杯' } },
  };
  const runOf = (endMs: number, outcome: string, steps: Array<[string, number, number]>) => ({
    type: 'run',
    run: {
      id: 'test-sop/service/run/-/p:1/0', sop: 'test-sop', rule: 'service', cameraId: CAMERA, subject: 'p:1', startMs: 0, endMs, outcome,
      steps: steps.map(([step, startMs, doneMs]) => ({ step, startMs, doneMs })),
    },
  });
  const detected = (kind: string, step: string, endMs: number, message: string, parts: object) => ({
    type: 'violation',
    violation: {
      ...byDetector, id: `test-sop/service/${kind}/${step}/p:1/0`, rule: 'service', kind, subject: 'p:1', step, startMs: 0, endMs, message, parts,
    },
  });

  it('missing_step, skipped while a later step was seen', () => {
    expect(run([service], stream([at('grinder', 0, 4_000), at('counter', 6_000, 35_000)])).verdicts).toStrictEqual([
      detected('missing_step', 'tamp', 30_000, 'Tamp the coffee: not seen, though Serve was (within 30 s)',
        { code: 'missing_step_skipped', values: { step: refs.tamp, later: refs.serve, withinMs: 30_000 } }),
      runOf(30_000, 'violation', [['grind', 0, 3_000], ['serve', 6_000, 8_000]]),
    ]);
  });

  it('timeout', () => {
    expect(run([service], stream([at('grinder', 0, 40_000), hands(5_000, 8_000)])).verdicts).toStrictEqual([
      detected('timeout', 'serve', 30_000, 'Serve: not seen within 30 s', { code: 'timeout', values: { step: refs.serve, withinMs: 30_000 } }),
      runOf(30_000, 'violation', [['grind', 0, 3_000], ['tamp', 5_000, 7_000]]),
    ]);
  });

  it('out_of_order: seen in the order of their starts, asked in the SOP\'s order', () => {
    expect(run([service], stream([at('grinder', 0, 4_000), at('counter', 5_000, 8_000), hands(9_000, 12_000)], { to: 25_000 })).verdicts).toStrictEqual([
      detected('out_of_order', 'serve', 12_000, 'steps out of order: seen grind, Serve, Tamp the coffee; the SOP asks grind, Tamp the coffee, Serve',
        { code: 'out_of_order', values: { seen: [refs.grind, refs.serve, refs.tamp], asked: [refs.grind, refs.tamp, refs.serve] } }),
      runOf(12_000, 'violation', [['grind', 0, 3_000], ['tamp', 9_000, 11_000], ['serve', 5_000, 7_000]]),
    ]);
  });

  it('missing_step after idle, one per unseen step', () => {
    expect(run([service], stream([at('grinder', 0, 4_000)], { to: 20_000 })).verdicts).toStrictEqual([
      detected('missing_step', 'tamp', 4_000, 'Tamp the coffee: not seen before the run ended (no activity for 10 s)',
        { code: 'missing_step_idle', values: { step: refs.tamp, idleMs: 10_000 } }),
      detected('missing_step', 'serve', 4_000, 'Serve: not seen before the run ended (no activity for 10 s)',
        { code: 'missing_step_idle', values: { step: refs.serve, idleMs: 10_000 } }),
      runOf(4_000, 'violation', [['grind', 0, 3_000]]),
    ]);
  });

  const cut = (endMs: number, reason: string, values: object) => ({
    type: 'needs_review',
    item: {
      id: 'test-sop/service/needs_review/-/p:1/0', sop: 'test-sop', rule: 'service', cameraId: CAMERA, startMs: 0, endMs, severity: 'medium',
      reason, reasonParts: { code: 'recording_ended_run', values },
    },
  });

  it('the recording ended with a step not seen yet', () => {
    expect(run([service], stream([at('grinder', 0, 4_000), hands(5_000, 8_000)], { to: 9_000 })).verdicts).toStrictEqual([
      cut(9_000, 'the recording ended 9 s into the run; not seen yet: Serve', { afterMs: 9_000, missing: [refs.serve], seen: [refs.grind, refs.tamp] }),
      runOf(9_000, 'needs_review', [['grind', 0, 3_000], ['tamp', 5_000, 7_000]]),
    ]);
  });

  it('the recording ended with every step seen, out of order', () => {
    const frames = stream([at('grinder', 0, 4_000), at('counter', 5_000, 8_000), hands(9_000, 12_000)], { to: 13_000 });
    expect(run([service], frames).verdicts).toStrictEqual([
      cut(13_000, 'the recording ended 13 s into the run; steps seen out of order so far: grind, Serve, Tamp the coffee',
        { afterMs: 13_000, missing: [], seen: [refs.grind, refs.serve, refs.tamp] }),
      runOf(13_000, 'needs_review', [['grind', 0, 3_000], ['tamp', 9_000, 11_000], ['serve', 5_000, 7_000]]),
    ]);
  });

  describe('a verified step', () => {
    const question = 'Is the barista tamping?';
    const verify = { question, expect: 'yes' as const, frames: 3 };
    const frames = stream([at('grinder', 0, 4_000), hands(5_000, 8_000), at('counter', 5_000, 8_000)], { to: 10_000 });
    const outcomes: Array<[string, VerifyAnswer]> = [
      ['no', answer('no', { reason: 'no tamper' })], ['unsure', answer('unsure', { reason: 'too dark' })],
      ['none', answer('yes', { decidedBy: 'none', reason: 'budget spent' })],
    ];
    const cases = outcomes.flatMap(([n, a]) => (['tamp', 'serve'] as const).map((s) => [n, s, a] as const));

    it.each(cases)('answer %s about %s', (n, s, a) => {
      const step = { ...(s === 'tamp' ? tamp : serve), verify };
      const rule = sequenceRule({ id: 'service', trigger: personIn('grinder'), steps: [grind, step], withinMs: 30_000 });
      const engine = createRuleEngine([sop([rule])], { cameraId: CAMERA });
      const verdicts = frames.flatMap((f) => engine.push(f));
      expect(verdicts.map((v) => v.type)).toStrictEqual(['pending_verify']);
      const ref = refs[s];
      const label = s === 'tamp' ? 'Tamp the coffee' : 'Serve';
      const where = { id: `test-sop/service/${n === 'no' ? 'verify_failed' : 'needs_review'}/${s}/p:1/5000`, rule: 'service', step: s, startMs: 5_000, endMs: 7_000 };
      const first: object = n === 'no'
        ? {
          type: 'violation',
          violation: {
            ...byModel, ...where, kind: 'verify_failed', subject: 'p:1', message: `${label}: the model answered no (no tamper)`,
            parts: { code: 'step_answered', values: { step: ref, answer: 'no', reason: 'no tamper' } },
          },
        }
        : {
          type: 'needs_review',
          item: {
            ...where, sop: 'test-sop', cameraId: CAMERA, severity: 'medium', question,
            answer: { answer: 'unsure', confidence: 0.8, reason: a.reason, decidedBy: a.decidedBy, evidence: ['kf-1'] },
            reason: n === 'unsure' ? `${label}: the model was unsure (too dark)` : `${label}: no model could answer (budget spent)`,
            reasonParts: n === 'unsure' ? { code: 'model_unsure', values: { step: ref, reason: 'too dark' } } : { code: 'no_model', values: { step: ref } },
          },
        };
      expect(engine.resolveVerify(split(verdicts).requests[0]?.id ?? '', a)).toStrictEqual([
        first, runOf(7_000, n === 'no' ? 'violation' : 'needs_review', [['grind', 0, 3_000], [s, 5_000, 7_000]]),
      ]);
    });
  });
});

describe('stepRef: a step as messages name it', () => {
  it.each([
    [{ id: 'wipe', title: '' }, { id: 'wipe' }],
    [{ id: 'wipe', title: 'Wipe the bench' }, { id: 'wipe', title: 'Wipe the bench' }],
    [{ id: 'wipe', title: 'Wipe the bench', titleZh: '擦台面' }, { id: 'wipe', title: { en: 'Wipe the bench', 'zh-CN': '擦台面' } }],
    // A Chinese title alone: English falls back to the id.
    [{ id: 'wipe', title: '', titleZh: '擦台面' }, { id: 'wipe', title: { en: 'wipe', 'zh-CN': '擦台面' } }],
  ])('%j', (step, ref) => {
    expect(stepRef(step)).toStrictEqual(ref);
  });
});
