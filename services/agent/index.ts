// The VLM agent's public surface: answer `verify` questions with any OpenAI-compatible vision model.
//
// Safety contract: the engine asks the model only about `verify` steps, after the detector has seen the
// step's condition hold. A model answer can therefore only add a check (raise verify_failed / confirm a
// forbidden rule) or withhold one; it can never clear a violation the detector found. Every problem
// (no provider, outage, budget, invalid or flagged answer, disagreement) is `unsure`, which the engine
// turns into needs_review: never a pass, never a violation.
export { createVlmAgent, type AgentDeps, type VlmAgent } from './verify.service.ts';
export { MemoryBudgetLedger, utcDay } from './budget.ts';
export { MemoryAnswerCache, answerCacheKey } from './answer-cache.ts';
export { PROMPT_VERSION } from './prompt.ts';
export { SceneMemory, sceneDifference, type SceneReuseOptions, type SceneSignature } from './scene-reuse.ts';
export { VlmAbortedError, VlmAuthError, VlmRateLimitError, VlmRequestError, VlmTransportError, VlmUnavailableError } from './errors.ts';
export type {
  AgentStats,
  AnswerCache,
  BudgetHold,
  BudgetLedger,
  CachedAnswer,
  CallOutcome,
  CallPurpose,
  CallRecord,
  CircuitState,
  Keyframe,
  Logger,
  ProviderStatus,
  ReserveRequest,
  UnsureReason,
  VerifyContext,
  VerifyResult,
} from './types.ts';
