// The request bodies of each ready format: plain JSON webhook, WeCom, DingTalk, Feishu/Lark and Slack bots.
import { createHmac } from 'node:crypto';
import type { NotificationMessage, RenderedMessage } from './message.ts';
import { toMarkdown, toPlainText } from './message.ts';
import { WORDS } from './message-words.ts';

export type HttpChannelType = 'webhook' | 'wecom' | 'dingtalk' | 'feishu' | 'slack';

export interface HttpRequestPlan {
  url: string;
  body: unknown;
}

export interface FormatInput {
  type: HttpChannelType;
  /** The webhook URL from the environment (it may carry the bot's token). */
  url: string;
  /** DingTalk / Feishu signing secret, when the bot has one. */
  secret?: string;
  feishuMsgType?: 'interactive' | 'text';
  message: NotificationMessage;
  rendered: RenderedMessage;
  idempotencyKey: string;
  nowMs: number;
}

/** DingTalk "加签": base64(HMAC-SHA256(key = secret, data = `${timestampMs}\n${secret}`)), sent URL-encoded in the query. */
export function dingtalkSign(secret: string, timestampMs: number): string {
  return createHmac('sha256', secret).update(`${timestampMs}\n${secret}`).digest('base64');
}

/** Feishu/Lark: base64(HMAC-SHA256(key = `${timestampS}\n${secret}`, data = empty)), sent in the body. */
export function feishuSign(secret: string, timestampS: number): string {
  return createHmac('sha256', `${timestampS}\n${secret}`).update('').digest('base64');
}

/** Cuts UTF-8 text to at most `maxBytes` bytes without splitting a character. */
export function truncateBytes(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text) <= maxBytes) return text;
  let out = Buffer.from(text).subarray(0, Math.max(0, maxBytes - 3)).toString('utf8');
  // A cut inside a multi-byte character decodes to U+FFFD; drop it.
  out = out.replace(/\uFFFD+$/, '');
  return `${out}...`;
}

const slackEscape = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function withQuery(url: string, params: Record<string, string>): string {
  const u = new URL(url);
  for (const [k, v] of Object.entries(params)) u.searchParams.set(k, v);
  return u.toString();
}

const cardColour = { high: 'red', medium: 'orange', low: 'blue' } as const;

function feishu(input: FormatInput): HttpRequestPlan {
  const signed: Record<string, string> = {};
  if (input.secret !== undefined) {
    const ts = Math.floor(input.nowMs / 1000);
    signed.timestamp = String(ts);
    signed.sign = feishuSign(input.secret, ts);
  }
  const r = input.rendered;
  if (input.feishuMsgType === 'text') {
    return { url: input.url, body: { ...signed, msg_type: 'text', content: { text: truncateBytes(toPlainText(r), 20_000) } } };
  }
  const elements: unknown[] = [{ tag: 'markdown', content: truncateBytes(toMarkdown(r, { heading: false }), 20_000) }];
  if (r.link !== undefined) {
    elements.push({ tag: 'action', actions: [{ tag: 'button', text: { tag: 'plain_text', content: WORDS[r.language ?? 'en'].open }, type: 'primary', url: r.link }] });
  }
  return {
    url: input.url,
    body: {
      ...signed,
      msg_type: 'interactive',
      card: {
        config: { wide_screen_mode: true },
        header: { title: { tag: 'plain_text', content: r.title.slice(0, 200) }, template: r.severity === undefined ? 'grey' : cardColour[r.severity] },
        elements,
      },
    },
  };
}

function slack(input: FormatInput): HttpRequestPlan {
  const r = input.rendered;
  const blocks: unknown[] = [
    { type: 'header', text: { type: 'plain_text', text: r.title.slice(0, 150), emoji: false } },
    // Slack allows at most 10 fields per section, 2000 characters each.
    { type: 'section', fields: r.facts.slice(0, 10).map(([k, v]) => ({ type: 'mrkdwn', text: `*${slackEscape(k)}*\n${slackEscape(v).slice(0, 1900)}` })) },
    { type: 'section', text: { type: 'mrkdwn', text: slackEscape(r.text).slice(0, 2900) } },
  ];
  if (r.link !== undefined) {
    blocks.push({ type: 'actions', elements: [{ type: 'button', text: { type: 'plain_text', text: WORDS[r.language ?? 'en'].open }, url: r.link }] });
  }
  // `text` is the fallback shown in notifications and by clients that do not render blocks.
  return { url: input.url, body: { text: slackEscape(r.title), blocks } };
}

export function formatRequest(input: FormatInput): HttpRequestPlan {
  const r = input.rendered;
  switch (input.type) {
    case 'webhook':
      return {
        url: input.url,
        body: { version: 1, idempotencyKey: input.idempotencyKey, event: input.message.type, title: r.title, text: toPlainText(r), message: input.message },
      };
    case 'wecom':
      // WeCom group bots take at most 4096 bytes of markdown.
      return { url: input.url, body: { msgtype: 'markdown', markdown: { content: truncateBytes(toMarkdown(r), 4_000) } } };
    case 'dingtalk': {
      const url = input.secret === undefined ? input.url : withQuery(input.url, { timestamp: String(input.nowMs), sign: dingtalkSign(input.secret, input.nowMs) });
      return { url, body: { msgtype: 'markdown', markdown: { title: r.title.slice(0, 100), text: truncateBytes(toMarkdown(r), 18_000) } } };
    }
    case 'feishu':
      return feishu(input);
    case 'slack':
      return slack(input);
  }
}

/**
 * Chat platforms answer HTTP 200 with an error code in the body. Returns undefined when the body says "accepted",
 * else the platform's code and message and whether waiting may help (rate limits, busy).
 */
export function platformError(type: HttpChannelType, body: string): { code: string; message: string; retry: boolean } | undefined {
  // Slack answers errors with 4xx/5xx statuses ("invalid_payload", "no_service"); a 2xx is an acceptance.
  if (type === 'webhook' || type === 'slack') return undefined;
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(body) as Record<string, unknown>;
  } catch {
    return { code: 'unparsable', message: `answer is not JSON: ${body.slice(0, 120)}`, retry: true };
  }
  const raw = type === 'feishu' ? (parsed.code ?? parsed.StatusCode) : parsed.errcode;
  const code = Number(raw ?? 0);
  if (code === 0) return undefined;
  const said = parsed.msg ?? parsed.errmsg ?? parsed.StatusMessage;
  const message = typeof said === 'string' ? said : '';
  // WeCom 45009 / -1, DingTalk 130101 / -1, Feishu 11232: too frequent or busy; anything else will not pass by waiting.
  const transient = new Set([-1, 45009, 130101, 11232]);
  return { code: String(code), message, retry: transient.has(code) };
}
