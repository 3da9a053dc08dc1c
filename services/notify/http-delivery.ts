// One HTTP POST of a JSON body with a deadline and an idempotency key, its answer classified into a DeliveryResult.
import { outboundPolicies } from '../core/env.ts';
import { OutboundRefusedError, type OutboundPolicy } from '../core/net-policy.ts';
import { pinnedRequest, type PinnedResponse } from '../core/outbound-http.ts';
import type { HttpChannelType } from './chat-formats.ts';
import { platformError } from './chat-formats.ts';
import { connectFailedBeforeSending, describe, type DeliveryResult } from './delivery.ts';

export interface HttpPost {
  url: string;
  body: unknown;
  idempotencyKey: string;
  timeoutMs: number;
}

export type HttpTransport = (type: HttpChannelType, post: HttpPost) => Promise<DeliveryResult>;

/** Retry-After in seconds or as an HTTP date; undefined when absent or unreadable. */
function retryAfterMs(header: string | null, nowMs: number): number | undefined {
  if (header === null) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

/** Redacts the query (tokens) and path secrets of a webhook URL for messages and logs. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}/…`;
  } catch {
    return '(invalid URL)';
  }
}

/**
 * The JSON POST transport under an outbound policy (default: the environment's service policy, public addresses and
 * the networks of SOPWATCH_OUTBOUND_ALLOW): the address is checked and pinned, redirects are not followed.
 */
export function jsonPoster(policy?: OutboundPolicy): HttpTransport {
  return (type, post) => postJsonWith(policy ?? outboundPolicies().service, type, post);
}

export const postJson: HttpTransport = (type, post) => postJsonWith(outboundPolicies().service, type, post);

async function postJsonWith(policy: OutboundPolicy, type: HttpChannelType, post: HttpPost): Promise<DeliveryResult> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), post.timeoutMs);
  let response: PinnedResponse;
  try {
    response = await pinnedRequest(policy, post.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json; charset=utf-8',
        'idempotency-key': post.idempotencyKey,
        'user-agent': 'sopwatch-notify/1',
      },
      body: JSON.stringify(post.body),
      signal: controller.signal,
    });
  } catch (err) {
    if (err instanceof OutboundRefusedError) return { kind: 'rejected', reason: `refused to connect to ${redactUrl(post.url)} (${err.rule}): ${err.message}` };
    const where = redactUrl(post.url);
    if (controller.signal.aborted) return { kind: 'unknown', reason: `no answer from ${where} within ${post.timeoutMs} ms` };
    if (connectFailedBeforeSending(err)) return { kind: 'retry', reason: `cannot reach ${where}: ${describe(err)}` };
    return { kind: 'unknown', reason: `connection to ${where} broke: ${describe(err)}` };
  } finally {
    clearTimeout(timer);
  }
  const status = response.status;
  const text = response.text;
  if (status >= 200 && status < 300) {
    const problem = platformError(type, text);
    if (problem === undefined) return { kind: 'delivered', detail: `HTTP ${status}` };
    const reason = `${type} refused the message: code ${problem.code} ${problem.message}`.trim();
    return problem.retry ? { kind: 'retry', reason } : { kind: 'rejected', reason };
  }
  const reason = `HTTP ${status} from ${redactUrl(post.url)}: ${text.slice(0, 200)}`;
  if (status === 408 || status === 425 || status === 429 || status >= 500) {
    const after = retryAfterMs(response.headers.get('retry-after'), Date.now());
    return { kind: 'retry', reason, ...(after === undefined ? {} : { retryAfterMs: after }) };
  }
  return { kind: 'rejected', reason };
}
