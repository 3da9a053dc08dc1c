// Wire details of the OpenAI-compatible chat completions call: body encoding, POST, error text, retry-after.
import type { StructuredOutput, VlmProviderConfig } from '../core/config.ts';
import { outboundPolicies } from '../core/env.ts';
import type { OutboundPolicy } from '../core/net-policy.ts';
import { pinnedRequest } from '../core/outbound-http.ts';
import type { ChatRequest } from './types.ts';

export interface RawResponse {
  status: number;
  headers: Headers;
  text: string;
}

export const FORMAT_REFUSAL = /response_format|json_schema|json_object|structured output|schema/i;
/** A refusal of the number of images (vLLM's "At most N image(s)..."), not of an image's content or URL. */
export const IMAGE_REFUSAL = /at most \d+ image|too many images|maximum (number of )?images|images? (count|limit)|only \d+ images?/i;
/** Connection failures that happen before a request reaches a model, so nothing can have been billed. */
export const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EOUTBOUNDREFUSED']);

/** The system error code of a failed fetch (ECONNRESET…), found in its cause chain, and the innermost message. */
export function failureOf(err: unknown): { code?: string; message: string } {
  let message = err instanceof Error ? err.message : String(err);
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 4; e = e.cause, depth++) {
    message = e.message || message;
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return { code, message };
  }
  return { message };
}

export function retryAfterMs(headers: Headers): number | undefined {
  const ms = Number(headers.get('retry-after-ms'));
  if (headers.has('retry-after-ms') && Number.isFinite(ms) && ms >= 0) return ms;
  const raw = headers.get('retry-after');
  if (raw === null) return undefined;
  const seconds = Number(raw);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const at = Date.parse(raw);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

export function imageCount(req: ChatRequest): number {
  let n = 0;
  for (const m of req.messages) if (typeof m.content !== 'string') for (const p of m.content) if (p.type === 'image_url') n++;
  return n;
}

export function encodeBody(p: VlmProviderConfig, req: ChatRequest, structured: StructuredOutput): Record<string, unknown> {
  const body: Record<string, unknown> = { model: p.model, messages: req.messages, max_tokens: p.maxTokens, temperature: 0.1 };
  switch (structured) {
    case 'json_schema':
      body.response_format = { type: 'json_schema', json_schema: { name: req.schema.name, strict: true, schema: req.schema.schema } };
      break;
    case 'json_object':
      body.response_format = { type: 'json_object' };
      break;
    case 'none':
      break;
  }
  return body;
}

/**
 * The error text of a failed call, from the shapes providers document: `{error: {message}}` (OpenAI, Azure, DashScope,
 * Ark, Zhipu, Moonshot, Ollama, llama.cpp), `{error: "text"}` (LM Studio), `{object: "error", message}` (vLLM) and a
 * list of those (Gemini's OpenAI-compatible endpoint). The provider's code is kept beside the message.
 */
export function errorMessage(res: RawResponse): string {
  if (res.status >= 200 && res.status < 300) return '';
  try {
    let body = JSON.parse(res.text) as unknown;
    if (Array.isArray(body)) body = body[0];
    const b = (typeof body === 'object' && body !== null ? body : {}) as { error?: { message?: unknown; code?: unknown } | string; message?: unknown; detail?: unknown };
    const inner = typeof b.error === 'object' && b.error !== null ? b.error : undefined;
    const m = typeof b.error === 'string' ? b.error : (inner?.message ?? b.message ?? (typeof b.detail === 'string' ? b.detail : undefined));
    const code = inner?.code;
    if (typeof m === 'string') return `${m}${typeof code === 'string' || typeof code === 'number' ? ` (code ${code})` : ''}`.slice(0, 300);
  } catch {
    // Not JSON: the raw text says what went wrong.
  }
  return res.text.slice(0, 300).trim() || `HTTP ${res.status}`;
}

/**
 * Where a provider's chat completions are and how its key travels: `{baseUrl}/chat/completions` with
 * `Authorization: Bearer <key>`, or for Azure OpenAI `{baseUrl}/openai/deployments/<d>/chat/completions?api-version=<v>`
 * with `api-key: <key>` and no Authorization header.
 */
export function chatEndpoint(p: VlmProviderConfig, key: string | undefined): { url: string; headers: Record<string, string> } {
  const base = p.baseUrl.replace(/\/+$/, '');
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
  if (p.azure !== undefined) {
    if (key !== undefined) headers['api-key'] = key;
    const { deployment, apiVersion } = p.azure;
    return { url: `${base}/openai/deployments/${encodeURIComponent(deployment)}/chat/completions?api-version=${encodeURIComponent(apiVersion)}`, headers };
  }
  if (key !== undefined) headers.authorization = `Bearer ${key}`;
  return { url: `${base}/chat/completions`, headers };
}

/**
 * One POST to the provider's chat completions (chatEndpoint), bounded by the provider's timeout and the caller's signal, to an address the
 * outbound policy allows (default: the environment's service policy), pinned; redirects are not followed.
 */
export async function postChat(p: VlmProviderConfig, key: string | undefined, body: Record<string, unknown>, signal?: AbortSignal, policy: OutboundPolicy = outboundPolicies().service): Promise<RawResponse> {
  const signals = [AbortSignal.timeout(p.timeoutMs)];
  if (signal) signals.push(signal);
  const { url, headers } = chatEndpoint(p, key);
  return pinnedRequest(policy, url, {
    method: 'POST',
    headers,
    body: JSON.stringify(body),
    signal: AbortSignal.any(signals),
  });
}
