// The notification outbox on both databases, through the real in-process queue and a loopback webhook receiver:
// one message per violation, cooldowns, retries with backoff, interrupted sends, escalation and shift digests.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { JobName } from '../../services/core/jobs.ts';
import { InProcessQueue } from '../../services/core/queue/index.ts';
import { ViolationRepository, type Database } from '../../services/core/storage/index.ts';
import { NotificationRepository } from '../../services/core/storage/notifications.repository.ts';
import { createNotifier, idempotencyKeyOf, postJson, zonedToUtc, type HttpTransport, type Notifier, type NotifierDeps } from '../../services/notify/index.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../doubles/webhook-receiver.ts';
import { addViolation, backends, drain, manualClock, notifyConfig, seedStore } from './notify-fixture.ts';
import { optInLoopback } from '../doubles/outbound.ts';

// The doubles listen on 127.0.0.1: opt in to loopback cameras, webhooks and models as an operator would.
optInLoopback();

const MIN = 60_000;

describe.each(backends)('notification outbox on $name', (backend) => {
  let db: Database;
  let cleanup: () => Promise<void>;
  let receiver: WebhookReceiver;
  const open: Array<{ queue: InProcessQueue; notifier: Notifier }> = [];

  beforeAll(async () => {
    ({ db, cleanup } = await backend.open());
  });
  afterAll(async () => {
    await cleanup();
  });
  afterEach(async () => {
    for (const o of open.splice(0)) {
      await o.notifier.stop();
      await o.queue.close();
    }
    await receiver.close();
  });

  /** A notifier on a real in-process queue whose NotificationSend worker is this notifier's handler. */
  function start(config: ReturnType<typeof notifyConfig>, extra: Partial<NotifierDeps> & { clock: () => number }): { notifier: Notifier; queue: InProcessQueue } {
    const queue = new InProcessQueue();
    const notifier = createNotifier({ db, queue, config, secrets: (name) => (name === 'HOOK_URL' ? receiver.url('/hook?token=t0ps3cret') : name === 'BOT_URL' ? receiver.url('/bot?key=k') : undefined), ...extra });
    queue.process(JobName.NotificationSend, notifier.handleSend);
    open.push({ queue, notifier });
    return { notifier, queue };
  }

  const outboxOf = (storeId: string) => new NotificationRepository(db).listForStore(storeId);

  it('sends one message per violation; a flapping rule on one camera is held back and counted into the next message', async () => {
    receiver = await startWebhookReceiver();
    const { storeId, cameraIds } = await seedStore(db, 'Cooldown cafe');
    const clock = manualClock();
    const t0 = clock.now();
    const config = notifyConfig({
      dashboardUrl: 'https://sop.example.com/', cooldownMs: 15 * MIN,
      channels: [{ id: 'ops', type: 'webhook', urlEnv: 'HOOK_URL', stores: [storeId], minSeverity: 'medium' }],
    });
    const { notifier, queue } = start(config, { clock: clock.now });

    const v1 = await addViolation(db, storeId, cameraIds['bar-1'] as string, { createdAtMs: t0 - 1_000 });
    await addViolation(db, storeId, cameraIds['bar-1'] as string, { createdAtMs: t0 - 900, severity: 'low' });
    expect(await notifier.tick()).toMatchObject({ queued: 1, suppressed: 0, enqueued: 1 });
    await drain(queue);
    expect(receiver.requests).toHaveLength(1);
    const first = receiver.requests[0];
    const body = first?.body as { idempotencyKey: string; event: string; text: string; message: { facts: Record<string, unknown>; link: string; suppressed: number } };
    expect(body.event).toBe('violation');
    expect(body.message.facts).toMatchObject({ storeName: 'Cooldown cafe', cameraName: 'bar-1', sop: 'espresso-bar', rule: 'shot-sequence', step: 'tamp', kind: 'missing_step', severity: 'medium' });
    expect(body.message.link).toBe(`https://sop.example.com/violations/${encodeURIComponent(v1)}`);
    expect(first?.headers['idempotency-key']).toBe(body.idempotencyKey);
    expect(body.idempotencyKey).toBe(idempotencyKeyOf(`violation:${v1}:ops`));
    // The token in the URL reached the receiver, and nothing of the secret is in the stored payload.
    expect(first?.query.token).toBe('t0ps3cret');
    expect(JSON.stringify((await outboxOf(storeId)).map((r) => r.payload))).not.toContain('t0ps3cret');

    // Two more of the same rule on the same camera within the cooldown: held back. Another camera: sent.
    clock.set(t0 + 30_000);
    await addViolation(db, storeId, cameraIds['bar-1'] as string, { createdAtMs: t0 + 10_000 });
    await addViolation(db, storeId, cameraIds['bar-1'] as string, { createdAtMs: t0 + 20_000 });
    await addViolation(db, storeId, cameraIds['bar-2'] as string, { createdAtMs: t0 + 25_000 });
    expect(await notifier.tick()).toMatchObject({ queued: 1, suppressed: 2 });
    await drain(queue);
    expect(receiver.requests.map((r) => (r.body as { message: { facts: { cameraName: string } } }).message.facts.cameraName)).toEqual(['bar-1', 'bar-2']);

    // After the cooldown the next one goes, saying how many were held back.
    clock.set(t0 + 16 * MIN);
    await addViolation(db, storeId, cameraIds['bar-1'] as string, { createdAtMs: t0 + 16 * MIN - 1_000 });
    expect(await notifier.tick()).toMatchObject({ queued: 1, suppressed: 0 });
    await drain(queue);
    expect(receiver.requests).toHaveLength(3);
    const third = receiver.requests[2]?.body as { text: string; message: { suppressed: number } };
    expect(third.message.suppressed).toBe(2);
    expect(third.text).toContain('+2 similar on this camera held back');

    // Nothing new: nothing planned, nothing sent twice.
    expect(await notifier.tick()).toMatchObject({ queued: 0, suppressed: 0, enqueued: 0 });
    await drain(queue);
    expect(receiver.requests).toHaveLength(3);
    const rows = await outboxOf(storeId);
    expect(rows.map((r) => r.status).sort()).toEqual(['sent', 'sent', 'sent', 'suppressed', 'suppressed']);
    expect(rows.filter((r) => r.status === 'sent').every((r) => r.attempts === 1 && r.sentAt !== null)).toBe(true);
  });

  it('retries after 500s with exponential backoff, honours Retry-After, and gives up after maxAttempts', async () => {
    receiver = await startWebhookReceiver();
    receiver.script({ kind: 'status', status: 500, body: 'boom' }, { kind: 'status', status: 500, body: 'boom' });
    const { storeId, cameraIds } = await seedStore(db, 'Retry cafe');
    const clock = manualClock();
    const t0 = clock.now();
    const config = notifyConfig({ backoffMs: MIN, maxBackoffMs: 10 * MIN, maxAttempts: 4, channels: [{ id: 'ops', type: 'webhook', urlEnv: 'HOOK_URL', stores: [storeId] }] });
    const { notifier, queue } = start(config, { clock: clock.now });
    const vid = await addViolation(db, storeId, cameraIds['bar-1'] as string, { createdAtMs: t0 - 1_000 });
    const row = async () => (await outboxOf(storeId)).find((r) => r.violationId === vid);

    await notifier.tick();
    await drain(queue);
    expect(await row()).toMatchObject({ status: 'pending', attempts: 1 });
    expect((await row())?.nextAt.getTime()).toBe(t0 + MIN);
    expect((await row())?.lastError).toMatch(/HTTP 500/);

    clock.set(t0 + 30_000);
    expect((await notifier.tick()).enqueued).toBe(0);
    clock.set(t0 + MIN);
    await notifier.tick();
    await drain(queue);
    expect(await row()).toMatchObject({ status: 'pending', attempts: 2 });
    expect((await row())?.nextAt.getTime()).toBe(t0 + MIN + 2 * MIN);

    clock.set(t0 + 3 * MIN);
    await notifier.tick();
    await drain(queue);
    expect(await row()).toMatchObject({ status: 'sent', attempts: 3, lastError: null });
    expect(receiver.requests).toHaveLength(3);
    expect(new Set(receiver.requests.map((r) => r.idempotencyKey)).size).toBe(1);

    // A rate limit with Retry-After longer than the backoff waits as long as the receiver asked.
    receiver.script({ kind: 'status', status: 429, headers: { 'retry-after': '600' } });
    const v2 = await addViolation(db, storeId, cameraIds['bar-2'] as string, { createdAtMs: clock.now() - 1_000 });
    await notifier.tick();
    await drain(queue);
    const limited = (await outboxOf(storeId)).find((r) => r.violationId === v2);
    expect(limited?.nextAt.getTime()).toBe(clock.now() + 600_000);

    // Always failing: failed for good after maxAttempts, never sent.
    receiver.setDefault({ kind: 'status', status: 503 });
    for (let i = 0; i < 6; i += 1) {
      clock.advance(11 * MIN);
      await notifier.tick();
      await drain(queue);
    }
    const gaveUp = (await outboxOf(storeId)).find((r) => r.violationId === v2);
    expect(gaveUp).toMatchObject({ status: 'failed', attempts: 4 });
    expect(gaveUp?.lastError).toMatch(/gave up after 4 attempts/);
  });

  it('a crash after the receiver accepted and before "sent" is written: the webhook is re-sent with the same key and deduplicated; the chat bot is not re-sent', async () => {
    receiver = await startWebhookReceiver({ dedupe: true });
    const { storeId, cameraIds } = await seedStore(db, 'Crash cafe');
    const clock = manualClock();
    const t0 = clock.now();
    const config = notifyConfig({
      leaseMs: 2 * MIN,
      channels: [
        { id: 'ops', type: 'webhook', urlEnv: 'HOOK_URL', stores: [storeId] },
        { id: 'bot', type: 'wecom', urlEnv: 'BOT_URL', stores: [storeId] },
      ],
    });
    // The first process delivers for real, then "dies": its handler never gets to write the outcome.
    const dying: HttpTransport = async (type, post) => {
      await postJson(type, post);
      return new Promise(() => undefined);
    };
    const crashed = createNotifier({ db, config, clock: clock.now, secrets: (n) => (n === 'HOOK_URL' ? receiver.url('/hook') : receiver.url('/bot')), transports: { http: dying } });
    await addViolation(db, storeId, cameraIds['bar-1'] as string, { createdAtMs: t0 - 1_000, severity: 'high' });
    expect((await crashed.tick()).queued).toBe(2);
    const rows = await outboxOf(storeId);
    for (const r of rows) void crashed.handleSend({ storeId, notificationId: r.id }, { name: JobName.NotificationSend, jobId: r.id, attempt: 1, progress: async () => undefined });
    await receiver.waitForRequests(2);
    expect((await outboxOf(storeId)).map((r) => r.status)).toEqual(['sending', 'sending']);

    // A new process: before the lease runs out nothing is touched, after it the two channels part ways.
    const { notifier, queue } = start(config, { clock: clock.now });
    clock.set(t0 + MIN);
    expect(await notifier.tick()).toMatchObject({ released: 0, abandoned: 0, enqueued: 0 });
    clock.set(t0 + 3 * MIN);
    expect(await notifier.tick()).toMatchObject({ released: 1, abandoned: 1, enqueued: 1 });
    await drain(queue);

    const hook = receiver.requests.filter((r) => r.path === '/hook');
    const bot = receiver.requests.filter((r) => r.path === '/bot');
    expect(hook).toHaveLength(2);
    expect(hook[0]?.idempotencyKey).toBe(hook[1]?.idempotencyKey);
    expect(hook.filter((r) => r.accepted)).toHaveLength(1);
    expect(bot).toHaveLength(1);
    const after = await outboxOf(storeId);
    expect(after.find((r) => r.channel === 'ops')).toMatchObject({ status: 'sent', attempts: 2 });
    expect(after.find((r) => r.channel === 'bot')).toMatchObject({ status: 'failed', attempts: 1 });
    expect(after.find((r) => r.channel === 'bot')?.lastError).toMatch(/outcome unknown/);
  });

  it('a receiver that hangs: the webhook is retried with the same key, the chat bot gives up; two senders racing for a row send it once', async () => {
    receiver = await startWebhookReceiver({ dedupe: true });
    receiver.script({ kind: 'hang' }, { kind: 'hang' });
    const { storeId, cameraIds } = await seedStore(db, 'Hang cafe');
    const clock = manualClock();
    const config = notifyConfig({
      backoffMs: 1_000,
      channels: [
        { id: 'ops', type: 'webhook', urlEnv: 'HOOK_URL', stores: [storeId], timeoutMs: 300 },
        { id: 'bot', type: 'wecom', urlEnv: 'BOT_URL', stores: [storeId], timeoutMs: 300 },
      ],
    });
    const { notifier, queue } = start(config, { clock: clock.now });
    await addViolation(db, storeId, cameraIds['bar-1'] as string, { createdAtMs: clock.now() - 1_000 });
    await notifier.tick();
    await drain(queue);
    let rows = await outboxOf(storeId);
    expect(rows.find((r) => r.channel === 'ops')).toMatchObject({ status: 'pending', attempts: 1 });
    expect(rows.find((r) => r.channel === 'bot')).toMatchObject({ status: 'failed' });
    expect(rows.find((r) => r.channel === 'ops')?.lastError).toMatch(/no answer .* within 300 ms/);

    clock.advance(1_000);
    const ops = rows.find((r) => r.channel === 'ops');
    const ctx = { name: JobName.NotificationSend, jobId: 'x', attempt: 1, progress: async () => undefined };
    // The same channels with a patient timeout, so a slow machine cannot turn the answered retry into another timeout.
    const patient = createNotifier({ db, config: { ...config, channels: config.channels.map((c) => ({ ...c, timeoutMs: 10_000 })) }, clock: clock.now, secrets: (n) => (n === 'HOOK_URL' ? receiver.url('/hook') : receiver.url('/bot')) });
    const outcomes = await Promise.all([patient.handleSend({ storeId, notificationId: ops?.id as string }, ctx), patient.handleSend({ storeId, notificationId: ops?.id as string }, ctx)]);
    expect(outcomes.map((o) => o.status).sort()).toEqual(['skipped', 'success']);
    rows = await outboxOf(storeId);
    expect(rows.find((r) => r.channel === 'ops')).toMatchObject({ status: 'sent', attempts: 2 });
    const hook = receiver.requests.filter((r) => r.path === '/hook');
    expect(hook).toHaveLength(2);
    expect(hook.filter((r) => r.accepted)).toHaveLength(1);
    // A late duplicate job for a sent row is skipped.
    expect(await patient.handleSend({ storeId, notificationId: ops?.id as string }, ctx)).toEqual({ status: 'skipped', reason: `notification ${ops?.id} is sent` });
  });

  it('escalates a high-severity violation left unreviewed past the timeout, once, to the escalation channel only', async () => {
    receiver = await startWebhookReceiver();
    const { storeId, cameraIds } = await seedStore(db, 'Escalation cafe');
    const clock = manualClock();
    const t0 = clock.now();
    const config = notifyConfig({
      escalation: { afterMs: 30 * MIN, minSeverity: 'high' },
      channels: [{ id: 'owner', type: 'webhook', urlEnv: 'HOOK_URL', stores: ['Escalation cafe'], events: ['escalation'] }],
    });
    const { notifier, queue } = start(config, { clock: clock.now });
    const high = await addViolation(db, storeId, cameraIds['bar-1'] as string, { createdAtMs: t0, severity: 'high' });
    const reviewed = await addViolation(db, storeId, cameraIds['bar-1'] as string, { createdAtMs: t0, severity: 'high', rule: 'milk-temp' });
    await addViolation(db, storeId, cameraIds['bar-2'] as string, { createdAtMs: t0, severity: 'medium' });
    await new ViolationRepository(db).setStatus(reviewed, 'dismissed');

    clock.set(t0 + 29 * MIN);
    expect(await notifier.tick()).toMatchObject({ escalations: 0, queued: 0 });
    clock.set(t0 + 31 * MIN);
    expect(await notifier.tick()).toMatchObject({ escalations: 1 });
    await drain(queue);
    expect(receiver.requests).toHaveLength(1);
    const body = receiver.requests[0]?.body as { event: string; title: string; message: { facts: { violationId: string }; unreviewedMinutes: number } };
    expect(body.event).toBe('escalation');
    expect(body.message.facts.violationId).toBe(high);
    expect(body.message.unreviewedMinutes).toBe(31);
    expect(body.title).toMatch(/^Unreviewed for 31 min/);
    clock.set(t0 + 45 * MIN);
    expect((await notifier.tick()).escalations).toBe(0);
  });

  it('sends one digest per shift end with the shift\'s counts, including what the cooldown held back', async () => {
    receiver = await startWebhookReceiver();
    const { storeId, cameraIds } = await seedStore(db, 'Digest cafe', ['bar-1'], 'Asia/Shanghai');
    const today = new Date(Date.now() + 8 * 3_600_000);
    const shiftEnd = zonedToUtc('Asia/Shanghai', today.getUTCFullYear(), today.getUTCMonth() + 1, today.getUTCDate(), 14, 0);
    const shiftStart = shiftEnd - 16 * 3_600_000;
    const clock = manualClock(shiftEnd - 2 * 3_600_000);
    const config = notifyConfig({
      cooldownMs: 15 * MIN,
      stores: [{ store: storeId, shiftEnds: ['14:00', '22:00'] }],
      channels: [
        { id: 'ops', type: 'webhook', urlEnv: 'HOOK_URL', stores: [storeId], events: ['violation'] },
        { id: 'daily', type: 'webhook', urlEnv: 'BOT_URL', stores: [storeId], events: ['digest'] },
      ],
    });
    const { notifier, queue } = start(config, { clock: clock.now });
    const cam = cameraIds['bar-1'] as string;
    await addViolation(db, storeId, cam, { createdAtMs: shiftStart - 60_000, severity: 'high' });
    await addViolation(db, storeId, cam, { createdAtMs: clock.now() - 2_000, severity: 'high' });
    await addViolation(db, storeId, cam, { createdAtMs: clock.now() - 1_000, severity: 'medium' });
    await addViolation(db, storeId, cam, { createdAtMs: clock.now() - 500, severity: 'low', status: 'needs_review', rule: 'milk-temp' });
    expect(await notifier.tick()).toMatchObject({ queued: 1, suppressed: 1, digests: 0 });

    clock.set(shiftEnd + 5 * MIN);
    expect((await notifier.tick()).digests).toBe(1);
    expect((await notifier.tick()).digests).toBe(0);
    await drain(queue);
    const digests = receiver.requests.filter((r) => r.path === '/bot');
    expect(digests).toHaveLength(1);
    const m = (digests[0]?.body as { message: { type: string; shiftStartIso: string; shiftEndIso: string; summary: Record<string, unknown> } }).message;
    expect(m.type).toBe('digest');
    expect(m.shiftEndIso).toBe(new Date(shiftEnd).toISOString());
    expect(m.shiftStartIso).toBe(new Date(shiftStart).toISOString());
    expect(m.summary).toMatchObject({ total: 3, bySeverity: { high: 1, medium: 1, low: 1 }, needsReview: 1, unreviewed: 3, suppressed: 1 });
    expect(m.summary.topRules).toEqual([{ sop: 'espresso-bar', rule: 'shot-sequence', count: 2 }, { sop: 'espresso-bar', rule: 'milk-temp', count: 1 }]);

    // Long after the shift (past digestGraceMs) and before the next one: no late digest.
    clock.set(shiftEnd + 3 * 3_600_000);
    expect((await notifier.tick()).digests).toBe(0);
  });
});
