// Each ready format sent for real to a loopback receiver: the JSON shape each platform expects, DingTalk and Feishu
// signatures recomputed here from their documented recipes, and how each platform's "HTTP 200 but refused" is read.
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NotifyChannelConfig } from '../../services/core/config.ts';
import type { NotificationRecord } from '../../services/core/storage/notifications.repository.ts';
import { defaultTransports, deliverTo, idempotencyKeyOf, type NotificationMessage } from '../../services/notify/index.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../doubles/webhook-receiver.ts';
import { notifyConfig } from './notify-fixture.ts';
import { optInLoopback } from '../doubles/outbound.ts';

// The doubles listen on 127.0.0.1: opt in to loopback cameras, webhooks and models as an operator would.
optInLoopback();

const NOW = Date.UTC(2025, 2, 14, 1, 5, 0);
const SECRET = 'SEC0123456789abcdef';

const message: NotificationMessage = {
  type: 'violation',
  facts: {
    violationId: 'camera/s1/bar-1/espresso-bar/shot-sequence/missing_step/tamp/p:3/1741914000000', storeId: 's1', storeName: '静安店 Jing\'an',
    cameraName: 'bar-1', sop: 'espresso-bar', rule: 'shot-sequence', step: 'tamp', kind: 'missing_step', severity: 'high',
    when: '2025-03-14 09:00 (Asia/Shanghai)', startIso: '2025-03-14T01:00:00.000Z', message: 'tamp was not seen before the shot',
  },
  link: 'https://sop.example.com/violations/camera%2Fs1',
  suppressed: 0,
};

function row(channel: string): NotificationRecord {
  return {
    id: 'n1', storeId: 's1', channel, kind: 'violation', payload: message, status: 'sending', attempts: 1, nextAt: new Date(NOW), lastError: null,
    dedupeKey: `violation:${message.type === 'violation' ? message.facts.violationId : ''}:${channel}`, violationId: null, cooldownKey: null,
    suppressedCount: 0, claimedAt: new Date(NOW), createdAt: new Date(NOW), sentAt: null,
  };
}

describe('ready notification formats', () => {
  let receiver: WebhookReceiver;
  const channels = new Map<string, NotifyChannelConfig>();

  beforeAll(async () => {
    receiver = await startWebhookReceiver();
    const config = notifyConfig({
      channels: [
        { id: 'hook', type: 'webhook', urlEnv: 'U_HOOK' },
        { id: 'wecom', type: 'wecom', urlEnv: 'U_WECOM' },
        { id: 'ding', type: 'dingtalk', urlEnv: 'U_DING', secretEnv: 'S_DING' },
        { id: 'ding-plain', type: 'dingtalk', urlEnv: 'U_DING' },
        { id: 'feishu', type: 'feishu', urlEnv: 'U_FEISHU', secretEnv: 'S_FEISHU' },
        { id: 'feishu-text', type: 'feishu', urlEnv: 'U_FEISHU', feishuMsgType: 'text' },
        { id: 'slack', type: 'slack', urlEnv: 'U_SLACK' },
      ],
    });
    for (const c of config.channels) channels.set(c.id, c);
  });
  afterAll(async () => {
    await receiver.close();
  });

  const secrets = (name: string): string | undefined => ({
    U_HOOK: receiver.url('/hook'),
    U_WECOM: receiver.url('/cgi-bin/webhook/send?key=wk'),
    U_DING: receiver.url('/robot/send?access_token=dt'),
    U_FEISHU: receiver.url('/open-apis/bot/v2/hook/fs'),
    U_SLACK: receiver.url('/services/T/B/X'),
    S_DING: SECRET,
    S_FEISHU: SECRET,
  } as Record<string, string>)[name];

  async function send(id: string) {
    const before = receiver.requests.length;
    const result = await deliverTo(channels.get(id) as NotifyChannelConfig, row(id), { secrets, nowMs: NOW, transports: defaultTransports });
    const req = receiver.requests[before];
    return { result, req, body: req?.body as Record<string, unknown> };
  }

  it('plain webhook: versioned JSON with the facts, a text rendering and the idempotency key in header and body', async () => {
    const { result, req, body } = await send('hook');
    expect(result.kind).toBe('delivered');
    expect(req?.headers['content-type']).toMatch(/^application\/json/);
    expect(req?.headers['idempotency-key']).toBe(idempotencyKeyOf(row('hook').dedupeKey));
    expect(body).toMatchObject({ version: 1, event: 'violation', idempotencyKey: req?.headers['idempotency-key'], message });
    expect(body.text).toContain('Camera: bar-1');
    expect(body.text).toContain('https://sop.example.com/violations/camera%2Fs1');
    // A station and a time, never a person: no tracked subject id, no image.
    expect(req?.raw).not.toMatch(/p:3"|data:image|base64,/);
  });

  it('WeCom group bot: msgtype markdown with the content under 4096 bytes', async () => {
    const { result, req, body } = await send('wecom');
    expect(result.kind).toBe('delivered');
    expect(req?.query).toEqual({ key: 'wk' });
    expect(Object.keys(body)).toEqual(['msgtype', 'markdown']);
    expect(body.msgtype).toBe('markdown');
    const content = (body.markdown as { content: string }).content;
    expect(Buffer.byteLength(content)).toBeLessThanOrEqual(4096);
    expect(content).toMatch(/^### \[HIGH\] 静安店 Jing'an · bar-1 — shot-sequence: tamp/);
    expect(content).toContain('**Camera:** bar-1');
    expect(content).toContain('[Open in sopwatch](https://sop.example.com/violations/camera%2Fs1)');
  });

  it('DingTalk: markdown with title and text; when signed, timestamp (ms) and sign in the query match HMAC-SHA256(secret, ts\\nsecret)', async () => {
    const { result, req, body } = await send('ding');
    expect(result.kind).toBe('delivered');
    expect(body).toMatchObject({ msgtype: 'markdown', markdown: { title: expect.stringContaining('shot-sequence') as unknown } });
    expect((body.markdown as { text: string }).text).toContain('**Severity:** high');
    expect(req?.query.access_token).toBe('dt');
    expect(req?.query.timestamp).toBe(String(NOW));
    const expected = createHmac('sha256', SECRET).update(`${NOW}\n${SECRET}`).digest('base64');
    expect(req?.query.sign).toBe(expected);
    expect(req?.path).toBe('/robot/send');
    const plain = await send('ding-plain');
    expect(plain.req?.query).toEqual({ access_token: 'dt' });
  });

  it('Feishu/Lark: an interactive card, signed in the body with HMAC-SHA256(key = ts\\nsecret, empty data), timestamp in seconds; or plain text', async () => {
    const { result, body } = await send('feishu');
    expect(result.kind).toBe('delivered');
    const ts = Math.floor(NOW / 1000);
    expect(body.timestamp).toBe(String(ts));
    expect(body.sign).toBe(createHmac('sha256', `${ts}\n${SECRET}`).update('').digest('base64'));
    expect(body.msg_type).toBe('interactive');
    const card = body.card as { header: { title: { tag: string; content: string }; template: string }; elements: Array<{ tag: string; content?: string; actions?: Array<{ url: string }> }> };
    expect(card.header.title.tag).toBe('plain_text');
    expect(card.header.template).toBe('red');
    expect(card.elements[0]?.tag).toBe('markdown');
    expect(card.elements[0]?.content).toContain('**SOP / rule:** espresso-bar / shot-sequence');
    expect(card.elements[1]?.actions?.[0]?.url).toBe('https://sop.example.com/violations/camera%2Fs1');
    const text = await send('feishu-text');
    expect(text.body).toEqual({ msg_type: 'text', content: { text: expect.stringContaining('Store: 静安店 Jing\'an') as unknown } });
  });

  it('Slack incoming webhook: a fallback text and header, fields, message and button blocks, with mrkdwn escaped', async () => {
    const { result, body } = await send('slack');
    expect(result.kind).toBe('delivered');
    const blocks = body.blocks as Array<{ type: string; text?: { type: string; text: string }; fields?: Array<{ type: string; text: string }>; elements?: Array<{ url: string }> }>;
    expect(typeof body.text).toBe('string');
    expect(blocks.map((b) => b.type)).toEqual(['header', 'section', 'section', 'actions']);
    expect(blocks[0]?.text?.type).toBe('plain_text');
    expect(blocks[0]?.text?.text.length).toBeLessThanOrEqual(150);
    expect(blocks[1]?.fields?.length).toBeLessThanOrEqual(10);
    expect(blocks[1]?.fields?.[0]).toEqual({ type: 'mrkdwn', text: '*Store*\n静安店 Jing\'an' });
    expect(blocks[3]?.elements?.[0]?.url).toBe('https://sop.example.com/violations/camera%2Fs1');
  });

  it('reads platform refusals inside HTTP 200: rate limits are retried, bad tokens and payloads are not', async () => {
    const cases: Array<[string, string, 'retry' | 'rejected' | 'delivered']> = [
      ['wecom', '{"errcode":45009,"errmsg":"api freq out of limit"}', 'retry'],
      ['wecom', '{"errcode":93000,"errmsg":"invalid webhook url"}', 'rejected'],
      ['wecom', '{"errcode":0,"errmsg":"ok"}', 'delivered'],
      ['ding', '{"errcode":130101,"errmsg":"send too fast"}', 'retry'],
      ['ding', '{"errcode":310000,"errmsg":"sign not match"}', 'rejected'],
      ['feishu', '{"code":19021,"msg":"sign match fail or timestamp is not within one hour from current time"}', 'rejected'],
      ['feishu', '{"code":11232,"msg":"frequency limited"}', 'retry'],
      ['feishu', '{"StatusCode":0,"StatusMessage":"success"}', 'delivered'],
      ['slack', 'ok', 'delivered'],
    ];
    for (const [id, answer, kind] of cases) {
      receiver.script({ kind: 'status', status: 200, body: answer });
      const { result } = await send(id);
      expect([id, answer, result.kind]).toEqual([id, answer, kind]);
    }
    receiver.script({ kind: 'status', status: 400, body: 'invalid_payload' });
    expect((await send('slack')).result.kind).toBe('rejected');
    receiver.script({ kind: 'status', status: 404, body: 'no_service' });
    const gone = await send('hook');
    expect(gone.result).toMatchObject({ kind: 'rejected' });
    // The token in the URL never appears in the recorded reason.
    receiver.script({ kind: 'status', status: 500 });
    const failed = await send('wecom');
    expect(failed.result.kind).toBe('retry');
    expect(JSON.stringify(failed.result)).not.toContain('key=wk');
  });

  it('an unset secret variable is retried, naming the variable and not the value', async () => {
    const result = await deliverTo(channels.get('ding') as NotifyChannelConfig, row('ding'), { secrets: (n) => (n === 'U_DING' ? receiver.url('/robot/send?access_token=dt') : undefined), nowMs: NOW, transports: defaultTransports });
    expect(result).toEqual({ kind: 'retry', reason: 'environment variable S_DING (signing secret) is not set' });
  });
});
