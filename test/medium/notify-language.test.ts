// Messages in each store's language through the real outbox, on both databases: one store set to Simplified Chinese
// in notify.stores, one left at the English default, the same violation in each; the rule's title comes from the
// store's SOP file (title / title_zh, and the step's) and the engine's message from its stored parts.
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobName } from '../../services/core/jobs.ts';
import { InProcessQueue } from '../../services/core/queue/index.ts';
import type { Database } from '../../services/core/storage/index.ts';
import { SopFileRepository } from '../../services/core/storage/sop-files.repository.ts';
import { createNotifier } from '../../services/notify/index.ts';
import { parts } from '../../services/rules/message-text.ts';
import { loadSopText } from '../../services/rules/sop-loader.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../doubles/webhook-receiver.ts';
import { optInLoopback } from '../doubles/outbound.ts';
import { addViolation, backends, drain, manualClock, notifyConfig, seedStore } from './notify-fixture.ts';

// The receiver listens on 127.0.0.1: opt in to loopback webhooks as an operator would.
optInLoopback();

describe.each(backends)('notifications in the store\'s language on $name', (backend) => {
  let db: Database;
  let cleanup: () => Promise<void>;
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    ({ db, cleanup } = await backend.open());
    receiver = await startWebhookReceiver();
  });
  afterAll(async () => {
    await receiver?.close();
    await cleanup();
  });

  it('sends the same violation in Simplified Chinese to one store and in English to the other', async () => {
    const yaml = await readFile(resolve(import.meta.dirname, '../../sop-rules/espresso-bar.yaml'), 'utf8');
    const loaded = loadSopText(yaml, 'espresso-bar.yaml');
    if (!loaded.ok) throw new Error(loaded.errors.map((e) => e.message).join('; '));
    const zh = await seedStore(db, '静安店');
    const en = await seedStore(db, 'Main St');
    const clock = manualClock();
    const tamp = { id: 'tamp', title: { en: 'Tamp the portafilter', 'zh-CN': '压粉' } };
    for (const store of [zh, en]) {
      await new SopFileRepository(db).addVersion(store.storeId, 'espresso-bar', yaml, loaded.sop);
      const id = await addViolation(db, store.storeId, store.cameraIds['bar-1'] as string, { createdAtMs: clock.now() - 1_000 });
      await db.query('UPDATE violations SET message_parts = $2::jsonb WHERE id = $1', [id, JSON.stringify(parts('timeout', { step: tamp, withinMs: 90_000 }))]);
    }
    const config = notifyConfig({
      stores: [{ store: '静安店', language: 'zh-CN' }],
      channels: [{ id: 'ops', type: 'webhook', urlEnv: 'HOOK_URL', stores: ['*'], minSeverity: 'low' }],
    });
    const queue = new InProcessQueue();
    const notifier = createNotifier({ db, queue, config, clock: clock.now, secrets: (name) => (name === 'HOOK_URL' ? receiver.url('/hook') : undefined) });
    queue.process(JobName.NotificationSend, notifier.handleSend);
    try {
      expect(await notifier.tick()).toMatchObject({ queued: 2, enqueued: 2 });
      await drain(queue);
    } finally {
      await notifier.stop();
      await queue.close();
    }
    const bodies = receiver.requests.map((r) => r.body as { title: string; text: string; message: { facts: { storeId: string } } });
    const of = (storeId: string) => bodies.find((b) => b.message.facts.storeId === storeId);
    expect(of(zh.storeId)?.title).toBe('【中】静安店 · bar-1 — 90 秒内依次完成磨粉、压粉、萃取：压粉');
    expect(of(zh.storeId)?.text.split('\n').slice(2, 9)).toEqual([
      '门店：静安店', '摄像头：bar-1', 'SOP / 规则：espresso-bar / 90 秒内依次完成磨粉、压粉、萃取', '步骤：压粉', '类型：缺少步骤', '严重程度：中',
      expect.stringMatching(/^时间：\d{4}-\d\d-\d\d \d\d:\d\d \(Asia\/Shanghai\)$/),
    ]);
    expect(of(zh.storeId)?.text).toContain('\n\n压粉：90 秒内没有看到');
    expect(of(en.storeId)?.title).toBe('[MEDIUM] Main St · bar-1 — Grind, then tamp, then brew, all within 90 s: Tamp the portafilter');
    expect(of(en.storeId)?.text).toContain('\nSOP / rule: espresso-bar / Grind, then tamp, then brew, all within 90 s\n');
    // The English reader gets the stored English text, as before.
    expect(of(en.storeId)?.text).toContain('\n\ntamp was not seen before the shot');
  });
});
