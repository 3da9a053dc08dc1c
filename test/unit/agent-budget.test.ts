// Budget ledger, circuit breaker and answer cache: the small state machines behind the agent.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { answerCacheKey, MemoryAnswerCache } from '../../services/agent/answer-cache.ts';
import { MemoryBudgetLedger, utcDay } from '../../services/agent/budget.ts';
import { CircuitBreaker } from '../../services/agent/circuit-breaker.ts';
import { ViolationKind, type VerifyRequest } from '../../services/core/contracts.ts';

const caps = { day: '2026-11-02', dailyUsd: 1, perStoreUsd: 0.4 };

describe('MemoryBudgetLedger', () => {
  it('refuses a reservation that does not fit the store cap or the global cap', async () => {
    const l = new MemoryBudgetLedger();
    const a = await l.reserve({ ...caps, store: 's1', usd: 0.3 });
    expect(a).toBeDefined();
    expect(await l.reserve({ ...caps, store: 's1', usd: 0.2 })).toBeUndefined();
    expect(await l.reserve({ ...caps, store: 's2', usd: 0.4 })).toBeDefined();
    expect(await l.reserve({ ...caps, store: 's3', usd: 0.4 })).toBeUndefined();
    expect(await l.committed(caps.day, 's1')).toEqual({ globalUsd: 0.7, storeUsd: 0.3 });
  });

  it('settling with the real cost frees the unused part of a hold', async () => {
    const l = new MemoryBudgetLedger();
    const hold = await l.reserve({ ...caps, store: 's1', usd: 0.4 });
    if (!hold) throw new Error('expected a hold');
    await l.settle(hold, 0.05);
    expect(await l.committed(caps.day, 's1')).toEqual({ globalUsd: 0.05, storeUsd: 0.05 });
    expect(await l.reserve({ ...caps, store: 's1', usd: 0.35 })).toBeDefined();
  });

  it('never commits more than the caps, whatever the sequence of reservations and settlements', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.integer({ min: 0, max: 2 }), fc.double({ min: 0, max: 0.3, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true })), { maxLength: 60 }), async (ops) => {
        const l = new MemoryBudgetLedger();
        for (const [store, usd, used] of ops) {
          const hold = await l.reserve({ ...caps, store: `s${store}`, usd });
          if (hold) await l.settle(hold, usd * used);
          const c = await l.committed(caps.day, `s${store}`);
          expect(c.globalUsd).toBeLessThanOrEqual(caps.dailyUsd + 1e-9);
          expect(c.storeUsd).toBeLessThanOrEqual(caps.perStoreUsd + 1e-9);
        }
      }),
      { numRuns: 100 },
    );
  });

  it('days are UTC', () => {
    expect(utcDay(Date.UTC(2026, 10, 2, 23, 59))).toBe('2026-11-02');
  });
});

describe('CircuitBreaker', () => {
  it('opens after N consecutive failures, lets one probe through after the cool-down, closes on success', () => {
    let t = 0;
    const b = new CircuitBreaker(2, 1000, () => t);
    b.failure();
    expect(b.state).toBe('closed');
    b.success();
    b.failure();
    b.failure();
    expect(b.state).toBe('open');
    expect(b.tryAcquire()).toBe(false);
    t = 1000;
    expect(b.state).toBe('half_open');
    expect(b.tryAcquire()).toBe(true);
    expect(b.tryAcquire()).toBe(false);
    b.success();
    expect(b.state).toBe('closed');
  });

  it('a failed probe re-opens the circuit for another cool-down', () => {
    let t = 0;
    const b = new CircuitBreaker(1, 1000, () => t);
    b.failure();
    t = 1500;
    expect(b.tryAcquire()).toBe(true);
    b.failure();
    expect(b.state).toBe('open');
    t = 2400;
    expect(b.tryAcquire()).toBe(false);
    t = 2500;
    expect(b.tryAcquire()).toBe(true);
  });

  it('disabled stays disabled', () => {
    const b = new CircuitBreaker(3, 0, () => 0);
    b.disable('HTTP 401');
    expect(b.tryAcquire()).toBe(false);
    expect(b.disabledReason).toBe('HTTP 401');
  });
});

describe('answer cache', () => {
  const req: VerifyRequest = {
    id: 'a', sop: 's', rule: 'r', cameraId: 'c', subject: 'p:1', question: 'Gloves?', expect: 'yes', frames: 2, startMs: 0, endMs: 1,
    facts: ['f'], severity: 'low', failKind: ViolationKind.VerifyFailed, violationStartMs: 0, violationEndMs: 1,
  };
  const frames = [{ id: 'x', tMs: 0, jpeg: Buffer.from('ab') }, { id: 'y', tMs: 1, jpeg: Buffer.from('c') }];

  it('keys on question, expect, facts and crop bytes, not on ids', () => {
    const k = answerCacheKey('v1', req, frames);
    expect(answerCacheKey('v1', { ...req, id: 'other', subject: 'p:9' }, frames.map((f) => ({ ...f, id: `${f.id}2` })))).toBe(k);
    expect(answerCacheKey('v1', { ...req, question: 'Hairnet?' }, frames)).not.toBe(k);
    expect(answerCacheKey('v1', { ...req, expect: 'no' }, frames)).not.toBe(k);
    expect(answerCacheKey('v1', { ...req, facts: ['g'] }, frames)).not.toBe(k);
    expect(answerCacheKey('v2', req, frames)).not.toBe(k);
    // Byte boundaries matter: "ab"+"c" must differ from "a"+"bc".
    expect(answerCacheKey('v1', req, [{ id: 'x', tMs: 0, jpeg: Buffer.from('a') }, { id: 'y', tMs: 1, jpeg: Buffer.from('bc') }])).not.toBe(k);
  });

  it('evicts the least recently used entry', async () => {
    const c = new MemoryAnswerCache(2);
    const v = { answer: 'yes' as const, confidence: 1, reason: 'r', decidedBy: 'vlm:a/m', evidenceFrames: [0] };
    await c.set('a', v);
    await c.set('b', v);
    await c.get('a');
    await c.set('c', v);
    expect(await c.get('b')).toBeUndefined();
    expect(await c.get('a')).toEqual(v);
    expect(c.size).toBe(2);
  });
});
