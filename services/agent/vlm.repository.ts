// OpenAI-compatible transport: POST {baseUrl}/chat/completions with failover, circuit breakers, retries and budget holds.
import { setTimeout as sleep } from 'node:timers/promises';
import type { StructuredOutput, VlmProviderConfig } from '../core/config.ts';
import { SopwatchError } from '../core/errors.ts';
import { costUsd, estimateUsd } from './budget.ts';
import { encodeBody, errorMessage, failureOf, FORMAT_REFUSAL, IMAGE_REFUSAL, imageCount, NOT_SENT_CODES, postChat, retryAfterMs, type RawResponse } from './chat-http.ts';
import type { OutboundPolicy } from '../core/net-policy.ts';
import { CircuitBreaker } from './circuit-breaker.ts';
import {
  VlmAbortedError,
  VlmAuthError,
  VlmRateLimitError,
  VlmRequestError,
  VlmTransportError,
  VlmUnavailableError,
  type ProviderAttempt,
} from './errors.ts';
import type { BudgetHold, CallOutcome, CallPurpose, CallRecord, ChatRequest, Logger, ProviderStatus } from './types.ts';

export interface RepositorySettings {
  failures: number;
  coolDownMs: number;
  retryAfterMaxMs: number;
}

export interface RepositoryDeps {
  now: () => number;
  secret: (envName: string) => string | undefined;
  log: Logger;
  /** Where model endpoints may be; default the environment's service policy (SOPWATCH_OUTBOUND_ALLOW). */
  outbound?: OutboundPolicy;
}

/** Builds the request for a provider; the transport lowers `maxImages` when a provider refuses many images. */
export type RequestBuilder = (limits: { maxImages: number }) => ChatRequest;

export interface CallBudget {
  reserve(provider: VlmProviderConfig, usd: number): Promise<BudgetHold | undefined>;
  settle(hold: BudgetHold, usd: number): Promise<void>;
}

export interface SendOptions {
  purpose: CallPurpose;
  budget: CallBudget;
  record: (call: CallRecord) => void;
  signal?: AbortSignal;
}

export interface ChatReply {
  provider: VlmProviderConfig;
  /** The request this reply answers (after any simplification). */
  request: ChatRequest;
  content: unknown;
  reasoning: unknown;
  finishReason: string | null;
}

class BudgetDenied extends SopwatchError {}
class CircuitOpen extends SopwatchError {}

interface Slot {
  config: VlmProviderConfig;
  breaker: CircuitBreaker;
  structuredOutput: StructuredOutput;
  maxImages: number;
  coolingUntilMs: number;
  calls: number;
  costUsd: number;
}

/** How a successful reply carried its answer, in words: for `vlm check` and the provider table. */
function replyShape(message: Record<string, unknown>, usage: boolean): string[] {
  const c = message.content;
  const out = [Array.isArray(c) ? 'content as parts' : typeof c === 'string' && c.trim() !== '' ? 'content as text' : 'content empty'];
  if (typeof c === 'string' && /<think>/i.test(c)) out.push('inline <think>');
  if (typeof c === 'string' && /```/.test(c)) out.push('code fence');
  for (const f of ['reasoning_content', 'reasoning']) if (typeof message[f] === 'string' && message[f] !== '') out.push(`reasoning in ${f}`);
  out.push(usage ? 'usage reported' : 'no usage');
  return out;
}

export class VlmRepository {
  private readonly slots = new Map<string, Slot>();

  constructor(providers: readonly VlmProviderConfig[], private readonly settings: RepositorySettings, private readonly deps: RepositoryDeps) {
    for (const config of providers) {
      this.slots.set(config.id, {
        config,
        breaker: new CircuitBreaker(settings.failures, settings.coolDownMs, deps.now),
        structuredOutput: config.structuredOutput,
        maxImages: config.maxImages,
        coolingUntilMs: 0,
        calls: 0,
        costUsd: 0,
      });
    }
  }

  providerIds(): string[] {
    return [...this.slots.keys()];
  }

  provider(id: string): VlmProviderConfig | undefined {
    return this.slots.get(id)?.config;
  }

  status(): ProviderStatus[] {
    return [...this.slots.values()].map((s) => ({
      id: s.config.id,
      model: s.config.model,
      state: s.breaker.state,
      consecutiveFailures: s.breaker.consecutiveFailures,
      ...(s.breaker.disabledReason !== undefined ? { disabledReason: s.breaker.disabledReason } : {}),
      structuredOutput: s.structuredOutput,
      maxImages: s.maxImages,
      calls: s.calls,
      costUsd: s.costUsd,
    }));
  }

  /** The first provider of `order` that replies; throws VlmUnavailableError saying why each did not. */
  async send(order: readonly string[], build: RequestBuilder, opts: SendOptions): Promise<ChatReply> {
    const attempts: ProviderAttempt[] = [];
    for (const id of order) {
      const slot = this.slots.get(id);
      if (!slot) {
        attempts.push({ provider: id, kind: 'failed', reason: 'unknown provider' });
        continue;
      }
      if (slot.breaker.disabledReason !== undefined) {
        attempts.push({ provider: id, kind: 'disabled', reason: `disabled (${slot.breaker.disabledReason})` });
        continue;
      }
      if (slot.coolingUntilMs > this.deps.now()) {
        attempts.push({ provider: id, kind: 'cooling', reason: `rate limited for ${slot.coolingUntilMs - this.deps.now()} ms more` });
        continue;
      }
      try {
        return await this.callProvider(slot, build, opts);
      } catch (err) {
        if (err instanceof VlmAbortedError) throw err;
        const kind: ProviderAttempt['kind'] =
          err instanceof BudgetDenied ? 'budget' : err instanceof CircuitOpen ? 'circuit_open' : err instanceof VlmAuthError ? 'disabled' : 'failed';
        attempts.push({ provider: id, kind, reason: err instanceof Error ? err.message : String(err) });
      }
    }
    throw new VlmUnavailableError(attempts);
  }

  private disable(slot: Slot, reason: string): VlmAuthError {
    slot.breaker.disable(reason);
    this.deps.log('warn', `VLM provider ${slot.config.id} disabled for this process: ${reason}`);
    return new VlmAuthError(slot.config.id, `disabled: ${reason}`);
  }

  private async callProvider(slot: Slot, build: RequestBuilder, opts: SendOptions): Promise<ChatReply> {
    const p = slot.config;
    const key = p.apiKeyEnv !== undefined ? this.deps.secret(p.apiKeyEnv) : undefined;
    if (p.apiKeyEnv !== undefined && key === undefined) throw this.disable(slot, `environment variable ${p.apiKeyEnv} is not set`);
    const redact = (s: string): string => (key ? s.split(key).join('***') : s);
    let transportRetried = false;
    let rateRetried = false;
    let formatSimplified = false;
    let imagesSimplified = false;
    let lastError: Error | undefined;

    for (;;) {
      if (!slot.breaker.tryAcquire()) throw lastError ?? new CircuitOpen(`circuit open after ${slot.breaker.consecutiveFailures} consecutive failures`);
      const request = build({ maxImages: slot.maxImages });
      const images = imageCount(request);
      const structured = slot.structuredOutput;
      const reservedUsd = estimateUsd(p, request, images);
      const hold = await opts.budget.reserve(p, reservedUsd);
      if (!hold) {
        slot.breaker.release();
        throw new BudgetDenied(`daily budget would be exceeded (this call needs up to $${reservedUsd.toFixed(6)})`);
      }
      const startedAtMs = this.deps.now();
      const t0 = performance.now();
      const record = (outcome: CallOutcome, extra: Partial<CallRecord> = {}): void => {
        const call: CallRecord = {
          provider: p.id, model: p.model, purpose: opts.purpose, outcome, startedAtMs, latencyMs: Math.round(performance.now() - t0),
          images, structuredOutput: structured, promptTokens: 0, completionTokens: 0, costUsd: 0, reservedUsd, ...extra,
        };
        slot.calls++;
        slot.costUsd += call.costUsd;
        opts.record(call);
      };

      let res: RawResponse;
      try {
        res = await postChat(p, key, encodeBody(p, request, structured), opts.signal, this.deps.outbound);
      } catch (err) {
        const aborted = opts.signal?.aborted === true;
        const timedOut = !aborted && err instanceof Error && err.name === 'TimeoutError';
        const failure = failureOf(err);
        // A request that may have reached the model may be billed: keep the estimate as spent.
        const charged = aborted || timedOut || !NOT_SENT_CODES.has(failure.code ?? '') ? reservedUsd : 0;
        await opts.budget.settle(hold, charged);
        const detail = aborted ? 'cancelled by the caller' : timedOut ? `no reply within ${p.timeoutMs} ms` : `connection failed (${failure.code ?? failure.message})`;
        record(aborted ? 'aborted' : timedOut ? 'timeout' : 'connection', { costUsd: charged, detail });
        if (aborted) {
          slot.breaker.release();
          throw new VlmAbortedError(`VLM call to ${p.id} cancelled`, { cause: err });
        }
        slot.breaker.failure();
        lastError = new VlmTransportError(p.id, timedOut ? 'timeout' : 'connection', detail, undefined, { cause: err });
        if (!transportRetried) {
          transportRetried = true;
          continue;
        }
        throw lastError;
      }

      const message = redact(errorMessage(res));
      if (res.status >= 200 && res.status < 300) {
        let body: { choices?: Array<{ message?: Record<string, unknown>; finish_reason?: string | null }>; usage?: { prompt_tokens?: number; completion_tokens?: number } };
        try {
          body = JSON.parse(res.text);
        } catch {
          body = {};
        }
        const choice = body.choices?.[0];
        if (!choice?.message) {
          await opts.budget.settle(hold, reservedUsd);
          slot.breaker.failure();
          record('protocol', { httpStatus: res.status, costUsd: reservedUsd, detail: 'reply is not a chat completion' });
          throw new VlmTransportError(p.id, 'protocol', `HTTP ${res.status} but the body is not a chat completion`, res.status);
        }
        const promptTokens = Number(body.usage?.prompt_tokens ?? 0);
        const completionTokens = Number(body.usage?.completion_tokens ?? 0);
        const known = body.usage !== undefined && Number.isFinite(promptTokens) && Number.isFinite(completionTokens);
        const cost = known ? costUsd(p, promptTokens, completionTokens) : reservedUsd;
        await opts.budget.settle(hold, cost);
        slot.breaker.success();
        record('ok', { shape: replyShape(choice.message, known), httpStatus: res.status, promptTokens: known ? promptTokens : 0, completionTokens: known ? completionTokens : 0, costUsd: cost, ...(known ? {} : { detail: 'no usage in reply: charged the estimate' }) });
        return {
          provider: p,
          request,
          content: choice.message.content,
          reasoning: choice.message.reasoning_content ?? choice.message.reasoning,
          finishReason: choice.finish_reason ?? null,
        };
      }

      // Error statuses are not billed by the providers studied: release the whole hold.
      await opts.budget.settle(hold, 0);
      const status = res.status;
      if (status === 429) {
        const waitMs = retryAfterMs(res.headers) ?? 1_000;
        slot.breaker.release();
        record('rate_limited', { httpStatus: status, detail: `retry after ${waitMs} ms` });
        if (!rateRetried && waitMs <= this.settings.retryAfterMaxMs) {
          rateRetried = true;
          try {
            await sleep(waitMs, undefined, opts.signal ? { signal: opts.signal } : undefined);
          } catch (err) {
            throw new VlmAbortedError(`VLM call to ${p.id} cancelled`, { cause: err });
          }
          continue;
        }
        slot.coolingUntilMs = this.deps.now() + waitMs;
        throw new VlmRateLimitError(p.id, waitMs, `rate limited (HTTP 429, retry after ${waitMs} ms)`);
      }
      if (status === 401 || status === 403) {
        record('unauthorized', { httpStatus: status, detail: message });
        const where = p.apiKeyEnv !== undefined ? `check the key in $${p.apiKeyEnv}` : 'the server wants a key: set apiKeyEnv';
        throw this.disable(slot, `HTTP ${status} from ${p.baseUrl} (${where}): ${message}`);
      }
      if (status >= 500) {
        slot.breaker.failure();
        record('server_error', { httpStatus: status, detail: message });
        lastError = new VlmTransportError(p.id, 'server_error', `HTTP ${status}: ${message}`, status);
        if (!transportRetried) {
          transportRetried = true;
          continue;
        }
        throw lastError;
      }
      record('bad_request', { httpStatus: status, detail: message });
      if (status === 400 && !formatSimplified && structured !== 'none' && FORMAT_REFUSAL.test(message)) {
        formatSimplified = true;
        slot.structuredOutput = 'none';
        slot.breaker.release();
        this.deps.log('info', `VLM provider ${p.id} refused response_format (${message}); asking without it from now on`);
        continue;
      }
      if (status === 400 && !imagesSimplified && images > 1 && IMAGE_REFUSAL.test(message)) {
        imagesSimplified = true;
        const allowed = Number(/at most (\d+)/i.exec(message)?.[1] ?? NaN);
        slot.maxImages = Math.max(1, Number.isFinite(allowed) && allowed < images ? allowed : Math.floor(images / 2));
        slot.breaker.release();
        this.deps.log('info', `VLM provider ${p.id} refused ${images} images (${message}); sending at most ${slot.maxImages} from now on`);
        continue;
      }
      slot.breaker.failure();
      throw new VlmRequestError(p.id, status, `HTTP ${status}: ${message}`);
    }
  }
}
