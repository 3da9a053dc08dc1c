// One question per episode: four people in a forbidden zone with a scene question make one model call (counted at the
// loopback double), and the answer raises one violation listing all four.
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createVlmAgent, type Keyframe } from '../../services/agent/index.ts';
import { configFromObject } from '../../services/core/config.ts';
import type { Verdict, VerifyRequest } from '../../services/core/contracts.ts';
import { createRuleEngine } from '../../services/rules/engine.ts';
import { startOpenAiDouble, type OpenAiDouble } from '../doubles/openai-server.ts';
import { CAMERA, forbiddenRule, person, personIn, sop, split, stream } from '../unit/engine-fixtures.ts';
import { optInLoopback } from '../doubles/outbound.ts';

// The model double listens on 127.0.0.1: opt in to loopback as an operator would for a local model.
optInLoopback();

let double: OpenAiDouble;
let jpeg: Buffer;

beforeAll(async () => {
  double = await startOpenAiDouble({ name: 'scene', script: [{ kind: 'answer', answer: 'no', reason: 'frame 2: two of the four have bare hands' }] });
  jpeg = await sharp({ create: { width: 64, height: 48, channels: 3, background: { r: 90, g: 90, b: 90 } } }).jpeg().toBuffer();
});
afterAll(async () => double.close());

describe('a scene question over four people', () => {
  it('is one call, and one violation listing the four', async () => {
    const rule = forbiddenRule({
      id: 'gloves', when: personIn('prep'), forMs: 1_000,
      verify: { question: 'Is every person in view wearing gloves on both hands?', expect: 'yes', frames: 3 },
    });
    const engine = createRuleEngine([sop([rule])], { cameraId: CAMERA });
    const people = ['p:1', 'p:2', 'p:3', 'p:4'].map((p, i) => ({ from: i * 200, to: 4_000, obs: person(p, 'prep') }));
    const verdicts: Verdict[] = stream(people, { to: 4_000 }).flatMap((f) => engine.push(f));
    verdicts.push(...engine.finish(4_000));
    const requests: VerifyRequest[] = split(verdicts).requests;
    expect(requests).toHaveLength(1);

    const agent = createVlmAgent(configFromObject({ vlm: { providers: [{ id: 'scene', baseUrl: double.url, model: 'm', timeoutMs: 5_000 }] } }).vlm, { log: () => undefined });
    const before = double.log.length;
    const raised: Verdict[] = [];
    for (const request of requests) {
      const keyframes: Keyframe[] = [0, 1, 2].map((i) => ({ id: `${request.id}#${i + 1}`, tMs: request.startMs + i * 400, jpeg }));
      raised.push(...engine.resolveVerify(request.id, await agent.verify({ request, keyframes })));
    }
    expect(double.log.length - before).toBe(1);
    expect(double.log.at(-1)?.text).toContain('the detector saw 4 subjects at once');
    const violations = split(raised).violations;
    expect(violations).toHaveLength(1);
    expect(violations[0]).toMatchObject({ subjects: ['p:1', 'p:2', 'p:3', 'p:4'], count: 4, startMs: 0, endMs: 4_000, decidedBy: 'vlm:scene/m' });
  });
});
