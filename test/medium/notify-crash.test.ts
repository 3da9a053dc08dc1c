// A real crash: a worker process (PostgreSQL + BullMQ on Redis) is killed with SIGKILL after the receiver took the
// message and before the worker could write "sent". BullMQ re-runs the stalled job, which finds the row claimed and
// does nothing; after the lease the notifier sends it again with the same Idempotency-Key, and the receiver that
// deduplicates shows it once.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobName } from '../../services/core/jobs.ts';
import { openBullmqQueue, type JobQueue, type QueueEventMap } from '../../services/core/queue/index.ts';
import type { Database } from '../../services/core/storage/index.ts';
import { NotificationRepository } from '../../services/core/storage/notifications.repository.ts';
import { createNotifier } from '../../services/notify/index.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../doubles/webhook-receiver.ts';
import { PG_URL, addViolation, backends, drain, manualClock, notifyConfig, seedStore } from './notify-fixture.ts';
import { optInLoopback } from '../doubles/outbound.ts';
import { wipeRedisPrefix } from '../fixtures/redis-prefix.ts';

// The doubles listen on 127.0.0.1: opt in to loopback cameras, webhooks and models as an operator would.
optInLoopback();

const REDIS_URL = 'redis://127.0.0.1:6379';
const CHILD = fileURLToPath(new URL('./notify-crash-child.ts', import.meta.url));
const postgres = backends.find((b) => b.name === 'postgres');

describe('notification sender killed mid-send (PostgreSQL, BullMQ)', () => {
  let db: Database;
  let schema: string;
  let cleanup: () => Promise<void>;
  let admin: Redis;
  let receiver: WebhookReceiver;
  let child: ChildProcess | undefined;
  let queue: JobQueue | undefined;
  const prefix = `swnotify-${randomBytes(4).toString('hex')}`;

  beforeAll(async () => {
    const opened = await (postgres as NonNullable<typeof postgres>).open();
    db = opened.db;
    schema = opened.schema as string;
    cleanup = opened.cleanup;
    admin = new Redis(REDIS_URL);
    const [, policy] = (await admin.config('GET', 'maxmemory-policy')) as [string, string];
    if (policy !== 'noeviction') await admin.config('SET', 'maxmemory-policy', 'noeviction');
    receiver = await startWebhookReceiver({ dedupe: true });
  });
  afterAll(async () => {
    if (child?.exitCode === null) child.kill('SIGKILL');
    await queue?.close();
    await receiver.close();
    await wipeRedisPrefix(admin, prefix);
    await admin.quit();
    await cleanup();
  });

  it('no duplicate reaches the person; the row ends sent after two attempts', async () => {
    const { storeId, cameraIds } = await seedStore(db, 'Killed cafe');
    const notify = { leaseMs: 1_000, channels: [{ id: 'ops', type: 'webhook', urlEnv: 'HOOK_URL', stores: [storeId] }] };
    await addViolation(db, storeId, cameraIds['bar-1'] as string, { createdAtMs: Date.now() - 1_000, severity: 'high' });
    receiver.script({ kind: 'hang', processed: true });

    child = spawn(process.execPath, ['--import', 'tsx', CHILD, JSON.stringify({ pgUrl: PG_URL, schema, redisUrl: REDIS_URL, prefix, hookUrl: receiver.url('/hook'), notify })], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (c: Buffer) => { stderr += c.toString(); });
    await receiver.waitForRequests(1, 30_000).catch((err: unknown) => {
      throw new Error(`${String(err)}; child stderr: ${stderr.slice(-2000)}`);
    });
    const exited = new Promise((resolve) => child?.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;

    const outbox = new NotificationRepository(db);
    const [row] = await outbox.listForStore(storeId);
    expect(row).toMatchObject({ status: 'sending', attempts: 1 });

    // The next worker: BullMQ hands it the stalled job, which must not send again on its own.
    queue = await openBullmqQueue({ url: REDIS_URL, prefix, settings: { lockDurationMs: 2_000, stalledIntervalMs: 1_000, maxStalledCount: 2 } });
    const clock = manualClock();
    const notifier = createNotifier({ db, queue, config: notifyConfig(notify), clock: clock.now, secrets: () => receiver.url('/hook') });
    const completed: Array<QueueEventMap['completed']> = [];
    queue.on('completed', (e) => completed.push(e));
    queue.process(JobName.NotificationSend, notifier.handleSend);
    const deadline = Date.now() + 20_000;
    while (!completed.some((e) => e.jobId === `notification.${row?.id}.1`) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(completed.find((e) => e.jobId === `notification.${row?.id}.1`)?.outcome).toEqual({ status: 'skipped', reason: `notification ${row?.id} is sending` });
    expect(receiver.requests).toHaveLength(1);

    // After the lease: re-sent with the same key; the receiver recognises it.
    clock.advance(2_000);
    expect(await notifier.tick()).toMatchObject({ released: 1, enqueued: 1 });
    await drain(queue, 20_000);
    expect(await outbox.get(row?.id as string)).toMatchObject({ status: 'sent', attempts: 2 });
    expect(receiver.requests).toHaveLength(2);
    expect(receiver.requests[1]?.idempotencyKey).toBe(receiver.requests[0]?.idempotencyKey);
    expect(receiver.accepted()).toHaveLength(1);
  });
});
