// The transport against loopback OpenAI-compatible doubles: failover, breakers, 429, 5xx, 400 simplification, 401.
import sharp from 'sharp';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createVlmAgent, type Keyframe, type VerifyContext } from '../../services/agent/index.ts';
import { configFromObject, type VlmConfig } from '../../services/core/config.ts';
import { ViolationKind, type VerifyRequest } from '../../services/core/contracts.ts';
import { startOpenAiDouble, type DoubleRequest, type OpenAiDouble } from '../doubles/openai-server.ts';
import { optInLoopback } from '../doubles/outbound.ts';

// The doubles listen on 127.0.0.1: opt in to loopback cameras, webhooks and models as an operator would.
optInLoopback();

let keyframes: Keyframe[] = [];
let doubles: OpenAiDouble[] = [];
let question = 0;

beforeAll(async () => {
  keyframes = await Promise.all(
    [40, 120, 200].map(async (r, i) => ({
      id: `kf${i}`,
      tMs: 5_000 + i * 1_000,
      jpeg: await sharp({ create: { width: 64, height: 48, channels: 3, background: { r, g: 80, b: 60 } } }).jpeg().toBuffer(),
    })),
  );
});

afterEach(async () => {
  await Promise.all(doubles.map((d) => d.close()));
  doubles = [];
});

/** A fresh question each time, so the cache never hides a call. */
function ctx(): VerifyContext {
  const request: VerifyRequest = {
    id: `bar/seq/gloves/p:1/${question}`, sop: 'bar', rule: 'seq', step: 'gloves', cameraId: 'bar-1', subject: 'p:1',
    question: `Is the barista wearing gloves? (#${question++})`, expect: 'yes', frames: 3, startMs: 5_000, endMs: 8_000,
    facts: ['hands in zone machine for 3.0 s'], severity: 'medium', failKind: ViolationKind.VerifyFailed, violationStartMs: 5_000, violationEndMs: 8_000,
  };
  return { request, keyframes, storeId: 'store-1' };
}

async function doubles3(log: DoubleRequest[]): Promise<[OpenAiDouble, OpenAiDouble, OpenAiDouble]> {
  const made = await Promise.all(['a', 'b', 'c'].map((name) => startOpenAiDouble({ name, log })));
  doubles.push(...made);
  return made as [OpenAiDouble, OpenAiDouble, OpenAiDouble];
}

function config(ds: OpenAiDouble[], extra: Record<string, unknown> = {}, providerExtra: Record<string, unknown> = {}): VlmConfig {
  return configFromObject({
    vlm: {
      providers: ds.map((d, i) => ({ id: ['a', 'b', 'c'][i], baseUrl: d.url, model: `model-${i}`, timeoutMs: 3_000, pricePerMTokIn: 0.1, pricePerMTokOut: 0.4, ...providerExtra })),
      ...extra,
    },
  }).vlm;
}

const quiet = { log: () => undefined };

describe('VLM transport against the double', () => {
  it('fails over in order and records decidedBy of the provider that answered', async () => {
    const log: DoubleRequest[] = [];
    const [a, b] = await doubles3(log);
    a.setScript([{ kind: 'status', status: 500 }]);
    b.setScript([{ kind: 'answer', answer: 'yes', reason: 'frame 2 shows blue gloves' }]);
    const agent = createVlmAgent(config(doubles), quiet);
    const r = await agent.verify(ctx());
    expect(r).toMatchObject({ answer: 'yes', decidedBy: 'vlm:b/model-1', via: 'model', evidence: ['kf1'] });
    // a: 500, retried once; then b answers; c is never asked.
    expect(log.map((e) => `${e.provider}:${e.status}`)).toEqual(['a:500', 'a:500', 'b:200']);
    expect(r.calls.map((c) => `${c.provider}:${c.outcome}`)).toEqual(['a:server_error', 'a:server_error', 'b:ok']);
    expect(log[0]).toMatchObject({ path: '/v1/chat/completions', model: 'model-0', images: 3, responseFormat: 'json_schema', maxTokens: 400 });
  });

  it('opens the circuit after N consecutive failures and skips the provider until the cool-down, then probes once', async () => {
    const log: DoubleRequest[] = [];
    const [a] = await doubles3(log);
    a.setScript([{ kind: 'status', status: 503 }]);
    let t = 1_000_000;
    const agent = createVlmAgent(config(doubles, { breaker: { failures: 2, coolDownMs: 60_000 } }), { ...quiet, now: () => t });
    const first = await agent.verify(ctx());
    expect(first.decidedBy).toBe('vlm:b/model-1');
    expect(agent.stats().providers.find((p) => p.id === 'a')?.state).toBe('open');
    log.length = 0;
    const second = await agent.verify(ctx());
    expect(second.decidedBy).toBe('vlm:b/model-1');
    expect(log.map((e) => e.provider)).toEqual(['b']);
    // After the cool-down one probe goes to a; it succeeds and closes the circuit.
    t += 60_000;
    a.setScript([{ kind: 'answer' }]);
    log.length = 0;
    const third = await agent.verify(ctx());
    expect(third.decidedBy).toBe('vlm:a/model-0');
    expect(log.map((e) => e.provider)).toEqual(['a']);
    expect(agent.stats().providers.find((p) => p.id === 'a')?.state).toBe('closed');
  });

  it('honours retry-after on 429 when it is short, then retries the same provider', async () => {
    const log: DoubleRequest[] = [];
    const [a] = await doubles3(log);
    a.setScript([{ kind: 'status', status: 429, retryAfterS: 1 }, { kind: 'answer' }]);
    const agent = createVlmAgent(config(doubles, { retryAfterMaxMs: 2_000 }), quiet);
    const t0 = Date.now();
    const r = await agent.verify(ctx());
    const waited = Date.now() - t0;
    expect(r.decidedBy).toBe('vlm:a/model-0');
    expect(waited).toBeGreaterThanOrEqual(950);
    expect(log.map((e) => `${e.provider}:${e.status}`)).toEqual(['a:429', 'a:200']);
    expect(r.calls[0]).toMatchObject({ outcome: 'rate_limited', httpStatus: 429, costUsd: 0 });
  });

  it('moves on at once when retry-after exceeds the cap, and skips the provider while it cools', async () => {
    const log: DoubleRequest[] = [];
    const [a] = await doubles3(log);
    a.setScript([{ kind: 'status', status: 429, retryAfterS: 30 }]);
    const agent = createVlmAgent(config(doubles, { retryAfterMaxMs: 2_000 }), quiet);
    const t0 = Date.now();
    expect((await agent.verify(ctx())).decidedBy).toBe('vlm:b/model-1');
    // Waiting out the 30 s retry-after would take 30 s; the bound is loose so that a loaded machine never trips it.
    expect(Date.now() - t0).toBeLessThan(20_000);
    log.length = 0;
    expect((await agent.verify(ctx())).decidedBy).toBe('vlm:b/model-1');
    expect(log.map((e) => e.provider)).toEqual(['b']);
  });

  it('retries once after a 503 on the same provider and succeeds', async () => {
    const log: DoubleRequest[] = [];
    const [a] = await doubles3(log);
    a.setScript([{ kind: 'status', status: 503 }, { kind: 'answer' }]);
    const agent = createVlmAgent(config(doubles), quiet);
    expect((await agent.verify(ctx())).decidedBy).toBe('vlm:a/model-0');
    expect(log.map((e) => `${e.provider}:${e.status}`)).toEqual(['a:503', 'a:200']);
  });

  it('treats a timeout and a reset connection as transport errors: retry once, then the next provider', async () => {
    const log: DoubleRequest[] = [];
    const [a, b] = await doubles3(log);
    // Far beyond the 3 s limit, so that only the limit can end it; generous enough that a loaded machine never times out b or c.
    a.setScript([{ kind: 'slow', delayMs: 60_000 }]);
    b.setScript([{ kind: 'reset' }]);
    const agent = createVlmAgent(config(doubles), quiet);
    const r = await agent.verify(ctx());
    expect(r.decidedBy).toBe('vlm:c/model-2');
    expect(r.calls.map((c) => `${c.provider}:${c.outcome}`)).toEqual(['a:timeout', 'a:timeout', 'b:connection', 'b:connection', 'c:ok']);
    // A timed-out call may have been billed: its estimate stays spent.
    expect(r.calls[0]?.costUsd).toBe(r.calls[0]?.reservedUsd);
  });

  it('drops response_format when a provider refuses it, and remembers', async () => {
    const log: DoubleRequest[] = [];
    const [a] = await doubles3(log);
    a.setScript([{ kind: 'answer' }], { rejectResponseFormat: true });
    const agent = createVlmAgent(config(doubles), quiet);
    const r = await agent.verify(ctx());
    expect(r.decidedBy).toBe('vlm:a/model-0');
    expect(log.map((e) => `${e.status}:${e.responseFormat ?? 'none'}`)).toEqual(['400:json_schema', '200:none']);
    expect(agent.stats().providers[0]?.structuredOutput).toBe('none');
    log.length = 0;
    await agent.verify(ctx());
    expect(log.map((e) => e.responseFormat ?? 'none')).toEqual(['none']);
  });

  it('sends fewer images when a provider refuses many, evenly spread', async () => {
    const log: DoubleRequest[] = [];
    const [a] = await doubles3(log);
    a.setScript([{ kind: 'answer', reason: 'frame 1 shows gloves' }], { maxImages: 1 });
    const agent = createVlmAgent(config(doubles), quiet);
    const r = await agent.verify(ctx());
    expect(r.decidedBy).toBe('vlm:a/model-0');
    expect(log.map((e) => `${e.status}:${e.images}`)).toEqual(['400:3', '200:1']);
    // The one image left is the middle keyframe, and the evidence maps back to it.
    expect(log[1]?.imageBytes[0]?.equals(keyframes[1]?.jpeg ?? Buffer.alloc(0))).toBe(true);
    expect(r.evidence).toEqual(['kf1']);
    expect(agent.stats().providers[0]?.maxImages).toBe(1);
  });

  it('respects the configured maxImages without being told', async () => {
    const log: DoubleRequest[] = [];
    await doubles3(log);
    const agent = createVlmAgent(config(doubles, {}, { maxImages: 2 }), quiet);
    await agent.verify(ctx());
    expect(log[0]?.images).toBe(2);
    expect(log[0]?.imageBytes.map((b) => keyframes.findIndex((k) => k.jpeg.equals(b)))).toEqual([0, 2]);
  });

  it('disables a provider on 401 for the process and says so without the key', async () => {
    const log: DoubleRequest[] = [];
    const [a] = await doubles3(log);
    a.setScript([{ kind: 'answer' }], { apiKey: 'right-key' });
    const messages: string[] = [];
    const agent = createVlmAgent(config(doubles, {}, { apiKeyEnv: 'TEST_VLM_KEY' }), { secret: () => 'wrong-secret-key', log: (_l, m) => messages.push(m) });
    const r = await agent.verify(ctx());
    expect(r.decidedBy).toBe('vlm:b/model-1');
    expect(log[0]?.authorization).toBe('Bearer wrong-secret-key');
    // The key travels only in the header; the model gets no tools.
    expect(JSON.stringify(log[0]?.body)).not.toContain('wrong-secret-key');
    expect(log[0]?.body).not.toHaveProperty('tools');
    const status = agent.stats().providers[0];
    expect(status?.state).toBe('disabled');
    expect(status?.disabledReason).toMatch(/HTTP 401.*TEST_VLM_KEY/);
    expect(messages.join('\n')).toMatch(/provider a disabled/);
    expect(messages.join('\n')).not.toContain('wrong-secret-key');
    log.length = 0;
    await agent.verify(ctx());
    expect(log.map((e) => e.provider)).toEqual(['b']);
  });

  it('disables a provider whose key variable is unset, without calling it', async () => {
    const log: DoubleRequest[] = [];
    await doubles3(log);
    const agent = createVlmAgent(config(doubles.slice(0, 1), {}, { apiKeyEnv: 'SOPWATCH_TEST_UNSET_KEY' }), { ...quiet, secret: () => undefined });
    const r = await agent.verify(ctx());
    expect(r).toMatchObject({ answer: 'unsure', decidedBy: 'none', unsureReason: 'unreachable' });
    expect(r.reason).toMatch(/SOPWATCH_TEST_UNSET_KEY is not set/);
    expect(log).toHaveLength(0);
  });

  it('records usage and cost from the reply', async () => {
    const log: DoubleRequest[] = [];
    await doubles3(log);
    const agent = createVlmAgent(config(doubles), quiet);
    const r = await agent.verify(ctx());
    const call = r.calls[0];
    expect(call?.promptTokens).toBeGreaterThan(3 * 258);
    expect(call?.completionTokens).toBeGreaterThan(10);
    expect(call?.costUsd).toBeCloseTo(((call?.promptTokens ?? 0) * 0.1 + (call?.completionTokens ?? 0) * 0.4) / 1e6, 12);
    expect(call?.costUsd).toBeLessThan(call?.reservedUsd ?? 0);
    expect(r.costUsd).toBe(call?.costUsd);
    expect(agent.stats()).toMatchObject({ calls: 1, verifies: 1 });
  });
});
