// Working through alerts in Chromium: words and filters kept in the URL, the time each alert happened, several
// alerts dismissed at once and taken back with Undo; on a phone, the tab bar and the decision buttons in reach without
// scrolling, and no keyboard hints on a touch screen.
import { existsSync } from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ViolationKind } from '../../services/core/contracts.ts';
import { ViolationRepository } from '../../services/core/storage/index.ts';
import { CHROMIUM, PHONE, USERS, launchChromium, newContext, signIn, startWorld, screenshot, type World } from '../../dashboard/test/harness.ts';

/** Waits until the list shows `n` alerts (polling the DOM through locators: the page's CSP forbids evaluated strings). */
const rows = async (page: Page, n: number): Promise<void> => {
  await expect.poll(() => page.locator('.queue-item').count(), { timeout: 30_000 }).toBe(n);
};
const shoot = async (page: Page, name: string): Promise<void> => {
  await screenshot(page, name);
};

const RULES = [
  { rule: 'back-door-clear', severity: 'low', message: 'someone loitered at the back door for 40 s', at: '2026-11-30T16:05:00Z' },
  { rule: 'till-staffed', severity: 'high', message: 'nobody at the till for 3 min', at: '2026-11-30T16:20:00Z' },
  { rule: 'till-watched', severity: 'medium', message: 'the till was left for 90 s', at: '2026-11-30T16:40:00Z' },
] as const;

describe.skipIf(!existsSync(CHROMIUM))('working through alerts in Chromium (skipped when /usr/bin/chromium is absent)', () => {
  let world: World;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  const pageErrors: string[] = [];
  const ids = new Map<string, string>();

  const open = async (options: { locale?: string; phone?: boolean } = {}): Promise<Page> => {
    const ctx = await newContext(browser, options);
    contexts.push(ctx);
    const page = await ctx.newPage();
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await signIn(page, world.url, USERS.manager);
    return page;
  };
  const statusOf = async (page: Page, rule: string): Promise<string> => page.evaluate<string>(
    `fetch('/api/violations/' + encodeURIComponent(${JSON.stringify(ids.get(rule))})).then((r) => r.json()).then((v) => v.status)`,
  );

  beforeAll(async () => {
    [world, browser] = await Promise.all([startWorld(), launchChromium()]);
    const repo = new ViolationRepository(world.db);
    for (const r of RULES) {
      const startMs = Date.parse(r.at);
      const { violation } = await repo.upsert({
        storeId: world.stores.a1,
        violation: {
          id: `front-counter/${r.rule}/forbidden/-/*/${startMs}`, sop: 'front-counter', rule: r.rule, kind: ViolationKind.Forbidden,
          cameraId: world.cameras.a1, startMs, endMs: startMs + 40_000, severity: r.severity, message: r.message, decidedBy: 'detector',
          confidence: 0.9, evidence: [], subject: '*',
        },
      });
      ids.set(r.rule, violation.id);
    }
  }, 120_000);

  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    await browser?.close();
    await world?.close();
  });

  it('finds alerts by words and filters kept in the URL, each row saying when it happened', async () => {
    const page = await open();
    await rows(page, 3);
    // Newest first, with the clock time in the store's zone (Europe/London: UTC in November).
    const times = await page.locator('.queue-item time').evaluateAll((els) => els.map((e) => e.getAttribute('datetime')));
    expect(times).toEqual(['2026-11-30T16:40:00.000Z', '2026-11-30T16:20:00.000Z', '2026-11-30T16:05:00.000Z']);
    expect(await page.locator('.queue-item').first().locator('.qi-when').textContent()).toMatch(/16:40/);

    // Rows carry the rules' titles from the SOP file in force, and words of a title find its alerts.
    await page.getByRole('searchbox', { name: 'Search' }).fill('loiters');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await rows(page, 1);
    expect(await page.locator('.queue-item .qi-title').textContent()).toBe('Nobody loiters at the back door');
    expect(new URL(page.url()).searchParams.get('q')).toBe('loiters');

    await page.getByRole('searchbox', { name: 'Search' }).fill('');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await page.getByRole('button', { name: 'Filters' }).click();
    await page.getByLabel('Severity').selectOption('high');
    await rows(page, 1);
    expect(await page.locator('.queue-item .qi-title').textContent()).toBe('Someone at the till');
    // The filtered list survives a reload.
    await page.reload();
    await rows(page, 1);
    expect(new URL(page.url()).searchParams.get('sev')).toBe('high');
    await page.getByRole('button', { name: 'Clear filters' }).click();
    await rows(page, 3);
    await page.getByLabel('From (day)').fill('2026-12-01');
    await page.getByText('No alert matches these filters.').waitFor();
  });

  it('dismisses several alerts at once, and Undo puts them back open', async () => {
    const page = await open();
    await rows(page, 3);
    await page.getByRole('checkbox', { name: 'Pick “Nobody loiters at the back door”' }).check();
    await page.getByRole('checkbox', { name: 'Pick “The till is never left for long”' }).check();
    await page.getByText('2 picked').waitFor();
    await shoot(page, 'alerts-bulk-desktop');
    const group = page.getByRole('group', { name: 'Decide several alerts' });
    await group.getByRole('combobox').selectOption('false_alarm');
    await group.getByRole('button', { name: 'Dismiss 2' }).click();
    await page.getByText('2 alerts decided.').waitFor();
    await shoot(page, 'alerts-undo-desktop');
    await rows(page, 1);
    expect(await statusOf(page, 'till-watched')).toBe('dismissed');
    expect(await statusOf(page, 'back-door-clear')).toBe('dismissed');

    await page.getByRole('button', { name: 'Undo' }).click();
    await page.getByText('Taken back: 2.').waitFor();
    await rows(page, 3);
    expect(await statusOf(page, 'till-watched')).toBe('open');
    expect(await statusOf(page, 'back-door-clear')).toBe('open');
    const history = await page.evaluate<Array<{ decision: string; undoneAt: string | null }>>(
      `fetch('/api/violations/' + encodeURIComponent(${JSON.stringify(ids.get('till-watched'))}) + '/reviews').then((r) => r.json())`,
    );
    expect(history).toHaveLength(1);
    expect(history[0]?.undoneAt).not.toBeNull();
  });

  it('on a phone: sections in a bottom tab bar, Confirm and Dismiss in view without scrolling, no keyboard hints', async () => {
    const page = await open({ phone: true });
    await rows(page, 3);
    const nav = await page.locator('nav.mainnav').boundingBox();
    expect(nav).not.toBeNull();
    expect((nav?.y ?? 0) + (nav?.height ?? 0)).toBeGreaterThanOrEqual(PHONE.height - 2);
    expect((nav?.y ?? 0)).toBeGreaterThan(PHONE.height / 2);
    for (const link of await page.locator('nav.mainnav a').all()) {
      const box = await link.boundingBox();
      expect(box !== null && box.x >= 0 && box.x + box.width <= PHONE.width + 1, `${await link.textContent()} is in view`).toBe(true);
    }
    expect(await page.locator('.keys-hint').isVisible()).toBe(false);
    await shoot(page, 'alerts-phone-tabbar');

    await page.locator('.queue-item .qi-main').first().click();
    const confirm = page.getByRole('button', { name: /^Confirm/ }).last();
    await confirm.waitFor();
    await shoot(page, 'alert-phone-decision');
    for (const button of [confirm, page.getByRole('button', { name: /^Dismiss/ }).last()]) {
      const box = await button.boundingBox();
      expect(box).not.toBeNull();
      expect((box?.y ?? 0) + (box?.height ?? 0), 'above the tab bar, without scrolling').toBeLessThanOrEqual(nav?.y ?? 0);
      expect(box?.y ?? -1).toBeGreaterThanOrEqual(0);
    }
    expect(await page.locator('kbd').first().isVisible()).toBe(false);
    await confirm.click();
    await page.getByRole('button', { name: 'Undo' }).waitFor();
    expect(pageErrors).toEqual([]);
  });
});
