// E-mail notifications through the minimal SMTP client to a loopback SMTP double: plain, STARTTLS with AUTH
// PLAIN and LOGIN, refusals read as retry or reject, and the whole outbox path on both databases.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NotifyChannelConfig } from '../../services/core/config.ts';
import { JobName } from '../../services/core/jobs.ts';
import { InProcessQueue } from '../../services/core/queue/index.ts';
import type { NotificationRecord } from '../../services/core/storage/notifications.repository.ts';
import { NotificationRepository } from '../../services/core/storage/notifications.repository.ts';
import { createNotifier, defaultTransports, deliverTo, dotStuff, idempotencyKeyOf, type NotificationMessage } from '../../services/notify/index.ts';
import { startSmtpServer, type ReceivedMail } from '../doubles/smtp-server.ts';
import { addViolation, backends, drain, notifyConfig, seedStore } from './notify-fixture.ts';

const NOW = Date.UTC(2025, 2, 14, 1, 5, 0);
const message: NotificationMessage = {
  type: 'violation',
  facts: {
    violationId: 'v-1', storeId: 's1', storeName: '静安店', cameraName: 'bar-1', sop: 'espresso-bar', rule: 'shot-sequence', step: 'tamp',
    kind: 'missing_step', severity: 'high', when: '2025-03-14 09:00 (Asia/Shanghai)', message: 'tamp was not seen\n.a line that starts with a dot',
  },
  suppressed: 0,
};
const row = (channel: string): NotificationRecord => ({
  id: 'n1', storeId: 's1', channel, kind: 'violation', payload: message, status: 'sending', attempts: 1, nextAt: new Date(NOW), lastError: null,
  dedupeKey: `violation:v-1:${channel}`, violationId: null, cooldownKey: null, suppressedCount: 0, claimedAt: new Date(NOW), createdAt: new Date(NOW), sentAt: null,
});

function channel(email: Record<string, unknown>, extra: Record<string, unknown> = {}): NotifyChannelConfig {
  return notifyConfig({ channels: [{ id: 'mail', type: 'email', email: { from: 'sopwatch@cafe.test', to: ['manager@cafe.test', 'owner@cafe.test'], ...email }, ...extra }] }).channels[0] as NotifyChannelConfig;
}

function decodeSubject(mail: ReceivedMail): string {
  const head = mail.data.split('\r\n\r\n')[0] ?? '';
  const m = /^Subject: ((?:.*)(?:\r\n .*)*)/m.exec(head);
  return (m?.[1] ?? '').split('\r\n ').map((w) => {
    const enc = /^=\?UTF-8\?B\?(.*)\?=$/.exec(w.trim());
    return enc === null ? w : Buffer.from(enc[1] ?? '', 'base64').toString('utf8');
  }).join('');
}

function bodyOf(mail: ReceivedMail): string {
  return Buffer.from((mail.data.split('\r\n\r\n')[1] ?? '').replace(/\r\n/g, ''), 'base64').toString('utf8');
}

const secrets = (n: string): string | undefined => ({ SMTP_USER: 'notify', SMTP_PASS: 'pa ss:wörd' } as Record<string, string>)[n];

const openssl = existsSync('/usr/bin/openssl');

describe('SMTP delivery to a loopback server', () => {
  let dir: string;
  let key = '';
  let cert = '';

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'sw-smtp-'));
    if (!openssl) return;
    execFileSync('/usr/bin/openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'k.pem'), '-out', join(dir, 'c.pem'),
      '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'], { stdio: 'ignore' });
    key = readFileSync(join(dir, 'k.pem'), 'utf8');
    cert = readFileSync(join(dir, 'c.pem'), 'utf8');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('delivers over plain SMTP: envelope, encoded subject, base64 UTF-8 body with dot-stuffing undone, Message-ID from the dedupe key', async () => {
    const server = await startSmtpServer();
    try {
      const result = await deliverTo(channel({ host: '127.0.0.1', port: server.port, security: 'none' }), row('mail'), { secrets, nowMs: NOW, transports: defaultTransports });
      expect(result).toMatchObject({ kind: 'delivered' });
      expect(server.messages).toHaveLength(1);
      const mail = server.messages[0] as ReceivedMail;
      expect(mail.from).toBe('sopwatch@cafe.test');
      expect(mail.to).toEqual(['manager@cafe.test', 'owner@cafe.test']);
      expect(mail.ehlo).toBe('sopwatch.localdomain');
      expect(decodeSubject(mail)).toBe('[HIGH] 静安店 · bar-1 — shot-sequence: tamp');
      expect(mail.data).toContain(`Message-ID: <${idempotencyKeyOf('violation:v-1:mail')}@sopwatch.invalid>`);
      expect(mail.data).toContain('Date: Fri, 14 Mar 2025 01:05:00 +0000');
      expect(bodyOf(mail)).toContain('Camera: bar-1');
      expect(bodyOf(mail)).toContain('tamp was not seen\n.a line that starts with a dot');
    } finally {
      await server.close();
    }
  });

  it('dot-stuffs raw lines that start with a dot', () => {
    expect(dotStuff('a\n.b\n..c')).toBe('a\r\n..b\r\n...c\r\n.\r\n');
  });

  it.skipIf(!openssl)('upgrades with STARTTLS before AUTH PLAIN, and uses AUTH LOGIN when that is all the server offers', async () => {
    for (const mechanisms of [['PLAIN', 'LOGIN'], ['LOGIN']] as const) {
      const server = await startSmtpServer({ tls: { key, cert }, users: { notify: 'pa ss:wörd' }, mechanisms: [...mechanisms] });
      try {
        const ch = channel({ host: '127.0.0.1', port: server.port, security: 'starttls', userEnv: 'SMTP_USER', passwordEnv: 'SMTP_PASS' });
        const result = await deliverTo(ch, row('mail'), { secrets, nowMs: NOW, transports: defaultTransports, smtpTls: { ca: cert } });
        expect(result.kind).toBe('delivered');
        expect(server.auths).toEqual([{ user: 'notify', ok: true, mechanism: mechanisms[0] }]);
        expect(server.messages[0]).toMatchObject({ tls: true, authUser: 'notify' });
      } finally {
        await server.close();
      }
    }
  });

  it.skipIf(!openssl)('refuses a server certificate it cannot verify (no private CA given)', async () => {
    const server = await startSmtpServer({ tls: { key, cert } });
    try {
      const result = await deliverTo(channel({ host: '127.0.0.1', port: server.port }), row('mail'), { secrets, nowMs: NOW, transports: defaultTransports });
      expect(result).toMatchObject({ kind: 'retry', reason: expect.stringMatching(/self-signed certificate/) as unknown });
      expect(server.messages).toHaveLength(0);
    } finally {
      await server.close();
    }
  });

  it('reads refusals: wrong password and 554 are final, 451 and a closed port are retried; no password without TLS off loopback', async () => {
    const server = await startSmtpServer({ users: { notify: 'other' }, dataReplies: [] });
    const ctx = { secrets, nowMs: NOW, transports: defaultTransports };
    try {
      const wrong = await deliverTo(channel({ host: '127.0.0.1', port: server.port, security: 'none', userEnv: 'SMTP_USER', passwordEnv: 'SMTP_PASS' }), row('mail'), ctx);
      expect(wrong).toMatchObject({ kind: 'rejected', reason: expect.stringMatching(/535/) as unknown });
    } finally {
      await server.close();
    }
    const refusing = await startSmtpServer({ dataReplies: [451, 554] });
    try {
      const ch = channel({ host: '127.0.0.1', port: refusing.port, security: 'none' });
      expect((await deliverTo(ch, row('mail'), ctx)).kind).toBe('retry');
      expect((await deliverTo(ch, row('mail'), ctx)).kind).toBe('rejected');
      expect((await deliverTo(ch, row('mail'), ctx)).kind).toBe('delivered');
      expect(refusing.messages).toHaveLength(1);
      // STARTTLS required but not offered: final, nothing sent in clear.
      const noTls = await deliverTo(channel({ host: '127.0.0.1', port: refusing.port, security: 'starttls' }), row('mail'), ctx);
      expect(noTls).toMatchObject({ kind: 'rejected', reason: expect.stringMatching(/does not offer STARTTLS/) as unknown });
      const port = refusing.port;
      await refusing.close();
      expect((await deliverTo(channel({ host: '127.0.0.1', port, security: 'none' }), row('mail'), ctx)).kind).toBe('retry');
    } finally {
      await refusing.close().catch(() => undefined);
    }
    const clear = await deliverTo(channel({ host: 'mail.example.com', port: 25, security: 'none', userEnv: 'SMTP_USER', passwordEnv: 'SMTP_PASS' }), row('mail'), ctx);
    expect(clear).toMatchObject({ kind: 'rejected', reason: expect.stringMatching(/refusing to send the SMTP password/) as unknown });
  });
});

describe.each(backends)('e-mail through the outbox on $name', (backend) => {
  it('a violation becomes one e-mail, marked sent once', async () => {
    const { db, cleanup } = await backend.open();
    const server = await startSmtpServer();
    const queue = new InProcessQueue();
    try {
      const { storeId, cameraIds } = await seedStore(db, 'Mail cafe');
      const config = notifyConfig({ channels: [{ id: 'mail', type: 'email', stores: [storeId], email: { host: '127.0.0.1', port: server.port, security: 'none', from: 'sopwatch@cafe.test', to: ['manager@cafe.test'] } }] });
      const notifier = createNotifier({ db, queue, config });
      queue.process(JobName.NotificationSend, notifier.handleSend);
      const vid = await addViolation(db, storeId, cameraIds['bar-1'] as string, { createdAtMs: Date.now() - 1_000, severity: 'high' });
      await notifier.tick();
      await drain(queue);
      await notifier.tick();
      await drain(queue);
      expect(server.messages).toHaveLength(1);
      expect(bodyOf(server.messages[0] as ReceivedMail)).toContain('Store: Mail cafe');
      const rows = await new NotificationRepository(db).listForStore(storeId);
      expect(rows).toMatchObject([{ violationId: vid, channel: 'mail', status: 'sent', attempts: 1 }]);
    } finally {
      await queue.close();
      await server.close();
      await cleanup();
    }
  });
});
