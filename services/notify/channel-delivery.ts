// Delivers one outbox row to one configured channel: secrets read by name, the format rendered, the transport called.
import { createHash } from 'node:crypto';
import type { NotifyChannelConfig } from '../core/config.ts';
import type { NotificationRecord } from '../core/storage/notifications.repository.ts';
import { formatRequest } from './chat-formats.ts';
import type { DeliveryResult } from './delivery.ts';
import { buildEmail } from './email-message.ts';
import { postJson, type HttpTransport } from './http-delivery.ts';
import { render, type NotificationMessage } from './message.ts';
import type { NotifyLanguage } from './message-words.ts';
import { sendMail, type Envelope, type SmtpOptions } from './smtp-client.ts';

export interface Transports {
  http: HttpTransport;
  smtp: (options: SmtpOptions, envelope: Envelope, message: string) => Promise<DeliveryResult>;
}

export const defaultTransports: Transports = { http: postJson, smtp: sendMail };

export interface DeliveryContext {
  /** Reads a secret by environment variable name (core/env.ts secretFromEnv in production). */
  secrets: (name: string) => string | undefined;
  nowMs: number;
  transports: Transports;
  /** Extra TLS settings for SMTP (a private CA). */
  smtpTls?: SmtpOptions['tls'];
  /** The language of the store's messages (message-words.ts languageFor); English when absent. */
  language?: NotifyLanguage;
}

/**
 * The key a receiver may deduplicate on (`Idempotency-Key` header, webhook body, e-mail Message-ID): stable for the
 * row across retries and restarts, opaque so that no store, camera or rule name leaks into headers.
 */
export function idempotencyKeyOf(dedupeKey: string): string {
  return `sw-${createHash('sha256').update(dedupeKey).digest('hex').slice(0, 40)}`;
}

/** Whether a delivery whose outcome is unknown is sent again (same key) or given up to avoid a duplicate. */
export function resendsUnknown(channel: NotifyChannelConfig): boolean {
  return (channel.onUnknownOutcome ?? (channel.type === 'webhook' ? 'resend' : 'give_up')) === 'resend';
}

function needSecret(ctx: DeliveryContext, name: string | undefined, what: string): string | DeliveryResult {
  if (name === undefined) return { kind: 'rejected', reason: `${what} is not configured` };
  const value = ctx.secrets(name);
  // Retried, not rejected: the variable may be set when the process restarts, and the message must not be lost.
  return value ?? { kind: 'retry', reason: `environment variable ${name} (${what}) is not set` };
}

export async function deliverTo(channel: NotifyChannelConfig, row: NotificationRecord, ctx: DeliveryContext): Promise<DeliveryResult> {
  const message = row.payload as NotificationMessage;
  const rendered = render(message, ctx.language ?? 'en');
  const idempotencyKey = idempotencyKeyOf(row.dedupeKey);
  if (channel.type === 'email') {
    const mail = channel.email;
    if (mail === undefined) return { kind: 'rejected', reason: `channel ${channel.id} has no email settings` };
    let user: string | undefined;
    let password: string | undefined;
    if (mail.userEnv !== undefined || mail.passwordEnv !== undefined) {
      const u = needSecret(ctx, mail.userEnv, 'SMTP user');
      if (typeof u !== 'string') return u;
      const p = needSecret(ctx, mail.passwordEnv, 'SMTP password');
      if (typeof p !== 'string') return p;
      user = u;
      password = p;
    }
    const options: SmtpOptions = {
      host: mail.host, port: mail.port, security: mail.security, helo: mail.helo, timeoutMs: channel.timeoutMs,
      ...(user === undefined ? {} : { user }), ...(password === undefined ? {} : { password }),
      ...(ctx.smtpTls === undefined ? {} : { tls: ctx.smtpTls }),
    };
    const text = buildEmail({ from: mail.from, to: mail.to, rendered, idempotencyKey, nowMs: ctx.nowMs });
    return ctx.transports.smtp(options, { from: mail.from, to: mail.to }, text);
  }
  const url = needSecret(ctx, channel.urlEnv, 'webhook URL');
  if (typeof url !== 'string') return url;
  let secret: string | undefined;
  if (channel.secretEnv !== undefined) {
    const s = needSecret(ctx, channel.secretEnv, 'signing secret');
    if (typeof s !== 'string') return s;
    secret = s;
  }
  let plan;
  try {
    plan = formatRequest({
      type: channel.type, url, message, rendered, idempotencyKey, nowMs: ctx.nowMs, feishuMsgType: channel.feishuMsgType,
      ...(secret === undefined ? {} : { secret }),
    });
  } catch (err) {
    return { kind: 'rejected', reason: `cannot build the ${channel.type} request: ${err instanceof Error ? err.message : String(err)}` };
  }
  return ctx.transports.http(channel.type, { url: plan.url, body: plan.body, idempotencyKey, timeoutMs: channel.timeoutMs });
}
