// Daily model spending: an estimate is reserved before each call and settled with the real cost after it.
import type { VlmProviderConfig } from '../core/config.ts';
import type { BudgetHold, BudgetLedger, ChatRequest, ReserveRequest } from './types.ts';

/** Sums are kept in integer nano-dollars so that thousands of tiny costs add up exactly. */
const NANO = 1e9;
const toNano = (usd: number): number => Math.round(usd * NANO);

interface Bucket {
  spent: number;
  held: number;
}

/** In-process ledger: reserve() checks and adds in one synchronous step, so concurrent calls cannot overshoot. */
export class MemoryBudgetLedger implements BudgetLedger {
  private readonly buckets = new Map<string, Bucket>();
  private nextId = 1;

  private bucket(key: string): Bucket {
    let b = this.buckets.get(key);
    if (!b) {
      b = { spent: 0, held: 0 };
      this.buckets.set(key, b);
    }
    return b;
  }

  async reserve(req: ReserveRequest): Promise<BudgetHold | undefined> {
    const usd = toNano(req.usd);
    const global = this.bucket(`${req.day}|*`);
    const store = this.bucket(`${req.day}|s:${req.store}`);
    if (global.spent + global.held + usd > toNano(req.dailyUsd)) return undefined;
    if (store.spent + store.held + usd > toNano(req.perStoreUsd)) return undefined;
    global.held += usd;
    store.held += usd;
    return { id: this.nextId++, day: req.day, store: req.store, usd: req.usd };
  }

  async settle(hold: BudgetHold, actualUsd: number): Promise<void> {
    const held = toNano(hold.usd);
    const actual = toNano(actualUsd);
    for (const key of [`${hold.day}|*`, `${hold.day}|s:${hold.store}`]) {
      const b = this.bucket(key);
      b.held -= held;
      b.spent += actual;
    }
  }

  async committed(day: string, store: string): Promise<{ globalUsd: number; storeUsd: number }> {
    const g = this.bucket(`${day}|*`);
    const s = this.bucket(`${day}|s:${store}`);
    return { globalUsd: (g.spent + g.held) / NANO, storeUsd: (s.spent + s.held) / NANO };
  }
}

/** The UTC day of `ms`, YYYY-MM-DD. */
export function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** Characters per token for English prompts is about 4; 3 keeps the estimate on the high side. */
const CHARS_PER_TOKEN = 3;

export function requestTokenEstimate(provider: VlmProviderConfig, req: ChatRequest, images: number): number {
  let chars = JSON.stringify(req.schema.schema).length;
  for (const m of req.messages) {
    if (typeof m.content === 'string') chars += m.content.length;
    else for (const p of m.content) if (p.type === 'text') chars += p.text.length;
  }
  return Math.ceil(chars / CHARS_PER_TOKEN) + images * provider.imageTokens;
}

export function costUsd(provider: VlmProviderConfig, promptTokens: number, completionTokens: number): number {
  return (promptTokens * provider.pricePerMTokIn + completionTokens * provider.pricePerMTokOut) / 1e6;
}

/** Upper estimate of a call: every input token counted high, the whole max_tokens as output. */
export function estimateUsd(provider: VlmProviderConfig, req: ChatRequest, images: number): number {
  return costUsd(provider, requestTokenEstimate(provider, req, images), provider.maxTokens);
}
