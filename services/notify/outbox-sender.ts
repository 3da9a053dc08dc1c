// The NotificationSend job: claim one outbox row, deliver it once, record how it ended.
//
// Delivery is at-least-once towards receivers that deduplicate, at-most-once towards those that cannot:
// - The claim (pending -> sending, attempts + 1) is one UPDATE ... WHERE status = 'pending' RETURNING, committed before
//   any byte leaves, so two senders (a duplicate job, a BullMQ re-run after a stall) never both send one row.
// - `sent` is written only after the receiver accepted. If the process dies between the two, the row stays `sending`;
//   after `leaseMs` the notifier decides: channels that deduplicate on the idempotency key (plain webhooks, by
//   default) get the same message again with the same key; chat bots and e-mail (no such key) are marked failed with
//   "outcome unknown" instead of being re-sent blindly — a possible loss that the shift digest still counts.
// - Exactly-once end to end needs the receiver's help: it must drop a second request with a key it has seen.
import type { NotifyChannelConfig, NotifyConfig } from '../core/config.ts';
import type { JobHandler, JobName, JobOutcome } from '../core/jobs.ts';
import type { Queryable } from '../core/storage/database.ts';
import { NotificationRepository, type NotificationRecord } from '../core/storage/notifications.repository.ts';
import { deliverTo, resendsUnknown, type DeliveryContext, type Transports } from './channel-delivery.ts';
import { describe, type DeliveryResult } from './delivery.ts';
import type { NotificationMessage } from './message.ts';
import { languageFor } from './message-words.ts';

export interface SenderDeps {
  db: Queryable;
  config: NotifyConfig;
  clock: () => number;
  secrets: (name: string) => string | undefined;
  transports: Transports;
  smtpTls?: DeliveryContext['smtpTls'];
}

/** Wait before retry number `attempt` (1 after the first failure): backoffMs·2^(attempt-1), capped. */
export function retryDelayMs(config: Pick<NotifyConfig, 'backoffMs' | 'maxBackoffMs'>, attempt: number): number {
  return Math.min(config.maxBackoffMs, config.backoffMs * 2 ** Math.max(0, attempt - 1));
}

export function createSendHandler(deps: SenderDeps): JobHandler<JobName.NotificationSend> {
  const outbox = new NotificationRepository(deps.db);
  const channels = new Map<string, NotifyChannelConfig>(deps.config.channels.map((c) => [c.id, c]));

  const settle = async (row: NotificationRecord, channel: NotifyChannelConfig, result: DeliveryResult): Promise<JobOutcome> => {
    const now = deps.clock();
    const tag = `notification ${row.id} (${row.channel}, attempt ${row.attempts})`;
    switch (result.kind) {
      case 'delivered': {
        const mine = await outbox.markSent(row.id, now);
        return mine ? { status: 'success' } : { status: 'skipped', reason: `${tag}: delivered, but the row was taken over meanwhile` };
      }
      case 'rejected':
        await outbox.fail(row.id, result.reason);
        return { status: 'failed', reason: `${tag}: ${result.reason}`, retry: false };
      case 'unknown':
        if (!resendsUnknown(channel)) {
          await outbox.fail(row.id, `outcome unknown, not re-sent to avoid a duplicate: ${result.reason}`);
          return { status: 'failed', reason: `${tag}: ${result.reason}`, retry: false };
        }
        break;
      case 'retry':
        break;
    }
    if (row.attempts >= deps.config.maxAttempts) {
      await outbox.fail(row.id, `gave up after ${row.attempts} attempts: ${result.reason}`);
      return { status: 'failed', reason: `${tag}: gave up: ${result.reason}`, retry: false };
    }
    const waitMs = Math.max(retryDelayMs(deps.config, row.attempts), result.kind === 'retry' ? (result.retryAfterMs ?? 0) : 0);
    await outbox.retryAt(row.id, now + waitMs, result.reason);
    // The outbox owns retries (durable, in the database); the queue must not retry this job on its own as well.
    return { status: 'failed', reason: `${tag}: ${result.reason}; retry in ${waitMs} ms`, retry: false };
  };

  return async ({ notificationId }) => {
    const row = await outbox.claim(notificationId, deps.clock());
    if (row === undefined) {
      const now = await outbox.get(notificationId);
      const why = now === undefined ? 'no longer exists' : now.status === 'pending' ? 'is not due yet' : `is ${now.status}`;
      return { status: 'skipped', reason: `notification ${notificationId} ${why}` };
    }
    const channel = channels.get(row.channel);
    if (channel === undefined) {
      await outbox.fail(row.id, `channel "${row.channel}" is no longer configured`);
      return { status: 'failed', reason: `notification ${row.id}: channel "${row.channel}" is no longer configured`, retry: false };
    }
    let result: DeliveryResult;
    try {
      const message = row.payload as NotificationMessage;
      const language = languageFor(deps.config, { id: row.storeId, name: message.type === 'digest' ? message.storeName : message.facts.storeName });
      result = await deliverTo(channel, row, { secrets: deps.secrets, nowMs: deps.clock(), transports: deps.transports, language, ...(deps.smtpTls === undefined ? {} : { smtpTls: deps.smtpTls }) });
    } catch (err) {
      // The transports return values; a throw is a bug somewhere between, after which nobody knows what left.
      result = { kind: 'unknown', reason: `delivery threw: ${describe(err)}` };
    }
    return settle(row, channel, result);
  };
}
