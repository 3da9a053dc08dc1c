// Properties of the engine over random streams: it never throws, its verdicts stay consistent, and time shifts.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { FrameObservations, Observation, Verdict, VerifyAnswer } from '../../services/core/contracts.ts';
import type { Condition, Rule, Smoothing } from '../../services/rules/compiled.ts';
import { createRuleEngine } from '../../services/rules/engine.ts';
import { CAMERA, durationRule, forbiddenRule, requiredRule, sequenceRule, sop } from './engine-fixtures.ts';

const zones = ['a', 'b', '*'] as const;
const subjects = ['p:1', 'p:2', 'p:3', 'h:1', 'o:1', 'o:2'] as const;

const observation: fc.Arbitrary<Observation> = fc.record({
  kind: fc.constantFrom('person', 'hand', 'object'),
  label: fc.constantFrom('person', 'hand', 'cup', 'cell phone'),
  zone: fc.constantFrom(...zones),
  subject: fc.constantFrom(...subjects),
  score: fc.double({ min: 0, max: 1, noNaN: true }),
});

/** Frames built from lasting segments (so episodes are long enough to matter) plus per-frame noise. */
const frames: fc.Arbitrary<Array<{ dtMs: number; observations: Observation[] }>> = fc
  .record({
    steps: fc.array(fc.oneof(fc.constant(200), fc.integer({ min: -400, max: 4_000 })), { minLength: 1, maxLength: 120 }),
    segments: fc.array(fc.record({ obs: observation, from: fc.nat(119), length: fc.integer({ min: 1, max: 80 }) }), { maxLength: 8 }),
    noise: fc.array(fc.record({ obs: observation, at: fc.nat(119) }), { maxLength: 20 }),
  })
  .map(({ steps, segments, noise }) => steps.map((dtMs, i) => ({
    dtMs,
    observations: [
      ...segments.filter((s) => s.from <= i && i < s.from + s.length).map((s) => s.obs),
      ...noise.filter((n) => n.at === i).map((n) => n.obs),
    ],
  })));

const leaf: fc.Arbitrary<Condition> = fc.oneof(
  fc.constantFrom(...zones).map((zone): Condition => ({ type: 'person_in', zone })),
  fc.constantFrom(...zones).map((zone): Condition => ({ type: 'hands_in', zone })),
  fc.record({ label: fc.constantFrom('cup', 'cell phone', 'person'), zone: fc.constantFrom(...zones), min: fc.option(fc.double({ min: 0, max: 1, noNaN: true })) })
    .map(({ label, zone, min }): Condition => (min === null ? { type: 'object', label, zone } : { type: 'object', label, zone, minScore: min })),
  fc.record({ of: fc.constantFrom('person', 'cup'), zone: fc.constantFrom(...zones), gte: fc.nat(3) })
    .map(({ of, zone, gte }): Condition => ({ type: 'count', of, zone, gte })),
);
const condition: fc.Arbitrary<Condition> = fc.oneof(
  { weight: 3, arbitrary: leaf },
  { weight: 1, arbitrary: fc.array(leaf, { maxLength: 3 }).map((of): Condition => ({ type: 'all', of })) },
  { weight: 1, arbitrary: fc.array(leaf, { maxLength: 3 }).map((of): Condition => ({ type: 'any', of })) },
  { weight: 1, arbitrary: leaf.map((of): Condition => ({ type: 'not', of })) },
);
const smoothing: fc.Arbitrary<Smoothing> = fc.record({
  enterMs: fc.constantFrom(0, 200, 400, 1_000), exitMs: fc.constantFrom(0, 200, 600, 2_000),
});
const ms = fc.constantFrom(0, 200, 1_000, 3_000, 10_000, 30_000);
const verify = fc.option(fc.record({ question: fc.constant('Is it fine?'), expect: fc.constantFrom('yes' as const, 'no' as const), frames: fc.constant(3) }), { nil: undefined });

const rules = (withSchedule: boolean): fc.Arbitrary<Rule[]> => fc.tuple(
  fc.record({ when: condition, smoothing, minMs: fc.option(ms, { nil: undefined }), maxMs: fc.option(ms, { nil: undefined }) })
    .map((p) => durationRule({ id: 'duration', ...p })),
  fc.record({ when: condition, smoothing, forMs: ms, verify }).map((p) => forbiddenRule({ id: 'forbidden', ...p })),
  fc.record({
    when: condition, smoothing, maxGapMs: ms,
    schedule: withSchedule
      ? fc.option(fc.record({
        days: fc.subarray(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const),
        fromMin: fc.integer({ min: 0, max: 1_439 }), toMin: fc.integer({ min: 0, max: 1_440 }),
        tz: fc.constantFrom('Asia/Shanghai', 'America/New_York', 'UTC', 'Australia/Lord_Howe'),
      }), { nil: undefined })
      : fc.constant(undefined),
  }).map((p) => requiredRule({ id: 'required', ...p })),
  fc.record({
    trigger: condition, smoothing, withinMs: ms, order: fc.constantFrom('strict' as const, 'any' as const), idleMs: ms,
    steps: fc.array(fc.record({ id: fc.constantFrom('s1', 's2', 's3'), detect: condition, minMs: ms, verify }), { minLength: 1, maxLength: 3 }),
  }).map((p) => sequenceRule({
    id: 'sequence', ...p, steps: p.steps.map((s, i) => ({ ...s, id: `${s.id}-${i}` })),
  })),
).map((list): Rule[] => list);

const answers: fc.Arbitrary<VerifyAnswer[]> = fc.array(fc.oneof(
  fc.record({
    answer: fc.constantFrom('yes' as const, 'no' as const, 'unsure' as const), confidence: fc.double({ min: 0, max: 1, noNaN: true }),
    reason: fc.constantFrom('seen', ''), decidedBy: fc.constantFrom('vlm:a/b', 'none'), evidence: fc.constant(['k1']),
  }).map((a): VerifyAnswer => ({ ...a, evidence: [...a.evidence] })),
  fc.constant({ answer: 'maybe' } as unknown as VerifyAnswer),
), { minLength: 1, maxLength: 5 });

/** Feeds the stream, finishes it, then answers every question in the order asked. */
function play(ruleList: Rule[], stream: FrameObservations[], endMs: number, replies: VerifyAnswer[], clockOriginMs?: number): Verdict[] {
  const engine = createRuleEngine([sop(ruleList)], clockOriginMs === undefined ? { cameraId: CAMERA } : { cameraId: CAMERA, clockOriginMs });
  const out = stream.flatMap((f) => engine.push(f));
  out.push(...engine.finish(endMs));
  for (let i = 0; i < out.length; i++) {
    const v = out[i];
    if (v?.type === 'pending_verify') out.push(...engine.resolveVerify(v.request.id, replies[i % replies.length] as VerifyAnswer));
  }
  return out;
}

function build(start: number, steps: Array<{ dtMs: number; observations: Observation[] }>): FrameObservations[] {
  let t = start;
  return steps.map((s, i) => {
    t += s.dtMs;
    return { cameraId: CAMERA, frameIndex: i, tMs: t, observations: s.observations };
  });
}

function checkConsistent(verdicts: Verdict[]): void {
  const ongoing = new Map<string, number>();
  const ids = new Set<string>();
  for (const v of verdicts) {
    if (v.type === 'violation') {
      expect(ids.has(v.violation.id)).toBe(false);
      ids.add(v.violation.id);
      expect(v.violation.startMs).toBeLessThanOrEqual(v.violation.endMs);
      if (v.violation.ongoing === true) ongoing.set(v.violation.id, v.violation.startMs);
    } else if (v.type === 'violation_end') {
      const start = ongoing.get(v.id);
      expect(start).toBeDefined();
      expect(v.endMs).toBeGreaterThanOrEqual(start ?? 0);
      ongoing.delete(v.id);
    } else if (v.type === 'needs_review') {
      expect(v.item.startMs).toBeLessThanOrEqual(v.item.endMs);
    } else if (v.type === 'run') {
      expect(v.run.startMs).toBeLessThanOrEqual(v.run.endMs);
    }
  }
  // Everything that was ongoing has ended once the stream is finished and every question answered.
  expect([...ongoing.keys()]).toEqual([]);
}

// Every time the engine writes: a violation's span, a run's steps, and an episode's subjects (first in, last out).
const TIME_KEYS = new Set(['startMs', 'endMs', 'doneMs', 'violationStartMs', 'violationEndMs', 'firstMs', 'lastMs']);

/** Moves every time in a verdict (including the start at the end of ids) back by `shiftMs`. */
function unshift(value: unknown, shiftMs: number): unknown {
  if (Array.isArray(value)) return value.map((x) => unshift(x, shiftMs));
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(Object.entries(value).map(([k, x]) => {
    if (TIME_KEYS.has(k) && typeof x === 'number') return [k, x - shiftMs];
    if (k === 'id' && typeof x === 'string') return [k, x.replace(/\/(-?\d+)$/, (_m, n: string) => `/${Number(n) - shiftMs}`)];
    return [k, unshift(x, shiftMs)];
  }));
}

/**
 * The smoothing, computed offline on a whole 5 fps stream: maximal true stretches; an episode opens on a
 * stretch lasting enterMs and absorbs the next stretches while the false run between them is shorter than
 * exitMs. Also returns the start of a final stretch still waiting for enterMs when the stream ended.
 */
function offlineEpisodes(raw: boolean[], enterMs: number, exitMs: number, endMs: number) {
  const stretches: Array<[number, number]> = [];
  raw.forEach((v, i) => {
    const last = stretches.at(-1);
    if (v && last !== undefined && last[1] === (i - 1) * 200) last[1] = i * 200;
    else if (v) stretches.push([i * 200, i * 200]);
  });
  const episodes: Array<{ start: number; end: number; truncated: boolean }> = [];
  let waitingFrom: number | undefined;
  for (const [from, to] of stretches) {
    const open = episodes.at(-1);
    const falseFrames = open === undefined ? 0 : (from - open.end) / 200 - 1;
    waitingFrom = undefined;
    if (open !== undefined && open.truncated && (falseFrames - 1) * 200 < exitMs) {
      open.end = to;
    } else if (to - from >= enterMs) {
      if (open !== undefined) open.truncated = false;
      episodes.push({ start: from, end: to, truncated: true });
    } else if (to === (raw.length - 1) * 200) {
      waitingFrom = from;
    }
  }
  const last = episodes.at(-1);
  // The last episode's end was seen if a false frame followed it and the stream went on for exitMs after it.
  if (last !== undefined) last.truncated = !(last.end + 200 <= (raw.length - 1) * 200 && endMs - (last.end + 200) >= exitMs);
  return { episodes, waitingFrom };
}

describe('engine properties', () => {
  it('never throws on a random stream, and its verdicts stay consistent', () => {
    fc.assert(fc.property(
      rules(true), frames, answers, fc.integer({ min: -1e6, max: 1e6 }), fc.integer({ min: 0, max: 5_000 }),
      fc.option(fc.integer({ min: 1.6e12, max: 1.9e12 }), { nil: undefined }),
      (ruleList, steps, replies, start, tail, origin) => {
        const stream = build(start, steps);
        const last = Math.max(...stream.map((f) => f.tMs));
        checkConsistent(play(ruleList, stream, last + tail, replies, origin));
      },
    ), { numRuns: 300 });
  });

  it('shifting every time by a constant shifts every verdict by it and changes nothing else', () => {
    fc.assert(fc.property(
      rules(false), frames, answers, fc.integer({ min: 0, max: 1e6 }), fc.integer({ min: -1e12, max: 1e12 }),
      (ruleList, steps, replies, start, shiftMs) => {
        const stream = build(start, steps);
        const endMs = Math.max(...stream.map((f) => f.tMs)) + 1_000;
        const base = play(ruleList, stream, endMs, replies);
        const moved = play(ruleList, stream.map((f) => ({ ...f, tMs: f.tMs + shiftMs })), endMs + shiftMs, replies);
        expect(unshift(moved, shiftMs)).toEqual(base);
      },
    ), { numRuns: 200 });
  });

  it('sequence outcomes match a simple model of one person visiting two step zones', () => {
    const outcomes = new Set<string>();
    const visit = fc.record({ zone: fc.constantFrom('a' as const, 'b' as const), len: fc.nat(30), gap: fc.integer({ min: 2, max: 20 }) });
    fc.assert(fc.property(
      fc.array(visit, { maxLength: 4 }), fc.nat(20), fc.nat(20), fc.constantFrom('strict' as const, 'any' as const),
      (visits, ma, mb, order) => {
        const min = { a: ma * 200, b: mb * 200 };
        const segments = [{ from: 0, to: 1_000, zone: 't' }];
        let cursor = 1_000;
        for (const v of visits) {
          cursor += v.gap * 200;
          segments.push({ from: cursor, to: cursor + v.len * 200, zone: v.zone });
          cursor += v.len * 200;
        }
        const holds = (zone: 'a' | 'b') => segments.filter((s) => s.zone === zone && s.to - s.from >= min[zone])
          .map((s) => ({ start: s.from, done: s.from + min[zone] }));
        const [a, b] = [holds('a'), holds('b')];
        const first = a[0];
        const second = order === 'strict' ? b.find((h) => first !== undefined && h.start >= first.start) : b[0];
        const expected = first !== undefined && second !== undefined
          ? { outcome: 'completed', endMs: Math.max(first.done, second.done), kinds: [] as string[] }
          : {
            outcome: 'violation', endMs: cursor,
            kinds: a.length > 0 && b.length > 0 ? ['out_of_order'] : [...(a.length === 0 ? ['missing_step'] : []), ...(b.length === 0 ? ['missing_step'] : [])],
          };
        const rule = sequenceRule({
          id: 'model', trigger: { type: 'person_in', zone: 't' }, order, withinMs: 10_000_000,
          steps: [{ id: 's1', detect: { type: 'person_in', zone: 'a' }, minMs: min.a }, { id: 's2', detect: { type: 'person_in', zone: 'b' }, minMs: min.b }],
        });
        const stream: FrameObservations[] = [];
        for (let t = 0, i = 0; t <= cursor + 12_000; t += 200, i++) {
          const here = segments.filter((s) => s.from <= t && t <= s.to);
          stream.push({ cameraId: CAMERA, frameIndex: i, tMs: t, observations: here.map((s) => ({ kind: 'person', label: 'person', zone: s.zone, subject: 'p:1', score: 1 })) });
        }
        const out = play([rule], stream, cursor + 12_000, []);
        const runs = out.flatMap((v) => (v.type === 'run' ? [v.run] : []));
        expect(runs.map((r) => [r.outcome, r.endMs])).toEqual([[expected.outcome, expected.endMs]]);
        expect(out.flatMap((v) => (v.type === 'violation' ? [v.violation.kind] : []))).toEqual(expected.kinds);
        outcomes.add(expected.kinds[0] ?? expected.outcome);
      },
    ), { numRuns: 300, seed: 7 });
    expect([...outcomes].sort()).toEqual(['completed', 'missing_step', 'out_of_order']);
  });

  it('duration verdicts match an offline model of the smoothing', () => {
    fc.assert(fc.property(
      fc.array(fc.boolean(), { minLength: 1, maxLength: 150 }), fc.nat(5), fc.nat(5), fc.nat(40), fc.nat(60), fc.nat(10),
      (raw, enter, exit, min, max, tail) => {
        const [enterMs, exitMs, minMs, maxMs] = [enter * 200, exit * 200, min * 200, max * 200];
        const endMs = (raw.length - 1) * 200 + tail * 200;
        const { episodes } = offlineEpisodes(raw, enterMs, exitMs, endMs);
        const expected = episodes.flatMap((e) => {
          const d = e.end - e.start;
          return [
            ...(d > maxMs ? [['too_long', e.start, e.end]] : []),
            ...(d < minMs ? [[e.truncated ? 'review' : 'too_short', e.start, e.end]] : []),
          ];
        });
        const stream = raw.map((v, i): FrameObservations => ({
          cameraId: CAMERA, frameIndex: i, tMs: i * 200,
          observations: v ? [{ kind: 'hand', label: 'hand', zone: 'sink', subject: 'p:1', score: 1 }] : [],
        }));
        const rule = durationRule({ id: 'model', when: { type: 'hands_in', zone: 'sink' }, minMs, maxMs, smoothing: { enterMs, exitMs } });
        const out = play([rule], stream, endMs, []);
        const ends = new Map(out.flatMap((v) => (v.type === 'violation_end' ? [[v.id, v.endMs] as const] : [])));
        const got = out.flatMap((v) => {
          if (v.type === 'violation') return [[v.violation.kind, v.violation.startMs, ends.get(v.violation.id) ?? v.violation.endMs]];
          if (v.type === 'needs_review') return [['review', v.item.startMs, v.item.endMs]];
          return [];
        });
        expect(got).toEqual(expected);
      },
    ), { numRuns: 400 });
  });

  it('required gaps match an offline model of the smoothing', () => {
    fc.assert(fc.property(
      fc.array(fc.boolean(), { minLength: 1, maxLength: 150 }), fc.nat(5), fc.nat(5), fc.nat(40), fc.nat(10),
      (raw, enter, exit, gap, tail) => {
        const [enterMs, exitMs, maxGapMs] = [enter * 200, exit * 200, gap * 200];
        const endMs = (raw.length - 1) * 200 + tail * 200;
        const { episodes, waitingFrom } = offlineEpisodes(raw, enterMs, exitMs, endMs);
        // Gaps lie between episodes (last true frame to next first true frame), from the first frame and up to
        // the end; a final stretch still waiting for enterMs closes the last gap where it began.
        const spans: Array<[number, number]> = [];
        let from = 0;
        for (const e of episodes) {
          spans.push([from, e.start]);
          from = e.end;
        }
        spans.push([from, waitingFrom ?? endMs]);
        const expected = spans.filter(([a, b]) => b - a > maxGapMs);
        const stream = raw.map((v, i): FrameObservations => ({
          cameraId: CAMERA, frameIndex: i, tMs: i * 200,
          observations: v ? [{ kind: 'object', label: 'cup', zone: 'pass', subject: 'o:1', score: 1 }] : [],
        }));
        const rule = requiredRule({ id: 'model', when: { type: 'object', label: 'cup', zone: 'pass' }, maxGapMs, smoothing: { enterMs, exitMs } });
        const out = play([rule], stream, endMs, []);
        const ends = new Map(out.flatMap((v) => (v.type === 'violation_end' ? [[v.id, v.endMs] as const] : [])));
        const got = out.flatMap((v) => (v.type === 'violation' ? [[v.violation.startMs, ends.get(v.violation.id) ?? v.violation.endMs]] : []));
        expect(got).toEqual(expected);
      },
    ), { numRuns: 400 });
  });

  it('the random streams do exercise every kind of verdict', () => {
    const seen = new Set<string>();
    fc.assert(fc.property(rules(false), frames, answers, (ruleList, steps, replies) => {
      for (const v of play(ruleList, build(0, steps), 1e6, replies)) {
        seen.add(v.type === 'violation' ? v.violation.kind : v.type);
      }
    }), { numRuns: 1_000, seed: 42 });
    expect([...seen].sort()).toEqual([
      'forbidden', 'gap', 'missing_step', 'needs_review', 'pending_verify', 'run', 'timeout',
      'too_long', 'too_short', 'verify_failed', 'violation_end',
    ]);
  });
});
