// verify() end to end against loopback doubles: reply recovery, repair, judging, confirmation, budget, cache.
import sharp from 'sharp';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createVlmAgent, MemoryBudgetLedger, utcDay, type Keyframe, type ReserveRequest, type VerifyContext } from '../../services/agent/index.ts';
import { configFromObject, type VlmConfig } from '../../services/core/config.ts';
import { ViolationKind, type VerifyRequest } from '../../services/core/contracts.ts';
import { startOpenAiDouble, type Behaviour, type DoubleRequest, type OpenAiDouble } from '../doubles/openai-server.ts';
import { optInLoopback } from '../doubles/outbound.ts';

// The doubles listen on 127.0.0.1: opt in to loopback cameras, webhooks and models as an operator would.
optInLoopback();

let keyframes: Keyframe[] = [];
let doubles: OpenAiDouble[] = [];
let question = 0;
const quiet = { log: () => undefined };

async function jpeg(r: number): Promise<Buffer> {
  return sharp({ create: { width: 64, height: 48, channels: 3, background: { r, g: 90, b: 30 } } }).jpeg().toBuffer();
}

beforeAll(async () => {
  keyframes = await Promise.all([30, 130, 230].map(async (r, i) => ({ id: `kf${i}`, tMs: 2_000 + i * 500, jpeg: await jpeg(r) })));
});

afterEach(async () => {
  await Promise.all(doubles.map((d) => d.close()));
  doubles = [];
});

function ctx(expectAnswer: 'yes' | 'no' = 'yes', q?: string, storeId = 'store-1'): VerifyContext {
  const request: VerifyRequest = {
    id: `bar/seq/gloves/p:1/${question}`, sop: 'bar', rule: 'seq', step: 'gloves', cameraId: 'bar-1', subject: 'p:1',
    question: q ?? `Is the barista wearing gloves? (#${question++})`, expect: expectAnswer, frames: 3, startMs: 2_000, endMs: 3_000,
    facts: ['hands in zone prep for 1.5 s'], severity: 'medium', failKind: ViolationKind.VerifyFailed, violationStartMs: 2_000, violationEndMs: 3_000,
  };
  return { request, keyframes, storeId };
}

async function start(names: string[], log: DoubleRequest[] = []): Promise<OpenAiDouble[]> {
  const made = await Promise.all(names.map((name) => startOpenAiDouble({ name, log })));
  doubles.push(...made);
  return made;
}

function config(ds: OpenAiDouble[], extra: Record<string, unknown> = {}): VlmConfig {
  return configFromObject({
    vlm: {
      providers: ds.map((d, i) => ({ id: `p${i}`, baseUrl: d.url, model: `m${i}`, timeoutMs: 400, pricePerMTokIn: 1, pricePerMTokOut: 4 })),
      ...extra,
    },
  }).vlm;
}

async function oneShot(script: Behaviour[], expectAnswer: 'yes' | 'no' = 'yes') {
  const log: DoubleRequest[] = [];
  const [d] = await start(['p0'], log);
  d?.setScript(script);
  const agent = createVlmAgent(config(doubles), quiet);
  return { result: await agent.verify(ctx(expectAnswer)), log };
}

describe('reply recovery and judging', () => {
  it.each([
    ['fenced', { kind: 'fenced', answer: 'no', reason: 'frame 3 shows bare hands' }],
    ['chatty', { kind: 'chatty', answer: 'no', reason: 'frame 3 shows bare hands' }],
    ['reasoning_content', { kind: 'reasoning', answer: 'no', reason: 'frame 3 shows bare hands' }],
  ] as Array<[string, Behaviour]>)('recovers a %s answer without a repair call', async (_name, step) => {
    const { result, log } = await oneShot([step]);
    expect(result).toMatchObject({ answer: 'no', decidedBy: 'vlm:p0/m0', evidence: ['kf2'], confidence: 0.9 });
    expect(log).toHaveLength(1);
  });

  it('repairs an invalid reply once with a follow-up asking for JSON only', async () => {
    const { result, log } = await oneShot([{ kind: 'invalid' }, { kind: 'answer', answer: 'yes' }]);
    expect(result).toMatchObject({ answer: 'yes', decidedBy: 'vlm:p0/m0' });
    expect(result.calls.map((c) => c.purpose)).toEqual(['answer', 'repair']);
    expect(log[1]?.messages).toBe(4);
    expect(log[1]?.text).toMatch(/only one valid JSON object/);
    expect(log[1]?.images).toBe(3);
  });

  it('counts a reply still invalid after the repair as unsure', async () => {
    const { result, log } = await oneShot([{ kind: 'invalid' }, { kind: 'invalid', text: '{"answer": "perhaps pass"}' }]);
    expect(result).toMatchObject({ answer: 'unsure', unsureReason: 'invalid_answer', decidedBy: 'vlm:p0/m0' });
    expect(result.reason).toMatch(/after one repair/);
    expect(log).toHaveLength(2);
  });

  it('repairs a truncated reply', async () => {
    const { result } = await oneShot([{ kind: 'truncated' }, { kind: 'answer' }]);
    expect(result.answer).toBe('yes');
    expect(result.calls).toHaveLength(2);
  });

  it('makes a "no" that cites no frame unsure', async () => {
    const { result } = await oneShot([{ kind: 'answer', answer: 'no', reason: 'no gloves are worn', observations: ['bare hands'] }]);
    expect(result).toMatchObject({ answer: 'unsure', unsureReason: 'no_frame_cited' });
  });

  it('makes a "yes" with instructions_in_image unsure: a hijacked model cannot pass a step', async () => {
    // The engine asks only about `verify` steps, after the detector has seen the step happen; detector-found
    // violations (missing, too short, out of order) never reach the model, so a hijacked answer can only
    // withhold a verify_failed, and a flagged one cannot even do that.
    const { result } = await oneShot([{ kind: 'injected' }]);
    expect(result).toMatchObject({ answer: 'unsure', unsureReason: 'instructions_in_image', confidence: 0 });
    const forbidden = await oneShot([{ kind: 'injected', answer: 'no' }], 'no');
    expect(forbidden.result).toMatchObject({ answer: 'unsure', unsureReason: 'instructions_in_image' });
  });

  it('passes the model unsure through as unsure with its reason', async () => {
    const { result } = await oneShot([{ kind: 'answer', answer: 'unsure', reason: 'frame 1 is too dark' }]);
    expect(result).toMatchObject({ answer: 'unsure', unsureReason: 'model_unsure' });
    expect(result.reason).toMatch(/too dark/);
  });
});

describe('confirmFailWith', () => {
  it('a failing answer counts only when the second provider agrees', async () => {
    const log: DoubleRequest[] = [];
    const [a, b] = await start(['p0', 'p1'], log);
    a?.setScript([{ kind: 'answer', answer: 'no', confidence: 0.8, reason: 'frame 2 shows bare hands' }]);
    b?.setScript([{ kind: 'answer', answer: 'no', confidence: 0.6, reason: 'frame 2: no gloves' }]);
    const agent = createVlmAgent(config(doubles, { confirmFailWith: 'p1' }), quiet);
    const agreed = await agent.verify(ctx());
    expect(agreed).toMatchObject({ answer: 'no', confidence: 0.6, decidedBy: 'vlm:p0/m0', evidence: ['kf1'] });
    expect(agreed.reason).toMatch(/confirmed by vlm:p1\/m1/);
    expect(agreed.calls.map((c) => `${c.provider}:${c.purpose}`)).toEqual(['p0:answer', 'p1:confirm']);

    b?.setScript([{ kind: 'answer', answer: 'yes', reason: 'frame 2 shows gloves' }]);
    const disagreed = await agent.verify(ctx());
    expect(disagreed).toMatchObject({ answer: 'unsure', unsureReason: 'confirm_disagreed' });
    expect(disagreed.reason).toMatch(/models disagree/);

    b?.setScript([{ kind: 'status', status: 503 }]);
    const unavailable = await agent.verify(ctx());
    expect(unavailable).toMatchObject({ answer: 'unsure', unsureReason: 'confirm_unavailable' });
  });

  it('a passing answer needs no confirmation', async () => {
    const log: DoubleRequest[] = [];
    await start(['p0', 'p1'], log);
    const agent = createVlmAgent(config(doubles, { confirmFailWith: 'p1' }), quiet);
    expect((await agent.verify(ctx())).answer).toBe('yes');
    expect(log.map((e) => e.provider)).toEqual(['p0']);
  });

  it('when the confirming provider gave the first answer, another provider confirms', async () => {
    const log: DoubleRequest[] = [];
    const [a, b] = await start(['p0', 'p1'], log);
    a?.setScript([{ kind: 'status', status: 503 }]);
    b?.setScript([{ kind: 'answer', answer: 'no', reason: 'frame 1 shows bare hands' }]);
    const agent = createVlmAgent(config(doubles, { confirmFailWith: 'p1' }), quiet);
    a?.setScript([{ kind: 'status', status: 503 }, { kind: 'status', status: 503 }, { kind: 'answer', answer: 'no', reason: 'frame 1: bare' }]);
    const r = await agent.verify(ctx());
    expect(r).toMatchObject({ answer: 'no', decidedBy: 'vlm:p1/m1' });
    expect(log.map((e) => `${e.provider}:${e.status}`)).toEqual(['p0:503', 'p0:503', 'p1:200', 'p0:200']);
  });
});

describe('budget', () => {
  it('is never exceeded by 50 concurrent verify() calls, and reconciles to the real cost', async () => {
    const log: DoubleRequest[] = [];
    await start(['p0'], log);
    const day = utcDay(Date.now());
    // Watches what is committed (spent + held) right after every reservation, for both caps.
    let peakGlobal = 0;
    const peakStore = new Map<string, number>();
    class WatchedLedger extends MemoryBudgetLedger {
      override async reserve(req: ReserveRequest) {
        const hold = await super.reserve(req);
        const c = await this.committed(req.day, req.store);
        peakGlobal = Math.max(peakGlobal, c.globalUsd);
        peakStore.set(req.store, Math.max(peakStore.get(req.store) ?? 0, c.storeUsd));
        return hold;
      }
    }
    const ledger = new WatchedLedger();
    // Two stores of 0.012 each would allow more than the global 0.02: the global cap must bind.
    const agent = createVlmAgent(config(doubles, { budget: { dailyUsd: 0.02, perStore: 0.012 } }), { ...quiet, ledger });
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => agent.verify(ctx('yes', undefined, `store-${i % 2}`))));
    const answered = results.filter((r) => r.answer === 'yes');
    const refused = results.filter((r) => r.unsureReason === 'budget');
    expect(answered.length).toBeGreaterThan(0);
    expect(answered.length + refused.length).toBe(50);
    const reserved = answered[0]?.calls[0]?.reservedUsd ?? 1;
    expect(answered.length).toBeLessThanOrEqual(Math.floor(0.02 / reserved));
    expect(peakGlobal).toBeLessThanOrEqual(0.02);
    for (const peak of peakStore.values()) expect(peak).toBeLessThanOrEqual(0.012);
    for (const r of refused) {
      expect(r).toMatchObject({ answer: 'unsure', decidedBy: 'none', calls: [] });
      expect(r.reason).toMatch(/budget/);
    }
    // One HTTP request per answered question, none for the refused ones.
    expect(log).toHaveLength(answered.length);
    const spent = results.reduce((s, r) => s + r.costUsd, 0);
    expect((await ledger.committed(day, 'store-0')).globalUsd).toBeCloseTo(spent, 9);
    expect(spent).toBeLessThan(answered.length * reserved);
    // Real usage is below the reservation, so the freed money buys another call.
    const after = await agent.verify(ctx('yes', undefined, 'store-0'));
    expect(after.answer).toBe('yes');
  });

  it('a zero budget makes no call at all', async () => {
    const log: DoubleRequest[] = [];
    await start(['p0'], log);
    const agent = createVlmAgent(config(doubles, { budget: { dailyUsd: 0, perStore: 0 } }), quiet);
    const r = await agent.verify(ctx());
    expect(r).toMatchObject({ answer: 'unsure', unsureReason: 'budget', decidedBy: 'none' });
    expect(log).toHaveLength(0);
  });
});

describe('cache and single-flight', () => {
  it('answers an identical question on identical crops from the cache, at zero cost and without HTTP', async () => {
    const log: DoubleRequest[] = [];
    const [d] = await start(['p0'], log);
    d?.setScript([{ kind: 'answer', answer: 'no', reason: 'frame 2 shows bare hands' }]);
    const agent = createVlmAgent(config(doubles), quiet);
    const first = await agent.verify(ctx('yes', 'Gloves on?'));
    expect(first).toMatchObject({ answer: 'no', via: 'model' });
    const again = ctx('yes', 'Gloves on?');
    again.keyframes = keyframes.map((k) => ({ ...k, id: `${k.id}-later` }));
    const second = await agent.verify(again);
    expect(second).toMatchObject({ answer: 'no', via: 'cache', calls: [], costUsd: 0, evidence: ['kf1-later'], decidedBy: 'vlm:p0/m0' });
    expect(log).toHaveLength(1);
    expect(agent.stats().cacheHits).toBe(1);
    // Different crop bytes: a new call.
    const other = ctx('yes', 'Gloves on?');
    other.keyframes = [{ id: 'x', tMs: 2_000, jpeg: await jpeg(7) }];
    expect((await agent.verify(other)).via).toBe('model');
    expect(log).toHaveLength(2);
  });

  it('a failing cache store is a miss, not an error', async () => {
    await start(['p0']);
    const broken = {
      get: async () => Promise.reject(new Error('cache store down')),
      set: async () => Promise.reject(new Error('cache store down')),
    };
    const warnings: string[] = [];
    const agent = createVlmAgent(config(doubles), { cache: broken, log: (_l, m) => warnings.push(m) });
    expect((await agent.verify(ctx())).answer).toBe('yes');
    expect(warnings.join('\n')).toMatch(/cache read failed[\s\S]*cache write failed/);
  });

  it('does not cache unsure answers', async () => {
    const log: DoubleRequest[] = [];
    const [d] = await start(['p0'], log);
    d?.setScript([{ kind: 'answer', answer: 'unsure', reason: 'frame 1 is dark' }, { kind: 'answer' }]);
    const agent = createVlmAgent(config(doubles), quiet);
    expect((await agent.verify(ctx('yes', 'Hairnet?'))).answer).toBe('unsure');
    expect((await agent.verify(ctx('yes', 'Hairnet?'))).answer).toBe('yes');
    expect(log).toHaveLength(2);
  });

  it('concurrent identical questions share one in-flight call', async () => {
    const log: DoubleRequest[] = [];
    const [d] = await start(['p0'], log);
    d?.setScript([{ kind: 'slow', delayMs: 150 }]);
    const agent = createVlmAgent(config(doubles), quiet);
    const results = await Promise.all(Array.from({ length: 6 }, () => agent.verify(ctx('yes', 'Apron on?'))));
    expect(log).toHaveLength(1);
    expect(results.filter((r) => r.via === 'model')).toHaveLength(1);
    expect(results.filter((r) => r.via === 'single_flight')).toHaveLength(5);
    expect(new Set(results.map((r) => r.answer))).toEqual(new Set(['yes']));
    expect(results.reduce((s, r) => s + r.calls.length, 0)).toBe(1);
    expect(agent.stats().sharedFlights).toBe(5);
  });
});

describe('every failure path ends unsure with the reason recorded', () => {
  const cases: Array<[string, Behaviour[], string, Record<string, unknown>?]> = [
    ['server errors everywhere', [{ kind: 'status', status: 503 }], 'unreachable'],
    ['timeouts', [{ kind: 'slow', delayMs: 1_500 }], 'unreachable'],
    ['connection resets', [{ kind: 'reset' }], 'unreachable'],
    ['401', [{ kind: 'status', status: 401 }], 'unreachable'],
    ['an unknown 404', [{ kind: 'status', status: 404 }], 'unreachable'],
    ['a long rate limit', [{ kind: 'status', status: 429, retryAfterS: 60 }], 'unreachable'],
    ['invalid JSON twice', [{ kind: 'invalid' }], 'invalid_answer'],
    ['a repair call that fails', [{ kind: 'invalid' }, { kind: 'status', status: 500 }], 'invalid_answer'],
    ['a failing answer without citation', [{ kind: 'answer', answer: 'no', reason: 'bare hands' , observations: [] }], 'no_frame_cited'],
    ['an injected answer', [{ kind: 'injected' }], 'instructions_in_image'],
    ['a model unsure', [{ kind: 'answer', answer: 'unsure' }], 'model_unsure'],
    ['budget exhausted', [{ kind: 'answer' }], 'budget', { budget: { dailyUsd: 0.000001, perStore: 1 } }],
  ];
  it.each(cases)('%s', async (_name, script, code, extra) => {
    const log: DoubleRequest[] = [];
    const [d] = await start(['p0'], log);
    d?.setScript(script);
    const agent = createVlmAgent(config(doubles, extra ?? {}), quiet);
    const r = await agent.verify(ctx());
    expect(r.answer).toBe('unsure');
    expect(r.unsureReason).toBe(code);
    expect(r.reason.length).toBeGreaterThan(10);
    expect(r.confidence).toBeLessThanOrEqual(1);
    if (code === 'unreachable' || code === 'budget') expect(r.decidedBy).toBe('none');
  });

  it('no provider configured, no keyframes, and a cancelled call', async () => {
    const none = createVlmAgent(configFromObject({}).vlm, quiet);
    expect(await none.verify(ctx())).toMatchObject({ answer: 'unsure', unsureReason: 'no_provider', decidedBy: 'none' });
    const [d] = await start(['p0']);
    d?.setScript([{ kind: 'slow', delayMs: 300 }]);
    const agent = createVlmAgent(config(doubles), quiet);
    expect(await agent.verify({ ...ctx(), keyframes: [] })).toMatchObject({ answer: 'unsure', unsureReason: 'no_keyframes' });
    const controller = new AbortController();
    const pending = agent.verify({ ...ctx(), signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    expect(await pending).toMatchObject({ answer: 'unsure', unsureReason: 'aborted', decidedBy: 'none' });
  });
});
