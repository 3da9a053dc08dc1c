// The moment of an alert as video in Chromium: the alert page plays the server's MP4 (H.264: Debian's Chromium
// plays it, checked here by playing, not by canPlayType), starting where the alert starts, its time advancing; zones
// drawn on top and hidden with the toggle; and a clear sentence when the clip is gone.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ViolationKind } from '../../services/core/contracts.ts';
import { ClipRepository, ViolationRepository } from '../../services/core/storage/index.ts';
import { CHROMIUM, USERS, launchChromium, newContext, signIn, startWorld, screenshot, type World } from '../../dashboard/test/harness.ts';

/** What the test reads of the page's <video> (the Node side has no DOM types). */
interface Player { readyState: number; currentTime: number; duration: number; error: unknown; played: { length: number; start(i: number): number }; play(): Promise<void>; pause(): void }


describe.skipIf(!existsSync(CHROMIUM))('video around an alert in Chromium (skipped when /usr/bin/chromium is absent)', () => {
  let world: World;
  let browser: Browser;
  let ctx: BrowserContext;
  let page: Page;
  const ids = { playing: '', gone: '' };

  const addAlert = async (file: string, rule: string, startMs: number): Promise<string> => {
    const clip = await new ClipRepository(world.db).create({ storeId: world.stores.a1, cameraId: world.cameras.a1, filename: `${rule}.mp4`, path: file, bytes: 1000 });
    const { violation } = await new ViolationRepository(world.db).upsert({
      storeId: world.stores.a1, clipId: clip.id, sopVersion: 1,
      violation: {
        id: `front-counter/${rule}/forbidden/-/*/${startMs}`, sop: 'front-counter', rule, kind: ViolationKind.Forbidden, cameraId: world.cameras.a1,
        startMs, endMs: startMs + 1000, severity: 'low', message: 'someone loitered at the back door', decidedBy: 'detector', confidence: 0.9, evidence: [], subject: '*',
      },
    });
    return violation.id;
  };

  beforeAll(async () => {
    // A short window at a low rate: every frame goes through the face detector, the price of this test.
    [world, browser] = await Promise.all([startWorld({ config: { video: { beforeMs: 1000, afterMs: 1000, fps: 3 } } }), launchChromium()]);
    const file = join(world.dataDir, 'clips', 'counter.mp4');
    execFileSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=320x180:rate=10', '-t', '6', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-y', file]);
    ids.playing = await addAlert(file, 'back-door-clear', 4000);
    ids.gone = await addAlert(join(world.dataDir, 'clips', 'deleted.mp4'), 'till-watched', 2000);
    ctx = await newContext(browser);
    page = await ctx.newPage();
    await signIn(page, world.url, USERS.manager);
  }, 120_000);

  afterAll(async () => {
    await ctx?.close().catch(() => undefined);
    await browser?.close();
    await world?.close();
  });

  it('plays the moment from the alert\'s start, its time advancing, with the zones drawable on top', async () => {
    await page.goto(`${world.url}/alerts?status=all&v=${encodeURIComponent(ids.playing)}`);
    await page.getByRole('button', { name: 'Play the moment (video, faces blurred)' }).click();
    const video = page.locator('.moment-video video');
    await video.waitFor({ timeout: 90_000 });
    await expect.poll(() => video.evaluate((v) => (v as unknown as Player).readyState), { timeout: 30_000 }).toBeGreaterThanOrEqual(1);
    // The alert runs 4-5 s in the clip; the video from 1 s before to 1 s after: the player opens 1 s in and plays on.
    const duration = await video.evaluate((v) => (v as unknown as Player).duration);
    expect(duration).toBeGreaterThan(2.5);
    expect(duration).toBeLessThan(3.5);
    // It played from the alert's start: the first played range begins there.
    await expect.poll(() => video.evaluate((v) => (v as unknown as Player).played.length), { timeout: 15_000 }).toBeGreaterThan(0);
    const playedFrom = await video.evaluate((v) => (v as unknown as Player).played.start(0));
    expect(playedFrom).toBeGreaterThanOrEqual(0.95);
    expect(playedFrom).toBeLessThan(1.3);
    // And its time advances while playing (from the alert's start again, whatever the load made of the first run).
    await video.evaluate(async (v) => {
      const p = v as unknown as Player;
      p.pause();
      p.currentTime = 1;
      await p.play();
    });
    await expect.poll(() => video.evaluate((v) => (v as unknown as Player).currentTime), { timeout: 15_000 }).toBeGreaterThan(1.4);
    expect(await video.evaluate((v) => (v as unknown as Player).error)).toBeNull();

    // The SOP's three zones on this camera, over the picture; the toggle hides them.
    expect(await page.locator('.video-overlay polygon').count()).toBe(3);
    await screenshot(page, 'alert-video-desktop');
    await page.getByLabel('Show zones and people').uncheck();
    expect(await page.locator('.video-overlay').count()).toBe(0);
  }, 150_000);

  it('says why there is no video when the clip was deleted', async () => {
    await page.goto(`${world.url}/alerts?status=all&v=${encodeURIComponent(ids.gone)}`);
    await page.getByRole('button', { name: 'Play the moment (video, faces blurred)' }).click();
    await page.getByText('No video: the clip was deleted').waitFor({ timeout: 30_000 });
    expect(await page.locator('.moment-video video').count()).toBe(0);
  }, 60_000);
});
