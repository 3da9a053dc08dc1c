// An owner of two stores in Chromium: both stores ranked with their compliance scores and the worst rule, then one
// store's daily digest; on a 390 px phone in Simplified Chinese the same pages fit without scrolling sideways.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ViolationKind } from '../../services/core/contracts.ts';
import { ClipRepository, ViolationRepository } from '../../services/core/storage/index.ts';
import { CameraRepository } from '../../services/core/storage/cameras.repository.ts';
import { SopFileRepository } from '../../services/core/storage/sop-files.repository.ts';
import { loadSopText } from '../../services/rules/sop-loader.ts';
import { CHROMIUM, USERS, launchChromium, newContext, signIn, startWorld, screenshot, type World } from '../../dashboard/test/harness.ts';

const REPORTS = '/reports?from=2026-10-27&to=2026-11-02';

const HARBOUR_SOP = `id: harbour-bar
title: Harbour bar
version: 1
cameras: ["*"]
rules:
  - id: no-phone
    kind: forbidden
    title: No phone at the bar
    title_zh: 吧台不许用手机
    when: { object: cell phone }
    severity: high
`;

describe.skipIf(!existsSync(CHROMIUM))('the owner\'s compliance score and daily digest in Chromium (skipped when /usr/bin/chromium is absent)', () => {
  let world: World;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  const pageErrors: string[] = [];

  const open = async (options: { locale?: string; phone?: boolean } = {}): Promise<Page> => {
    const ctx = await newContext(browser, options);
    contexts.push(ctx);
    const page = await ctx.newPage();
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await signIn(page, world.url, USERS.owner);
    return page;
  };
  const ranking = async (page: Page): Promise<string[][]> => {
    const items = page.locator('#score-view .score-rank li');
    await expect.poll(() => items.count(), { timeout: 30_000 }).toBe(2);
    return Promise.all((await items.all()).map(async (li) => [
      (await li.locator('.score-pos').textContent()) ?? '',
      (await li.locator('.score-store strong').textContent()) ?? '',
      (await li.locator('.score-value').textContent()) ?? '',
    ]));
  };
  const fitsPhone = async (page: Page): Promise<void> => {
    expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
  };

  beforeAll(async () => {
    [world, browser] = await Promise.all([startWorld(), launchChromium()]);
    const db = world.db;
    const clips = new ClipRepository(db);
    const clip = async (storeId: string, cameraId: string, iso: string): Promise<string> => {
      const c = await clips.create({ storeId, cameraId, filename: `${iso}.mp4`, path: join(world.dataDir, 'clips', `${iso}.mp4`), bytes: 1 });
      await clips.startAnalysis(c.id);
      await clips.finish(c.id);
      await db.query('UPDATE clips SET created_at = $2 WHERE id = $1', [c.id, new Date(iso)]);
      return c.id;
    };
    // A1: the harness's front-counter SOP (4 rules) on counter-1; two clips analysed, one till gap still open:
    // 8 checks, 1 violated, 87.5 %. A2: one rule, one clean clip: 100 %.
    const load = loadSopText(HARBOUR_SOP, 'harbour-bar.yaml');
    if (!load.ok) throw new Error('invalid SOP');
    await new SopFileRepository(db).addVersion(world.stores.a2, 'harbour-bar', HARBOUR_SOP, load.sop);
    await db.query(`UPDATE sop_files SET created_at = '2026-10-01T00:00:00Z'`);
    const harbourCam = await new CameraRepository(db).create({ storeId: world.stores.a2, name: 'bar-cam' });
    await clip(world.stores.a2, harbourCam.id, '2026-11-01T11:00:00Z');
    const c1 = await clip(world.stores.a1, world.cameras.a1, '2026-11-02T09:00:00Z');
    await clip(world.stores.a1, world.cameras.a1, '2026-11-02T14:00:00Z');
    const { violation } = await new ViolationRepository(db).upsert({
      storeId: world.stores.a1, clipId: c1, sopVersion: 1,
      violation: {
        id: 'front-counter/till-staffed/gap/-/*/4000', sop: 'front-counter', rule: 'till-staffed', kind: ViolationKind.Gap, cameraId: world.cameras.a1,
        startMs: 4000, endMs: 9000, severity: 'high', message: 'nobody at the till for 5 s', decidedBy: 'detector', confidence: 1, evidence: [], subject: '*',
      },
    });
    await db.query('UPDATE violations SET created_at = $2 WHERE id = $1', [violation.id, new Date('2026-11-02T09:01:00Z')]);
  }, 120_000);

  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    await browser?.close();
    await world?.close();
  });

  it('ranks both stores by score, names the worst rule, and opens a store\'s daily digest', async () => {
    const page = await open();
    await page.goto(`${world.url}${REPORTS}`);
    expect(await ranking(page)).toEqual([['1', 'A2 Harbour', '100%'], ['2', 'A1 Main St', '87.5%']]);
    const worst = page.locator('#score-view .score-rules li').first();
    expect(await worst.locator('.rc-title').textContent()).toBe('Someone at the till');
    expect(await worst.locator('.rc-value strong').textContent()).toBe('50%');
    await screenshot(page.locator('#score-view'), 'reports-score-desktop');

    await page.locator('#score-view .score-rank li', { hasText: 'A1 Main St' }).getByRole('link', { name: 'Daily digest' }).click();
    await page.getByRole('heading', { name: 'Daily digest', level: 1 }).waitFor();
    const url = new URL(page.url());
    expect([url.pathname, url.searchParams.get('storeId'), url.searchParams.get('day')]).toEqual(['/reports/digest', world.stores.a1, '2026-11-02']);
    await page.locator('.digest-table tbody tr').first().waitFor();
    const tiles = await page.locator('.digest-tiles .tile').evaluateAll((els) => els.map((e) => [e.querySelector('.tile-l')?.textContent, e.querySelector('.tile-n')?.textContent]));
    expect(tiles).toEqual([
      ['Alerts', '1'], ['High', '1'], ['Medium', '0'], ['Low', '0'], ['Waiting for a decision', '1'], ['Doubtful (need a look)', '0'],
      ['Messages held back', '0'], ['Camera time not monitored', expect.stringMatching(/^0\s*s$/)],
    ]);
    expect(await page.locator('.digest-table tbody tr').first().locator('td').allTextContents()).toEqual(['Someone at the till', '1']);
    await screenshot(page, 'report-digest-desktop', { fullPage: true });
  });

  it('fits a 390 px phone in Simplified Chinese', async () => {
    const page = await open({ phone: true, locale: 'zh-CN' });
    await page.goto(`${world.url}${REPORTS}`);
    expect((await ranking(page)).map((r) => r[2])).toEqual(['100%', '87.5%']);
    await page.getByRole('heading', { name: '合规得分' }).waitFor();
    await fitsPhone(page);
    await screenshot(page, 'reports-score-phone-zh', { fullPage: true });
    await page.locator('#score-view .score-rank li', { hasText: 'A2 Harbour' }).getByRole('link', { name: '每日摘要' }).click();
    await page.getByRole('heading', { name: '每日摘要', level: 1 }).waitFor();
    await page.locator('.digest-tiles').waitFor();
    await fitsPhone(page);
    await screenshot(page, 'report-digest-phone-zh', { fullPage: true });
    expect(pageErrors).toEqual([]);
  });
});
