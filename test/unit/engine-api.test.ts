// The engine's surface: which SOPs and zones apply to a camera, enabled/shadow, and robustness to bad input.
import { describe, expect, it } from 'vitest';
import type { FrameObservations, Verdict } from '../../services/core/contracts.ts';
import { InputError } from '../../services/core/errors.ts';
import { createRuleEngine, sopsForCamera } from '../../services/rules/engine.ts';
import {
  CAMERA, durationRule, forbiddenRule, hand, handsIn, objectIn, person, personIn, requiredRule, run, sequenceRule, sop,
  stream, thing,
} from './engine-fixtures.ts';

const square = [[0, 0], [1, 0], [1, 1]] as const;

const everyKind = (over: { enabled?: boolean; shadow?: boolean } = {}) => [
  durationRule({ id: 'wash', when: handsIn('sink'), minMs: 20_000, ...over }),
  forbiddenRule({ id: 'phone', when: objectIn('cell phone'), forMs: 1_000, ...over }),
  requiredRule({ id: 'staffed', when: personIn('register'), maxGapMs: 5_000, ...over }),
  sequenceRule({ id: 'shot', trigger: personIn('grinder'), steps: [{ id: 'tamp', detect: handsIn('machine'), minMs: 2_000 }], ...over }),
];
const busy = stream([
  { from: 0, to: 4_000, obs: [...hand('p:1', 'sink'), ...thing('cell phone', 'bar'), ...person('p:2', 'grinder')] },
  { from: 12_000, to: 13_000, obs: person('p:3', 'register') },
], { to: 30_000 });

describe('which SOPs and zones apply', () => {
  const sops = [
    sop([], { id: 'a', cameras: ['bar-1'] }), sop([], { id: 'b', cameras: ['kitchen'] }),
    sop([], { id: 'c', cameras: ['*'] }), sop([], { id: 'd', cameras: ['espresso', 'bar-9'] }),
  ];
  it.each<[string, string[], string[]]>([
    ['bar-1', [], ['a', 'c']],
    ['bar-2', [], ['c']],
    ['bar-2', ['espresso'], ['c', 'd']],
    ['kitchen', ['espresso'], ['b', 'c', 'd']],
  ])('camera %s with tags %j gets %j', (camera, tags, ids) => {
    expect(sopsForCamera(sops, camera, tags).map((s) => s.id)).toEqual(ids);
  });

  it('zonesFor prefers the camera key, then a tag, then *', () => {
    const zones = { [CAMERA]: { sink: square }, espresso: { machine: square }, '*': { door: square } };
    const s = sop([], { zones, cameras: ['*'] });
    expect(Object.keys(createRuleEngine([s], { cameraId: CAMERA }).zonesFor(s))).toEqual(['sink']);
    expect(Object.keys(createRuleEngine([s], { cameraId: 'x', cameraTags: ['espresso'] }).zonesFor(s))).toEqual(['machine']);
    expect(Object.keys(createRuleEngine([s], { cameraId: 'x' }).zonesFor(s))).toEqual(['door']);
    expect(createRuleEngine([s], { cameraId: 'x' }).zonesFor(sop([], { zones: { other: { a: square } } }))).toEqual({});
  });

  it('a SOP for another camera never runs', () => {
    expect(run([sop(everyKind(), { cameras: ['kitchen'] })], busy).verdicts).toEqual([]);
  });
});

describe('enabled and shadow', () => {
  it('the stream raises something for every kind when enabled', () => {
    const kinds = new Set(run(everyKind(), busy).verdicts.flatMap((v) => (v.type === 'violation' ? [v.violation.rule] : [])));
    expect([...kinds].sort()).toEqual(['phone', 'shot', 'staffed', 'wash']);
  });

  it('enabled: false rules never run', () => {
    expect(run(everyKind({ enabled: false }), busy).verdicts).toEqual([]);
  });

  it('shadow rules give the same verdicts, marked shadow', () => {
    const live = run(everyKind(), busy).verdicts;
    const shadow = run(everyKind({ shadow: true }), busy).verdicts;
    expect(shadow.length).toBe(live.length);
    expect(shadow.every((v) => v.type !== 'violation' || v.violation.shadow === true)).toBe(true);
    const unmark = (v: Verdict): Verdict => {
      if (v.type !== 'violation') return v;
      const { shadow: _s, ...rest } = v.violation;
      return { type: 'violation', violation: rest };
    };
    expect(shadow.map(unmark)).toEqual(live);
  });
});

describe('robustness', () => {
  const rules = everyKind();
  const baseline = run(rules, busy).verdicts;

  it('a frame older than the last one is ignored', () => {
    const engine = createRuleEngine([sop(rules)], { cameraId: CAMERA });
    const late: FrameObservations = { cameraId: CAMERA, frameIndex: 999, tMs: 1_000, observations: person('p:7', 'register') };
    const out: Verdict[] = [];
    for (const f of busy) {
      out.push(...engine.push(f));
      if (f.tMs === 8_000) {
        expect(engine.push(late)).toEqual([]);
        expect(engine.push({ ...f, observations: person('p:8', 'register') })).toEqual([]); // same time: not newer
      }
    }
    out.push(...engine.finish(30_000));
    expect(out).toEqual(baseline);
  });

  it('bad frames are ignored, never thrown on', () => {
    const engine = createRuleEngine([sop(rules)], { cameraId: CAMERA });
    const junk = [null, undefined, {}, { tMs: Number.NaN }, { tMs: Number.POSITIVE_INFINITY }, { tMs: '5' },
      { tMs: 100, observations: 'nope' }, { tMs: 200, observations: [null, 1, { kind: 'person' }] }] as unknown as FrameObservations[];
    for (const f of junk) expect(() => engine.push(f)).not.toThrow();
    expect(() => engine.finish(Number.NaN)).not.toThrow();
  });

  it('the order of observations inside a frame changes nothing', () => {
    const reversed = busy.map((f) => ({ ...f, observations: [...f.observations].reverse() }));
    expect(run(rules, reversed).verdicts).toEqual(baseline);
  });

  it('push after finish and a second finish give nothing', () => {
    const engine = createRuleEngine([sop(rules)], { cameraId: CAMERA });
    engine.finish(0);
    expect(busy.flatMap((f) => engine.push(f))).toEqual([]);
    expect(engine.finish(30_000)).toEqual([]);
  });

  it('finish before the last frame is taken as the last frame', () => {
    const r = run([requiredRule({ id: 'staffed', when: personIn('register'), maxGapMs: 5_000 })], stream([], { to: 10_000 }), { endMs: 2_000 });
    expect(r.ends.map((e) => e.endMs)).toEqual([10_000]);
  });

  it('verdicts follow SOP and rule order', () => {
    const two = [sop([everyKind()[1]!], { id: 'first' }), sop([everyKind()[0]!], { id: 'second' })];
    const ids = run(two, busy).violations.map((v) => v.sop);
    expect(ids).toEqual(['first', 'second']);
  });

  it('an unknown time zone is refused when the engine is made, naming the file and rule', () => {
    const bad = requiredRule({ id: 'night', when: personIn('door'), maxGapMs: 1, schedule: { days: ['mon'], fromMin: 0, toMin: 60, tz: 'Nowhere/Here' } });
    expect(() => createRuleEngine([sop([bad])], { cameraId: CAMERA, clockOriginMs: 0 }))
      .toThrow(InputError);
    expect(() => createRuleEngine([sop([bad])], { cameraId: CAMERA, clockOriginMs: 0 }))
      .toThrow('sop-rules/test-sop.yaml: rule "night" cannot run: unknown time zone "Nowhere/Here"');
  });
});
