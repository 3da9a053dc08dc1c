// The cameras page's stream settings in Chromium (issue 10): a manager enters the camera's user name and password;
// the password is sent once, never shown again (the form says "stored"), and an auditor sees the form read-only.
import { existsSync } from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, USERS, launchChromium, newContext, signIn, startWorld, type World } from '../../dashboard/test/harness.ts';

const CAMERA_PASSWORD = 'Door-Cam:pa55@word';

describe.skipIf(!existsSync(CHROMIUM))('stream settings form (skipped when /usr/bin/chromium is absent)', () => {
  let world: World;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  const pageErrors: string[] = [];

  const open = async (email: string): Promise<Page> => {
    const ctx = await newContext(browser);
    contexts.push(ctx);
    const page = await ctx.newPage();
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await signIn(page, world.url, email);
    return page;
  };

  beforeAll(async () => {
    [world, browser] = await Promise.all([startWorld(), launchChromium()]);
  }, 120_000);
  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    await browser?.close();
    await world?.close();
  });

  it('saves a user name and a write-only password, and shows only that one is stored', async () => {
    const page = await open(USERS.manager);
    const sent: string[] = [];
    page.on('request', (r) => { if (r.method() === 'PUT') sent.push(r.postData() ?? ''); });
    const answers: string[] = [];
    page.on('response', (r) => { if (r.url().includes('/stream')) void r.text().then((t) => answers.push(t), () => undefined); });
    await page.goto(`${world.url}/cameras?camera=${world.cameras.a1}`);
    const form = page.getByRole('form', { name: 'How sopwatch reaches this camera' });
    await form.waitFor();
    await form.getByLabel('Host (address on the store network)').fill('192.168.10.20');
    await form.getByLabel('Frames from').selectOption('rtsp');
    await form.getByLabel('RTSP URL (without user or password)').fill('rtsp://192.168.10.20:554/sub');
    await form.getByLabel('Camera user name').fill('viewer');
    await form.getByLabel('Camera password').fill(CAMERA_PASSWORD);
    await form.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Camera settings saved').waitFor();
    expect(sent).toHaveLength(1);
    expect(JSON.parse(sent[0] ?? '{}')).toMatchObject({ host: '192.168.10.20', source: 'rtsp', username: 'viewer', password: CAMERA_PASSWORD });
    // Once sent, the password is gone from the page; the field says one is stored.
    expect(await form.getByLabel('Camera password').inputValue()).toBe('');
    expect(await form.getByLabel('Camera password').getAttribute('placeholder')).toBe('stored (leave empty to keep it)');

    await page.reload();
    await form.waitFor();
    expect(await form.getByLabel('Camera user name').inputValue()).toBe('viewer');
    expect(await form.getByLabel('Camera password').getAttribute('placeholder')).toBe('stored (leave empty to keep it)');
    // Saving another setting keeps the password without sending it.
    await form.getByLabel('Frames from').selectOption('auto');
    await form.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Camera settings saved').nth(0).waitFor();
    await expect.poll(() => sent.length).toBe(2);
    expect(JSON.parse(sent[1] ?? '{}')).not.toHaveProperty('password');
    const stored = await page.evaluate(`fetch('/api/stores/${world.stores.a1}/cameras/${world.cameras.a1}/stream').then((r) => r.json())`);
    expect(stored).toMatchObject({ source: 'auto', username: 'viewer', hasPassword: true });
    expect(answers.length).toBeGreaterThanOrEqual(3);
    expect(answers.join('\n')).not.toContain(CAMERA_PASSWORD);
    expect(await page.content()).not.toContain(CAMERA_PASSWORD);
    expect(pageErrors).toEqual([]);
  }, 120_000);

  it('shows an auditor the settings read-only', async () => {
    const page = await open(USERS.auditor);
    await page.goto(`${world.url}/cameras?camera=${world.cameras.a1}`);
    const form = page.getByRole('form', { name: 'How sopwatch reaches this camera' });
    await form.waitFor();
    expect(await form.getByLabel('Camera password').isDisabled()).toBe(true);
    expect(await form.getByRole('button', { name: 'Save' }).count()).toBe(0);
  }, 60_000);
});
