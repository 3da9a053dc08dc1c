// Answers `verify` questions: cache and single-flight, budget, ask + repair, judge, and confirmation of failing answers.
import type { VlmConfig } from '../core/config.ts';
import { secretFromEnv } from '../core/env.ts';
import type { OutboundPolicy } from '../core/net-policy.ts';
import { answerCacheKey, MemoryAnswerCache } from './answer-cache.ts';
import { judgeAnswer, parseReply, replyText, type Judged } from './answer.ts';
import { MemoryBudgetLedger, utcDay } from './budget.ts';
import { VlmAbortedError, VlmUnavailableError } from './errors.ts';
import { buildRepairRequest, buildVerifyRequest, PROMPT_VERSION } from './prompt.ts';
import type { AgentStats, AnswerCache, BudgetLedger, CallPurpose, CallRecord, Keyframe, Logger, UnsureReason, VerifyContext, VerifyResult } from './types.ts';
import { VlmRepository, type CallBudget, type ChatReply } from './vlm.repository.ts';
import { SceneMemory } from './scene-reuse.ts';

export interface AgentDeps {
  now?: () => number;
  ledger?: BudgetLedger;
  cache?: AnswerCache;
  /** Reads an API key by environment variable name; services/core/env.ts by default. */
  secret?: (envName: string) => string | undefined;
  log?: Logger;
  /** Where model endpoints may be; default the environment's service policy (SOPWATCH_OUTBOUND_ALLOW). */
  outbound?: OutboundPolicy;
}

export interface VlmAgent {
  /** Answers the request's question; never throws for provider or answer problems (those are `unsure`). */
  verify(ctx: VerifyContext): Promise<VerifyResult>;
  /** Asks one provider, bypassing the cache and confirmation: for health checks. */
  ask(providerId: string, ctx: VerifyContext): Promise<VerifyResult>;
  stats(): AgentStats;
}

const NO_STORE = '(no store)';

type Consulted = { ok: true; judged: Judged; decidedBy: string; provider: string } | { ok: false; result: Omit<VerifyResult, 'calls' | 'costUsd' | 'via'> };

function unsure(reason: string, code: UnsureReason, decidedBy = 'none', evidence: string[] = []): Omit<VerifyResult, 'calls' | 'costUsd' | 'via'> {
  return { answer: 'unsure', confidence: 0, reason, decidedBy, evidence, unsureReason: code };
}

function defaultLog(level: 'info' | 'warn' | 'error', message: string): void {
  if (level !== 'info') process.stderr.write(`sopwatch agent ${level}: ${message}\n`);
}

export function createVlmAgent(config: VlmConfig, deps: AgentDeps = {}): VlmAgent {
  const now = deps.now ?? Date.now;
  const ledger = deps.ledger ?? new MemoryBudgetLedger();
  const cache = deps.cache ?? new MemoryAnswerCache(config.cache.maxEntries);
  const log = deps.log ?? defaultLog;
  const repo = new VlmRepository(config.providers, { ...config.breaker, retryAfterMaxMs: config.retryAfterMaxMs }, {
    now,
    secret: deps.secret ?? ((name) => secretFromEnv(name)),
    log,
    ...(deps.outbound === undefined ? {} : { outbound: deps.outbound }),
  });
  const scenes = new SceneMemory(config.reuse);
  const inFlight = new Map<string, Promise<VerifyResult>>();
  const stats: Omit<AgentStats, 'providers'> = { verifies: 0, cacheHits: 0, sharedFlights: 0, reused: 0, calls: 0, costUsd: 0, answers: { yes: 0, no: 0, unsure: 0 } };

  function budgetFor(store: string): CallBudget {
    return {
      reserve: (_provider, usd) => ledger.reserve({ day: utcDay(now()), store, usd, dailyUsd: config.budget.dailyUsd, perStoreUsd: config.budget.perStore }),
      settle: (hold, usd) => ledger.settle(hold, usd),
    };
  }

  /** Asks the providers of `order` (first that replies), repairs an invalid reply once, and judges the answer. */
  async function consult(order: readonly string[], ctx: VerifyContext, frames: Keyframe[], purpose: CallPurpose, calls: CallRecord[]): Promise<Consulted> {
    const opts = { budget: budgetFor(ctx.storeId ?? NO_STORE), record: (c: CallRecord) => calls.push(c), ...(ctx.signal ? { signal: ctx.signal } : {}) };
    let reply: ChatReply;
    try {
      reply = await repo.send(order, ({ maxImages }) => buildVerifyRequest(ctx.request, frames, maxImages), { ...opts, purpose });
    } catch (err) {
      if (err instanceof VlmAbortedError) return { ok: false, result: unsure('the model call was cancelled', 'aborted') };
      if (err instanceof VlmUnavailableError) {
        return { ok: false, result: unsure(err.message, err.budgetOnly ? 'budget' : 'unreachable') };
      }
      throw err;
    }
    const decidedBy = `vlm:${reply.provider.id}/${reply.provider.model}`;
    let text = replyText(reply.content, reply.reasoning);
    let parsed = parseReply(reply.content, reply.reasoning);
    if (!parsed.ok) {
      const problem = `${parsed.problem}${reply.finishReason === 'length' ? ' (the reply was cut off)' : ''}`;
      const first = reply.request;
      try {
        reply = await repo.send([reply.provider.id], () => buildRepairRequest(first, text, problem), { ...opts, purpose: 'repair' });
      } catch (err) {
        const why = err instanceof Error ? err.message : String(err);
        return { ok: false, result: unsure(`invalid answer (${problem}); the repair request failed: ${why}`, 'invalid_answer', decidedBy) };
      }
      text = replyText(reply.content, reply.reasoning);
      parsed = parseReply(reply.content, reply.reasoning);
      if (!parsed.ok) return { ok: false, result: unsure(`invalid answer after one repair: ${parsed.problem}`, 'invalid_answer', decidedBy) };
    }
    return { ok: true, judged: judgeAnswer(parsed.value, ctx.request, reply.request.frames, frames, parsed.text), decidedBy, provider: reply.provider.id };
  }

  function evidenceIds(frames: Keyframe[], indexes: number[]): string[] {
    return indexes.map((i) => frames[i]?.id).filter((id): id is string => id !== undefined);
  }

  async function decide(ctx: VerifyContext, frames: Keyframe[], calls: CallRecord[]): Promise<Omit<VerifyResult, 'calls' | 'costUsd' | 'via'>> {
    const first = await consult(repo.providerIds(), ctx, frames, 'answer', calls);
    if (!first.ok) return first.result;
    const j = first.judged;
    const evidence = evidenceIds(frames, j.evidenceFrames);
    if (j.answer === 'unsure') return unsure(j.reason, j.unsureReason ?? 'model_unsure', first.decidedBy, evidence);
    const failing = j.answer !== ctx.request.expect;
    const confirmWith = config.confirmFailWith;
    if (!failing || confirmWith === undefined) return { answer: j.answer, confidence: j.confidence, reason: j.reason, decidedBy: first.decidedBy, evidence };
    // A failing answer needs a second, different model; the configured one unless it gave the first answer.
    const confirmer = confirmWith !== first.provider ? confirmWith : repo.providerIds().find((id) => id !== first.provider);
    if (confirmer === undefined) return unsure(`${first.decidedBy} answered ${j.answer}, and no second provider is configured to confirm it`, 'confirm_unavailable', first.decidedBy, evidence);
    const second = await consult([confirmer], ctx, frames, 'confirm', calls);
    if (!second.ok) {
      return unsure(`${first.decidedBy} answered ${j.answer} (${j.reason}), but the confirmation could not be obtained: ${second.result.reason}`, 'confirm_unavailable', first.decidedBy, evidence);
    }
    if (second.judged.answer !== j.answer) {
      return unsure(`models disagree: ${first.decidedBy} answered ${j.answer} (${j.reason}); ${second.decidedBy} answered ${second.judged.answer} (${second.judged.reason})`, 'confirm_disagreed', first.decidedBy, evidence);
    }
    return { answer: j.answer, confidence: Math.min(j.confidence, second.judged.confidence), reason: `${j.reason} (confirmed by ${second.decidedBy}: ${second.judged.reason})`, decidedBy: first.decidedBy, evidence };
  }

  function finish(partial: Omit<VerifyResult, 'calls' | 'costUsd' | 'via'>, calls: CallRecord[], via: VerifyResult['via']): VerifyResult {
    const cost = calls.reduce((s, c) => s + c.costUsd, 0);
    stats.calls += calls.length;
    stats.costUsd += cost;
    stats.answers[partial.answer]++;
    return { ...partial, via, calls, costUsd: cost };
  }

  function precheck(ctx: VerifyContext): Omit<VerifyResult, 'calls' | 'costUsd' | 'via'> | undefined {
    if (ctx.keyframes.length === 0) return unsure('no keyframes to show the model', 'no_keyframes');
    if (repo.providerIds().length === 0) return unsure('no VLM provider is configured', 'no_provider');
    return undefined;
  }

  const sortFrames = (ctx: VerifyContext): Keyframe[] => [...ctx.keyframes].sort((a, b) => a.tMs - b.tMs);

  async function verify(ctx: VerifyContext): Promise<VerifyResult> {
    stats.verifies++;
    const early = precheck(ctx);
    if (early) return finish(early, [], 'none');
    const frames = sortFrames(ctx);
    const key = answerCacheKey(PROMPT_VERSION, ctx.request, frames);
    const hit = inFlight.has(key) ? undefined : await cache.get(key).catch((err: unknown) => void log('warn', `answer cache read failed: ${String(err)}`));
    if (hit) {
      stats.cacheHits++;
      const { evidenceFrames, ...rest } = hit;
      return finish({ ...rest, evidence: evidenceIds(frames, evidenceFrames) }, [], 'cache');
    }
    // The same rule asked again about a scene that has not changed: the earlier answer stands, and says so.
    const earlier = ctx.scene === undefined ? undefined : scenes.find(ctx.request, ctx.scene);
    if (earlier !== undefined) {
      stats.reused++;
      const { evidenceFrames, ...rest } = earlier.answer;
      return finish({
        ...rest, reason: `${rest.reason} (reused from ${earlier.requestId}: same subjects, nothing moved)`,
        evidence: evidenceIds(frames, evidenceFrames), reusedFrom: earlier.requestId,
      }, [], 'reused');
    }
    const running = inFlight.get(key);
    if (running) {
      stats.sharedFlights++;
      const shared = await running;
      stats.answers[shared.answer]++;
      return { ...shared, via: 'single_flight', calls: [], costUsd: 0 };
    }
    const flight = (async () => {
      const calls: CallRecord[] = [];
      const partial = await decide(ctx, frames, calls);
      // Only decisive model answers are reused: an unsure from an outage or the budget may resolve later.
      if (partial.answer !== 'unsure') {
        const byId = new Map(frames.map((f, i) => [f.id, i]));
        const evidenceFrames = partial.evidence.map((id) => byId.get(id)).filter((i): i is number => i !== undefined);
        const decided = { answer: partial.answer, confidence: partial.confidence, reason: partial.reason, decidedBy: partial.decidedBy, evidenceFrames };
        await cache.set(key, decided).catch((err: unknown) => log('warn', `answer cache write failed: ${String(err)}`));
        if (ctx.scene !== undefined && calls.length > 0) scenes.remember(ctx.request, ctx.scene, decided);
      }
      return finish(partial, calls, calls.length > 0 ? 'model' : 'none');
    })();
    inFlight.set(key, flight);
    try {
      return await flight;
    } finally {
      inFlight.delete(key);
    }
  }

  async function ask(providerId: string, ctx: VerifyContext): Promise<VerifyResult> {
    stats.verifies++;
    const early = precheck(ctx);
    if (early) return finish(early, [], 'none');
    const frames = sortFrames(ctx);
    const calls: CallRecord[] = [];
    const result = await consult([providerId], ctx, frames, 'answer', calls);
    if (!result.ok) return finish(result.result, calls, calls.length > 0 ? 'model' : 'none');
    const j = result.judged;
    const evidence = evidenceIds(frames, j.evidenceFrames);
    const partial = j.answer === 'unsure'
      ? unsure(j.reason, j.unsureReason ?? 'model_unsure', result.decidedBy, evidence)
      : { answer: j.answer, confidence: j.confidence, reason: j.reason, decidedBy: result.decidedBy, evidence };
    return finish(partial, calls, 'model');
  }

  return { verify, ask, stats: () => ({ ...stats, answers: { ...stats.answers }, providers: repo.status() }) };
}
