// Public types of the VLM agent: what the engine hands in, what comes back, and the injected ledger and cache.
import type { StructuredOutput } from '../core/config.ts';
import type { VerifyAnswer, VerifyRequest } from '../core/contracts.ts';
import type { SceneSignature } from './scene-reuse.ts';

/** One keyframe, already cropped, downscaled and face-blurred by the caller. */
export interface Keyframe {
  id: string;
  /** Time in the stream's time base (the same as VerifyRequest.startMs). */
  tMs: number;
  jpeg: Buffer;
}

export interface VerifyContext {
  request: VerifyRequest;
  keyframes: Keyframe[];
  /** The store whose daily budget pays for the call; calls without one share the "(no store)" budget. */
  storeId?: string;
  /** Cancels the model calls (e.g. the job was cancelled). */
  signal?: AbortSignal;
  /** What the keyframes show (subjects, boxes, thumbnails): an unchanged scene reuses the rule's last answer. */
  scene?: SceneSignature;
}

export type CallPurpose = 'answer' | 'repair' | 'confirm';

export type CallOutcome =
  | 'ok'
  | 'rate_limited'
  | 'server_error'
  | 'timeout'
  | 'connection'
  | 'bad_request'
  | 'unauthorized'
  | 'protocol'
  | 'aborted';

/** One HTTP request to a provider, with what it cost. */
export interface CallRecord {
  provider: string;
  model: string;
  purpose: CallPurpose;
  outcome: CallOutcome;
  httpStatus?: number;
  startedAtMs: number;
  latencyMs: number;
  images: number;
  /** response_format actually sent (after any simplification). */
  structuredOutput: StructuredOutput;
  promptTokens: number;
  completionTokens: number;
  /** What the call cost: from `usage` and the provider's prices; the estimate when usage is unknown. */
  costUsd: number;
  /** What was reserved from the budget before the call. */
  reservedUsd: number;
  /** Why it failed, without secrets. */
  detail?: string;
  /** What the reply looked like: content form, reasoning field, usage (for `vlm check`). */
  shape?: string[];
}

/** Why an answer is `unsure` (absent for yes/no). */
export type UnsureReason =
  | 'no_keyframes'
  | 'no_provider'
  | 'unreachable'
  | 'budget'
  | 'invalid_answer'
  | 'model_unsure'
  | 'no_frame_cited'
  | 'instructions_in_image'
  | 'confirm_disagreed'
  | 'confirm_unavailable'
  | 'aborted';

export interface VerifyResult extends VerifyAnswer {
  unsureReason?: UnsureReason;
  /** Where the answer came from: a model call, the cache, an identical question in flight, or an unchanged scene. */
  via: 'model' | 'cache' | 'single_flight' | 'reused' | 'none';
  /** HTTP calls this verify() made itself (empty for cache hits and shared flights). */
  calls: CallRecord[];
  costUsd: number;
}

export type CircuitState = 'closed' | 'open' | 'half_open' | 'disabled';

export interface ProviderStatus {
  id: string;
  model: string;
  state: CircuitState;
  consecutiveFailures: number;
  disabledReason?: string;
  /** Current request shape, after simplifications learnt from 400 answers. */
  structuredOutput: StructuredOutput;
  maxImages: number;
  calls: number;
  costUsd: number;
}

export interface AgentStats {
  verifies: number;
  cacheHits: number;
  sharedFlights: number;
  /** Answers reused from an earlier question about the same, unchanged scene. */
  reused: number;
  calls: number;
  costUsd: number;
  answers: Record<VerifyAnswer['answer'], number>;
  providers: ProviderStatus[];
}

/** Money set aside for one call until its real cost is known. */
export interface BudgetHold {
  id: number;
  day: string;
  store: string;
  usd: number;
}

export interface ReserveRequest {
  /** UTC day, YYYY-MM-DD. */
  day: string;
  store: string;
  usd: number;
  dailyUsd: number;
  perStoreUsd: number;
}

/**
 * Daily spending per store and overall. `reserve` must be atomic: concurrent callers never
 * commit more than the caps together (held + spent). In memory now; the service backs it with the database.
 */
export interface BudgetLedger {
  reserve(req: ReserveRequest): Promise<BudgetHold | undefined>;
  settle(hold: BudgetHold, actualUsd: number): Promise<void>;
  /** Spent plus still held, for the day: overall and for one store. */
  committed(day: string, store: string): Promise<{ globalUsd: number; storeUsd: number }>;
}

/** A decisive answer worth reusing; evidence is kept as indexes into the time-sorted keyframes. */
export interface CachedAnswer {
  answer: 'yes' | 'no';
  confidence: number;
  reason: string;
  decidedBy: string;
  evidenceFrames: number[];
}

export interface AnswerCache {
  get(key: string): Promise<CachedAnswer | undefined>;
  set(key: string, value: CachedAnswer): Promise<void>;
}

export type LogLevel = 'info' | 'warn' | 'error';
export type Logger = (level: LogLevel, message: string) => void;

/** Chat message parts in the OpenAI-compatible shape; the prompt builds them, the transport sends them. */
export type ContentPart =
  | { type: 'text'; text: string }
  | { type: 'image_url'; image_url: { url: string; detail: 'low' | 'high' | 'auto' } };

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string | ContentPart[];
}

/** What a prompt asks; `frames` are the indexes of the keyframes it shows, in order ("frame 1" = frames[0]). */
export interface ChatRequest {
  messages: ChatMessage[];
  schema: { name: string; schema: Record<string, unknown> };
  frames: number[];
}
