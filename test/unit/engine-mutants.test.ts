// Rule engine cases that hand-made and StrykerJS mutations (npm run mutation:rules) showed no test held.
import { describe, expect, it } from 'vitest';
import { createRuleEngine } from '../../services/rules/engine.ts';
import { answer, CAMERA, forbiddenRule, objectIn, sop, split, stream, thing, type Segment } from './engine-fixtures.ts';

const phone = (from: number, to: number): Segment => ({ from, to, obs: thing('cell phone', 'machine') });
const verify = { question: 'Is anyone using a phone at the machine?', expect: 'no' as const, frames: 3 };
const rule = forbiddenRule({
  id: 'phone-at-bar', when: objectIn('cell phone', 'machine'), forMs: 3_000, severity: 'high', smoothing: { enterMs: 0, exitMs: 600 }, verify,
});

describe('forbidden with verify: a late answer belongs to its own episode', () => {
  it('an answer arriving after a second episode of the same subject ended keeps the first episode\'s span', () => {
    const engine = createRuleEngine([sop([rule])], { cameraId: CAMERA });
    const verdicts = stream([phone(0, 5_000), phone(10_000, 14_000)], { to: 16_000 }).flatMap((f) => engine.push(f));
    const requests = split(verdicts).requests;
    expect(requests.map((r) => [r.subject, r.startMs])).toEqual([['*', 0], ['*', 10_000]]);
    const first = split(engine.resolveVerify(requests[0]?.id ?? '', answer('yes'))).violations;
    expect(first.map((v) => [v.startMs, v.endMs, v.ongoing])).toEqual([[0, 5_000, undefined]]);
    const second = split(engine.resolveVerify(requests[1]?.id ?? '', answer('yes'))).violations;
    expect(second.map((v) => [v.startMs, v.endMs, v.ongoing])).toEqual([[10_000, 14_000, undefined]]);
  });
});
