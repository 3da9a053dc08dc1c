// A resumable upload in Chromium (issue 12): the page is reloaded half-way through a throttled upload; the page says an
// upload did not finish, the same file chosen again offers to go on, the bar starts where it stopped, and the server
// ends with the one upload it had, completed: the clip is byte for byte the file chosen.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { appendFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, USERS, launchChromium, newContext, signIn, startWorld, type World } from '../../dashboard/test/harness.ts';

/** Bytes a second the page may send: the 2.5 MB file takes about 8 s, so a reload lands in the middle. */
const UPLINK = 320 * 1024;

/** A top-level MP4 `free` box of `size` bytes: players and ffprobe skip it; it makes the file long enough to tear. */
function freeBox(size: number): Buffer {
  const box = Buffer.alloc(size);
  box.writeUInt32BE(size, 0);
  box.write('free', 4, 'latin1');
  return box;
}

describe.skipIf(!existsSync(CHROMIUM))('resumable upload in Chromium (skipped when /usr/bin/chromium is absent)', () => {
  let world: World;
  let browser: Browser;
  let work = '';
  let file = '';
  const contexts: BrowserContext[] = [];
  const pageErrors: string[] = [];

  beforeAll(async () => {
    [world, browser, work] = await Promise.all([startWorld(), launchChromium(), mkdtemp(join(tmpdir(), 'sopwatch-resume-'))]);
    file = join(work, 'night shift.mp4');
    execFileSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'color=c=gray:s=160x120:d=1:r=5', '-pix_fmt', 'yuv420p', '-c:v', 'libx264', file]);
    await appendFile(file, freeBox(2_500_000));
  }, 240_000);
  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    await browser?.close();
    await world?.close();
    if (work !== '') await rm(work, { recursive: true, force: true });
  });

  const watchBar = (page: Page): Promise<unknown> => page.evaluate(`window.__seen = []; new MutationObserver(() => {
    const bar = document.querySelector('[role=progressbar][aria-label="Upload progress"]');
    if (bar) window.__seen.push(Number(bar.getAttribute('aria-valuenow')));
  }).observe(document.body, { subtree: true, childList: true, attributes: true });`);
  const seen = (page: Page): Promise<number[]> => page.evaluate<number[]>('window.__seen');

  it('goes on after a reload from where it stopped, and the clip is the file', async () => {
    const ctx = await newContext(browser);
    contexts.push(ctx);
    const page = await ctx.newPage();
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await signIn(page, world.url, USERS.manager);
    await page.goto(`${world.url}/clips`);
    const cdp = await ctx.newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 10, downloadThroughput: -1, uploadThroughput: UPLINK });

    await watchBar(page);
    await page.locator('input[type=file]').setInputFiles(file);
    await page.getByText('In the store\'s time zone (Europe/London)').waitFor();
    await page.getByRole('button', { name: 'Upload and analyse' }).click();
    for (const until = Date.now() + 30_000; !(await seen(page)).some((v) => v >= 30);) {
      if (Date.now() > until) throw new Error(`the upload never passed 30 %: ${(await seen(page)).join(',')}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const before = Math.max(...(await seen(page)));
    expect(before).toBeLessThan(100);

    await page.reload();
    await page.getByText('An upload of night shift.mp4 (2.5 MB) did not finish', { exact: false }).waitFor();
    await watchBar(page);
    await page.locator('input[type=file]').setInputFiles(file);
    const resume = page.getByRole('button', { name: /^Resume the upload \(\d+ ?% sent\)$/ });
    await resume.waitFor();
    const offered = Number(/\((\d+) ?%/.exec((await resume.textContent()) ?? '')?.[1]);
    expect(offered).toBeGreaterThanOrEqual(20);
    // The rest goes three times as fast (about 2 s instead of 5.5 s): slow enough for the bar to be drawn on the way,
    // which is all this part needs; the reload above needed the slow link to land half-way.
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 10, downloadThroughput: -1, uploadThroughput: UPLINK * 3 });
    await resume.click();
    await page.getByRole('progressbar', { name: 'Analysis progress' }).or(page.getByText('Uploaded. Waiting for the analysis to start')).first().waitFor({ timeout: 30_000 });
    const after = await seen(page);
    // The bar went on from where the server was, never back to zero.
    expect(after.length).toBeGreaterThan(0);
    expect(Math.min(...after)).toBeGreaterThanOrEqual(offered);
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });

    const clips = await page.evaluate<Array<{ filename: string; sha256: string; bytes: number }>>(`fetch('/api/clips').then((r) => r.json())`);
    const ours = clips.filter((c) => c.filename === 'night shift.mp4');
    const bytes = readFileSync(file);
    expect(ours).toEqual([expect.objectContaining({ bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') })]);
    // One upload was made, and resumed: the server holds the record of one completed upload and nothing else.
    expect(readdirSync(join(world.dataDir, 'clips', '.incoming', 'tus')).filter((n) => !n.endsWith('.json'))).toEqual([]);
    expect(readdirSync(join(world.dataDir, 'clips', '.incoming', 'tus')).filter((n) => n.endsWith('.json'))).toHaveLength(1);
    // Finished: the browser forgets it, and the page offers nothing to resume.
    await page.reload();
    await page.getByRole('heading', { name: 'Check a recording' }).waitFor();
    expect(await page.getByText('did not finish').count()).toBe(0);
    expect(pageErrors).toEqual([]);
  }, 90_000);
});
