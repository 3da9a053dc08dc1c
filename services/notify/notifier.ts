// The notifier of a worker process: a periodic pass that plans outbox rows, recovers interrupted sends and queues
// due rows as NotificationSend jobs, plus the handler of those jobs.
import type { NotifyConfig } from '../core/config.ts';
import { secretFromEnv } from '../core/env.ts';
import { JobName, type JobHandler } from '../core/jobs.ts';
import type { JobQueue } from '../core/queue/index.ts';
import type { Database } from '../core/storage/database.ts';
import { NotificationRepository } from '../core/storage/notifications.repository.ts';
import { defaultTransports, resendsUnknown, type DeliveryContext, type Transports } from './channel-delivery.ts';
import { createSendHandler } from './outbox-sender.ts';
import { planNotifications, type PlanCounts } from './planner.ts';

/** Advisory-lock class of the planner; the second key is the schema, as for migrations. */
const PLAN_LOCK = 0x53570002;

export interface NotifierDeps {
  db: Database;
  config: NotifyConfig;
  /** Where due rows go as NotificationSend jobs; without one, tick() plans and recovers but sends nothing. */
  queue?: JobQueue;
  /** Milliseconds since the epoch; injectable so tests can move time (cooldowns, escalation, shifts, backoff). */
  clock?: () => number;
  /** Secret by environment variable name; default core/env.ts secretFromEnv. */
  secrets?: (name: string) => string | undefined;
  transports?: Partial<Transports>;
  smtpTls?: DeliveryContext['smtpTls'];
  /** Called when a periodic pass fails (the next one tries again). */
  onError?: (err: unknown) => void;
}

export interface TickResult extends PlanCounts {
  /** Interrupted sends put back to pending (their channel deduplicates). */
  released: number;
  /** Interrupted sends marked failed (their channel cannot take a duplicate). */
  abandoned: number;
  /** NotificationSend jobs added (ids already queued are ignored by the queue). */
  enqueued: number;
}

export interface Notifier {
  /** Register as the JobName.NotificationSend handler. */
  handleSend: JobHandler<JobName.NotificationSend>;
  /** One pass; safe to run in several processes at once. */
  tick(): Promise<TickResult>;
  /** Runs tick() every config.pollMs until stop(). */
  start(): void;
  stop(): Promise<void>;
}

export function createNotifier(deps: NotifierDeps): Notifier {
  const clock = deps.clock ?? Date.now;
  const config = deps.config;
  const transports: Transports = { ...defaultTransports, ...deps.transports };
  const outbox = new NotificationRepository(deps.db);
  const channels = new Map(config.channels.map((c) => [c.id, c]));
  const handleSend = createSendHandler({
    db: deps.db, config, clock, secrets: deps.secrets ?? ((name) => secretFromEnv(name)), transports,
    ...(deps.smtpTls === undefined ? {} : { smtpTls: deps.smtpTls }),
  });

  const recover = async (nowMs: number): Promise<{ released: number; abandoned: number }> => {
    const before = nowMs - config.leaseMs;
    let released = 0;
    let abandoned = 0;
    for (const row of await outbox.stale(before)) {
      const channel = channels.get(row.channel);
      if (channel !== undefined && resendsUnknown(channel) && row.attempts < config.maxAttempts) {
        if (await outbox.release(row.id, before, nowMs, 'interrupted while sending; sent again with the same idempotency key')) released += 1;
      } else if (await outbox.abandon(row.id, before, 'interrupted while sending; outcome unknown, not re-sent to avoid a duplicate')) {
        abandoned += 1;
      }
    }
    return { released, abandoned };
  };

  const tick = async (): Promise<TickResult> => {
    const nowMs = clock();
    const planned = config.channels.length === 0
      ? { queued: 0, suppressed: 0, escalations: 0, digests: 0 }
      : await deps.db.transaction(async (tx) => {
        await tx.query('SELECT pg_advisory_xact_lock($1::integer, hashtext(current_schema()))', [PLAN_LOCK]);
        return planNotifications(tx, config, nowMs);
      });
    const recovered = await recover(nowMs);
    let enqueued = 0;
    if (deps.queue !== undefined) {
      for (const row of await outbox.due(nowMs)) {
        // One job id per attempt: a duplicate add of the same attempt is ignored, the next attempt gets a new job.
        await deps.queue.add(JobName.NotificationSend, { storeId: row.storeId, notificationId: row.id }, { jobId: `notification.${row.id}.${row.attempts + 1}` });
        enqueued += 1;
      }
    }
    return { ...planned, ...recovered, enqueued };
  };

  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> = Promise.resolve();
  let stopped = false;
  const schedule = (): void => {
    if (stopped) return;
    timer = setTimeout(() => {
      running = tick().catch((err: unknown) => deps.onError?.(err)).finally(schedule);
    }, config.pollMs);
    timer.unref();
  };

  return {
    handleSend,
    tick,
    start: () => {
      if (timer === undefined && !stopped) schedule();
    },
    stop: async () => {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
