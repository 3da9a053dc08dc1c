// Answers to identical questions on identical crops are reused: a bounded in-memory cache and its key.
import { createHash } from 'node:crypto';
import type { VerifyRequest } from '../core/contracts.ts';
import type { AnswerCache, CachedAnswer, Keyframe } from './types.ts';

/** Key of a question on a set of crops: the prompt version, question, expected answer, facts and JPEG bytes. */
export function answerCacheKey(promptVersion: string, request: VerifyRequest, keyframes: readonly Keyframe[]): string {
  const h = createHash('sha256');
  h.update(JSON.stringify([promptVersion, request.question, request.expect, request.facts]));
  for (const k of keyframes) {
    h.update(String(k.jpeg.length));
    h.update(':');
    h.update(k.jpeg);
  }
  return h.digest('hex');
}

/** Least recently used entries go first once `maxEntries` is reached; 0 keeps nothing. */
export class MemoryAnswerCache implements AnswerCache {
  private readonly entries = new Map<string, CachedAnswer>();

  constructor(private readonly maxEntries: number) {}

  async get(key: string): Promise<CachedAnswer | undefined> {
    const hit = this.entries.get(key);
    if (hit) {
      this.entries.delete(key);
      this.entries.set(key, hit);
    }
    return hit;
  }

  async set(key: string, value: CachedAnswer): Promise<void> {
    if (this.maxEntries <= 0) return;
    this.entries.delete(key);
    this.entries.set(key, value);
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (oldest.done) break;
      this.entries.delete(oldest.value);
    }
  }

  get size(): number {
    return this.entries.size;
  }
}
