// Labelling in Chromium: a manager drags along a rule's lane on a clip's timeline, marks "missed here", sees the mark on
// the timeline and the miss in the reports' accuracy view, and removes it again.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClipRepository } from '../../services/core/storage/index.ts';
import { CHROMIUM, USERS, launchChromium, newContext, signIn, startWorld, screenshot, type World } from '../../dashboard/test/harness.ts';


describe.skipIf(!existsSync(CHROMIUM))('"missed here" labels in Chromium (skipped when /usr/bin/chromium is absent)', () => {
  let world: World;
  let browser: Browser;
  let ctx: BrowserContext | undefined;
  let clipId = '';
  const pageErrors: string[] = [];

  beforeAll(async () => {
    [world, browser] = await Promise.all([startWorld(), launchChromium()]);
    // A 10 s analysed clip of store A1's counter camera: its SOP's rules are the timeline's lanes.
    const path = join(world.dataDir, 'clips', 'quiet.mp4');
    execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'color=c=gray:s=320x240:d=10:r=5', '-pix_fmt', 'yuv420p', '-c:v', 'libx264', path]);
    const clips = new ClipRepository(world.db);
    const clip = await clips.create({ storeId: world.stores.a1, cameraId: world.cameras.a1, filename: 'quiet.mp4', path, bytes: 1 });
    await world.db.query(`UPDATE clips SET status = 'done', progress = 1, finished_at = now() WHERE id = $1`, [clip.id]);
    clipId = clip.id;
  }, 120_000);

  afterAll(async () => {
    await ctx?.close().catch(() => undefined);
    await browser?.close();
    await world?.close();
  });

  it('marks a dragged span as missed, shows it on the timeline and in the accuracy view, and removes it', async () => {
    ctx = await newContext(browser);
    const page: Page = await ctx.newPage();
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await signIn(page, world.url, USERS.manager);

    // The accuracy view says how to get labels while there are none.
    await page.goto(`${world.url}/reports`);
    await expect.poll(() => page.locator('#accuracy-view').textContent(), { timeout: 30_000 }).toContain('No decisions or labels in this period yet.');

    await page.goto(`${world.url}/clips?clip=${clipId}`);
    const lane = page.locator('.tl-track[data-lane="front-counter/back-door-clear"]');
    await lane.waitFor({ timeout: 30_000 });
    // Wait for the clip's length (the axis ends at 10 s) before measuring along the lane.
    await expect.poll(() => page.locator('.tl-axis .tl-tick').last().textContent(), { timeout: 30_000 }).toMatch(/10/);
    const box = await lane.boundingBox();
    if (box === null) throw new Error('the lane has no box');
    const y = box.y + box.height / 2;
    await page.mouse.move(box.x + box.width * 0.2, y);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.35, y, { steps: 4 });
    await page.mouse.move(box.x + box.width * 0.5, y, { steps: 4 });
    await page.mouse.up();

    const form = page.getByRole('form', { name: 'Mark a missed violation' });
    expect(await form.getByLabel('Rule').inputValue()).toBe('front-counter/back-door-clear');
    expect(Number(await form.getByLabel('From (s)').inputValue())).toBeCloseTo(2, 0);
    expect(Number(await form.getByLabel('To (s)').inputValue())).toBeCloseTo(5, 0);
    await form.getByLabel('Note').fill('someone waited at the back door');
    await form.getByRole('button', { name: 'Mark missed here' }).click();

    const mark = lane.locator('.tl-mark.missed');
    await mark.waitFor({ timeout: 30_000 });
    expect(await mark.getAttribute('title')).toMatch(/^Missed here .*: someone waited at the back door$/);
    await expect.poll(() => page.getByRole('list', { name: 'Labels on this clip' }).textContent()).toContain('Nobody loiters at the back door');
    await screenshot(page, 'clip-missed-label', { fullPage: true });

    // The reports' accuracy view counts the miss for the rule.
    await page.goto(`${world.url}/reports`);
    const row = page.locator('#accuracy-view tr[data-rule="back-door-clear"]');
    await row.waitFor({ timeout: 30_000 });
    expect(await row.locator('.accuracy-missed').textContent()).toBe('1');
    await screenshot(page.locator('#accuracy-view'), 'reports-accuracy');

    // Removed again: gone from the timeline.
    await page.goto(`${world.url}/clips?clip=${clipId}`);
    await page.getByRole('button', { name: /^Remove the label on Nobody loiters at the back door/ }).click();
    await expect.poll(() => lane.locator('.tl-mark').count(), { timeout: 30_000 }).toBe(0);
    expect(await page.locator('.clip-labels').textContent()).toContain('No labels on this clip yet.');
    expect(pageErrors).toEqual([]);
  }, 180_000);
});
