// One HTTP POST of a JSON body with a deadline and an idempotency key, its answer classified into a DeliveryResult.
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

export const postJson: HttpTransport = async (type, post) => {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), post.timeoutMs);
  let response: Response;
  let text: string;
  try {
    response = await fetch(post.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json; charset=utf-8',
        'idempotency-key': post.idempotencyKey,
        'user-agent': 'sopwatch-notify/1',
      },
      body: JSON.stringify(post.body),
      signal: controller.signal,
      redirect: 'error',
    });
    text = await response.text();
  } catch (err) {
    const where = redactUrl(post.url);
    if (controller.signal.aborted) return { kind: 'unknown', reason: `no answer from ${where} within ${post.timeoutMs} ms` };
    if (connectFailedBeforeSending(err)) return { kind: 'retry', reason: `cannot reach ${where}: ${describe(err)}` };
    return { kind: 'unknown', reason: `connection to ${where} broke: ${describe(err)}` };
  } finally {
    clearTimeout(timer);
  }
  const status = response.status;
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
};
