// The dashboard in Debian's Chromium against the real server (PGlite, in-process queue, the real detector): sign-in,
// a live alert after an upload, keyboard review, an auditor, store isolation, the zone editor changing an analysis,
// and the report. Screenshots of the main pages at desktop and phone sizes go to test/.artifacts/screenshots/.
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeStandingClip } from '../../dashboard/test/clip.ts';
import { ViolationKind } from '../../services/core/contracts.ts';
import { ViolationRepository } from '../../services/core/storage/index.ts';
import { CHROMIUM, SOP_ID, USERS, drawn, launchChromium, newContext, signIn, startWorld, screenshot, type World } from '../../dashboard/test/harness.ts';

const ANALYSIS_MS = 150_000;

interface ViolationJson { id: string; rule: string; status: string; clipId: string | null; evidence: string[] }

/** A GET from inside the page, with its session: the status and the parsed body. */
async function pageGet<T>(page: Page, url: string): Promise<{ status: number; body: T }> {
  return page.evaluate(`fetch(${JSON.stringify(url)}).then(async (r) => ({ status: r.status, body: r.headers.get('content-type')?.includes('json') ? await r.json() : await r.text() }))`);
}

/** A state-changing call made by hand from the page, with the CSRF token the page holds (what a crafty user could try). */
async function pagePost(page: Page, url: string, body: unknown): Promise<number> {
  return page.evaluate(`fetch(${JSON.stringify(url)}, { method: 'POST', headers: { 'content-type': 'application/json', 'x-csrf-token': decodeURIComponent((document.cookie.match(/sopwatch_csrf=([^;]+)/) || [])[1] || '') }, body: ${JSON.stringify(JSON.stringify(body))} }).then((r) => r.status)`);
}

async function shoot(page: Page, name: string): Promise<void> {
  // What the page asked for is drawn (harness.ts's drawn, in place of 'networkidle''s fixed 500 ms of silence).
  await drawn(page).catch(() => undefined);
  await screenshot(page, name);
}

describe.skipIf(!existsSync(CHROMIUM))('dashboard in Chromium (skipped when /usr/bin/chromium is absent: apt-get install chromium)', () => {
  let world: World;
  let browser: Browser;
  let clipPath = '';
  let clipId = '';
  let dismissedRule = '';
  const contexts: BrowserContext[] = [];
  const pageErrors: string[] = [];

  const open = async (email: string | undefined, options: { locale?: string; phone?: boolean } = {}): Promise<Page> => {
    const ctx = await newContext(browser, options);
    contexts.push(ctx);
    const page = await ctx.newPage();
    page.on('pageerror', (e) => pageErrors.push(`${email ?? 'anonymous'}: ${e.message}`));
    if (email !== undefined) await signIn(page, world.url, email);
    return page;
  };

  /**
   * A tab of a signed-in account (desktop, English), on the alerts page. The account's first signs in through the form
   * (open above, or the first test's form for the manager); the others open in that signed-in browser context, as a
   * person opens another tab, instead of signing in again (each sign-in a new context, page and form, ~2 s).
   */
  const signedIn = new Map<string, BrowserContext>();
  const tab = async (email: string): Promise<Page> => {
    const ctx = signedIn.get(email);
    if (ctx === undefined) {
      const first = await open(email);
      signedIn.set(email, first.context());
      return first;
    }
    // The tabs of earlier tests closed: each holds the live feed's connection, and Chromium opens six at most to one
    // host in a context.
    for (const old of ctx.pages()) await old.close();
    const page = await ctx.newPage();
    page.on('pageerror', (e) => pageErrors.push(`${email}: ${e.message}`));
    await page.goto(`${world.url}/alerts`);
    await page.locator('nav.mainnav').waitFor();
    return page;
  };

  beforeAll(async () => {
    [world, browser] = await Promise.all([startWorld(), launchChromium()]);
    clipPath = join(world.dataDir, 'standing at the sink.mp4');
    await writeStandingClip(clipPath, 4);
  }, 120_000);

  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    await browser?.close();
    await world?.close();
    if (clipPath !== '') await rm(clipPath, { force: true });
  });

  it('signs in through the form, in the browser\'s language, and shows only the account\'s stores', async () => {
    const page = await open(undefined);
    await page.goto(`${world.url}/`);
    await page.getByRole('heading', { name: 'Sign in to sopwatch' }).waitFor();
    expect(await page.getByText('Your session has ended').count()).toBe(0);
    await shoot(page, 'signin-desktop');
    await page.getByLabel('Email').fill(USERS.manager);
    await page.getByLabel('Password').fill('not the password at all');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('Wrong email or password.').waitFor();
    await page.getByLabel('Password').fill('correct horse battery staple');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Alerts' }).waitFor();
    expect(await page.locator('.store-pick option').allTextContents()).toEqual(['A1 Main St']);
    expect(await page.locator('body').textContent()).not.toMatch(/B Station|A2 Harbour/);
    // Signed in as the manager: the later tests' manager tabs open in this context.
    signedIn.set(USERS.manager, page.context());

    const zh = await open(undefined, { locale: 'zh-CN' });
    await zh.goto(`${world.url}/`);
    await zh.getByRole('heading', { name: '登录 sopwatch' }).waitFor();
    expect(await zh.evaluate('document.documentElement.lang')).toBe('zh-CN');
    await signIn(zh, world.url, USERS.owner);
    await zh.getByRole('link', { name: /^提醒/ }).waitFor();
    expect(await zh.locator('.store-pick option').allTextContents()).toEqual(['我的全部门店（2）', 'A1 Main St', 'A2 Harbour']);
  });

  it('uploads a clip with upload and analysis progress, and its alerts arrive live in an open inbox', async () => {
    const inbox = await tab(USERS.manager);
    await inbox.getByText('No open alerts.').waitFor();
    const clips = await inbox.context().newPage();
    await clips.goto(`${world.url}/clips`);
    // A slow uplink, so that the XHR progress events are seen between 0 and 100 %: the ~400 kB clip takes about 1.4 s,
    // in which the bar is redrawn about ten times a second (one value strictly between 0 and 100 is what is checked).
    const cdp = await clips.context().newCDPSession(clips);
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 20, downloadThroughput: -1, uploadThroughput: 288 * 1024 });
    await clips.evaluate(`window.__seen = []; new MutationObserver(() => {
      const bar = document.querySelector('[role=progressbar][aria-label="Upload progress"]');
      if (bar) window.__seen.push(Number(bar.getAttribute('aria-valuenow')));
    }).observe(document.body, { subtree: true, childList: true, attributes: true });`);
    await clips.getByLabel('Camera that filmed it').selectOption({ label: 'counter-1' });
    await clips.locator('input[type=file]').setInputFiles(clipPath);
    await clips.getByRole('button', { name: 'Upload and analyse' }).click();
    await clips.getByRole('progressbar', { name: 'Analysis progress' }).waitFor({ timeout: 30_000 });
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
    const seen = await clips.evaluate<number[]>('window.__seen');
    expect(seen.some((v) => v > 0 && v < 100), `upload progress seen: ${seen.join(',')}`).toBe(true);

    await clips.getByText('Analysed: 2 alert(s).').waitFor({ timeout: ANALYSIS_MS });
    // The inbox was never reloaded: both alerts came over the live stream.
    await inbox.locator('.queue-item').nth(1).waitFor({ timeout: 10_000 });
    // Each row says its rule's title from the SOP file in force.
    expect(await inbox.locator('.queue-item .qi-title').allTextContents()).toEqual(expect.arrayContaining(['Someone at the till', 'The till is never left for long']));
    const list = await pageGet<ViolationJson[]>(inbox, '/api/violations?status=open');
    clipId = list.body[0]?.clipId ?? '';
    expect(clipId).not.toBe('');

    await inbox.keyboard.press('j');
    const img = inbox.locator('.evidence img');
    await img.waitFor();
    await inbox.waitForFunction(`document.querySelector('.evidence img')?.naturalWidth > 0`);
    expect(await inbox.locator('.facts').textContent()).toMatch(/counter-1.*A1 Main St.*Detector/s);
    // Ids, codes and scores sit in the details section, not among the facts a manager reads first.
    expect(await inbox.locator('.code-facts').textContent()).toMatch(/front-counter v1/);
    await shoot(inbox, 'alerts-desktop');

    // The sink rule needs a vision model that is not configured: the case waits for a person, with its question.
    await clips.goto(`${world.url}/review`);
    await clips.getByText('Is the person at the sink wearing gloves?').waitFor();
    await shoot(clips, 'review-desktop');
    // A person decides it on the page, with the keyboard: j selects the case, d closes it as no violation.
    const cases = await clips.locator('.review-card').count();
    await clips.keyboard.press('j');
    await clips.locator('.review-card.selected').waitFor();
    await clips.keyboard.press('d');
    await clips.getByText('Closed: no violation.').waitFor();
    expect(await clips.locator('.review-card').count()).toBe(cases - 1);
    expect((await pageGet<Array<{ status: string; violationId: string | null }>>(clips, '/api/review-items?status=resolved')).body)
      .toMatchObject([{ status: 'resolved', violationId: null }]);
  }, ANALYSIS_MS + 60_000);

  it('confirms and dismisses with the keyboard (j/k, m, c, d, 1) and records who, why and the comment', async () => {
    const page = await tab(USERS.manager);
    await page.locator('.queue-item').nth(1).waitFor();
    await page.keyboard.press('?');
    await page.getByRole('dialog', { name: 'Keyboard shortcuts' }).waitFor();
    await page.keyboard.press('Escape');
    await page.keyboard.press('j');
    await page.keyboard.press('j');
    await page.keyboard.press('k');
    // The rule's own title, from the SOP file in force, replaces the id once the clip's summary has loaded.
    await page.locator('#alert-title', { hasText: /Someone at the till|The till is never left for long/ }).waitFor();
    const first = await page.locator('#alert-title').textContent();
    await page.keyboard.press('m');
    // The comment box has the focus before the first key: typed at once, a loaded machine could lose the first letter.
    await page.waitForFunction(`document.activeElement?.tagName === 'TEXTAREA'`);
    await page.keyboard.type('checked with the shift lead');
    await page.keyboard.press('Escape');
    await page.keyboard.press('c');
    await page.getByText('Confirmed.').waitFor();
    await page.waitForFunction(`document.querySelectorAll('.queue-item').length === 1`);
    await page.locator('#alert-title', { hasText: /Someone at the till|The till is never left for long/ }).waitFor();
    expect(await page.locator('#alert-title').textContent()).not.toBe(first);
    await page.keyboard.press('d');
    await page.getByRole('group', { name: 'Why dismiss it?' }).waitFor();
    await page.keyboard.press('1');
    await page.getByText('Dismissed: False alarm.').waitFor();
    await page.getByText('No open alerts.').waitFor();

    const all = (await pageGet<ViolationJson[]>(page, `/api/violations?clipId=${clipId}`)).body;
    const byStatus = Object.fromEntries(all.map((v) => [v.status, v]));
    expect(Object.keys(byStatus).sort()).toEqual(['confirmed', 'dismissed']);
    dismissedRule = byStatus.dismissed?.rule ?? '';
    const reviews = async (v: ViolationJson | undefined) => (await pageGet<Array<{ decision: string; reasonCode: string | null; comment: string | null; userEmail: string }>>(page, `/api/violations/${encodeURIComponent(v?.id ?? '')}/reviews`)).body;
    expect(await reviews(byStatus.confirmed)).toMatchObject([{ decision: 'confirmed', reasonCode: null, comment: 'checked with the shift lead', userEmail: USERS.manager }]);
    expect(await reviews(byStatus.dismissed)).toMatchObject([{ decision: 'dismissed', reasonCode: 'false_alarm', userEmail: USERS.manager }]);
  });

  it('lets an auditor look at everything of the store and change nothing', async () => {
    const page = await open(USERS.auditor);
    await page.getByText('Auditor access').waitFor();
    await page.goto(`${world.url}/alerts?status=all`);
    await page.locator('.queue-item').first().waitFor();
    await page.keyboard.press('j');
    await page.getByText('Read-only: your account cannot confirm or dismiss alerts.').waitFor();
    expect(await page.getByRole('button', { name: /^Confirm/ }).count()).toBe(0);
    await page.keyboard.press('c');
    await page.getByRole('status').getByText('Read-only', { exact: false }).first().waitFor();
    const list = (await pageGet<ViolationJson[]>(page, `/api/violations?clipId=${clipId}`)).body;
    expect(await pagePost(page, `/api/violations/${encodeURIComponent(list[0]?.id ?? '')}/reviews`, { decision: 'confirmed' })).toBe(403);
    expect(await pagePost(page, `/api/clips/${clipId}/reanalyse`, {})).toBe(403);
    expect((await pageGet<ViolationJson[]>(page, `/api/violations?clipId=${clipId}`)).body.map((v) => v.status).sort()).toEqual(list.map((v) => v.status).sort());

    await page.goto(`${world.url}/clips`);
    await page.getByRole('heading', { name: 'Recent clips' }).waitFor();
    expect(await page.getByRole('heading', { name: 'Check a recording' }).count()).toBe(0);
    await page.goto(`${world.url}/sops?store=${world.stores.a1}&sop=${SOP_ID}&tab=yaml`);
    await page.locator('pre.code').waitFor();
    expect(await page.getByRole('button', { name: 'Edit' }).count()).toBe(0);
    await page.goto(`${world.url}/cameras?camera=${world.cameras.a1}`);
    await page.locator('.handle').first().waitFor();
    expect(await page.locator('.handle:not([disabled])').count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Save as a new version' }).count()).toBe(0);
  });

  it('shows a manager of another store none of store A\'s alerts or evidence images', async () => {
    const page = await open(USERS.managerB);
    await page.goto(`${world.url}/alerts?status=all`);
    await page.locator('.queue-item').first().waitFor();
    expect(await page.locator('.queue-item .qi-title').allTextContents()).toEqual(['No phone']);
    const managerA = await tab(USERS.manager);
    const aViolations = (await pageGet<ViolationJson[]>(managerA, `/api/violations?clipId=${clipId}`)).body;
    const a = aViolations[0];
    expect(a?.evidence.length).toBeGreaterThan(0);
    await page.goto(`${world.url}/alerts?status=all&v=${encodeURIComponent(a?.id ?? '')}`);
    await page.getByText('Pick an alert').waitFor();
    for (const url of [
      `/api/violations/${encodeURIComponent(a?.id ?? '')}/evidence/${encodeURIComponent(a?.evidence[0] ?? '')}`,
      `/api/violations/${encodeURIComponent(a?.id ?? '')}`,
      `/api/clips/${clipId}/timeline.jpg`,
      `/api/clips/${clipId}/summary`,
      `/api/violations?storeId=${world.stores.a1}`,
    ]) {
      expect((await pageGet(page, url)).status, url).toBe(404);
    }
    // And the other way round: store A's manager cannot open store B's evidence.
    expect((await pageGet(managerA, `/api/violations/${encodeURIComponent(world.b.violationId)}/evidence/${world.b.evidenceName}`)).status).toBe(404);
    expect((await pageGet(page, `/api/violations/${encodeURIComponent(world.b.violationId)}/evidence/${world.b.evidenceName}`)).status).toBe(200);
  });

  it('saves a zone dragged in the editor as a new SOP version, and the next analysis follows it', async () => {
    const page = await tab(USERS.manager);
    await page.goto(`${world.url}/cameras`);
    await page.getByRole('link', { name: /counter-1/ }).click();
    await page.getByRole('button', { name: 'back-door' }).click();
    // The whole picture in view: the mouse only reaches what the window shows.
    await page.evaluate('document.querySelector(".ze-stage").scrollIntoView({ block: "center" })');
    const stage = await page.locator('.ze-stage').boundingBox();
    if (stage === null) throw new Error('no zone editor on the page');
    // The person's feet are at about (0.2, 0.94): move the back door around them.
    const target: Array<[number, number]> = [[0.05, 0.62], [0.42, 0.62], [0.42, 0.98], [0.05, 0.98]];
    for (const [i, [x, y]] of target.entries()) {
      const handle = await page.locator('.handle').nth(i).boundingBox();
      if (handle === null) throw new Error(`no handle ${i}`);
      await page.mouse.move(handle.x + handle.width / 2, handle.y + handle.height / 2);
      await page.mouse.down();
      await page.mouse.move(stage.x + x * stage.width, stage.y + y * stage.height, { steps: 6 });
      await page.mouse.up();
    }
    await shoot(page, 'cameras-desktop');
    await page.getByRole('button', { name: 'Save as a new version' }).click();
    await page.getByText('Saved as version 2.', { exact: false }).waitFor();

    const sop = (await pageGet<{ version: number; yaml: string }>(page, `/api/stores/${world.stores.a1}/sops/${SOP_ID}`)).body;
    expect(sop.version).toBe(2);
    const line = /^ {4}back-door: (.*)$/m.exec(sop.yaml)?.[1] ?? '';
    const saved = JSON.parse(line) as Array<[number, number]>;
    for (const [i, [x, y]] of target.entries()) {
      expect(Math.abs((saved[i]?.[0] ?? 9) - x)).toBeLessThan(0.02);
      expect(Math.abs((saved[i]?.[1] ?? 9) - y)).toBeLessThan(0.02);
    }
    expect(sop.yaml).toContain('    till: [[0.6, 0.6], [0.98, 0.6], [0.98, 1.0], [0.6, 1.0]]');

    await page.goto(`${world.url}/clips?clip=${clipId}`);
    await page.getByRole('button', { name: 'Analyse again' }).click();
    await page.getByText('Queued for a new analysis.').waitFor();
    await page.locator('.row', { hasText: 'Nobody loiters at the back door' }).waitFor({ timeout: ANALYSIS_MS });
    const rules = (await pageGet<ViolationJson[]>(page, `/api/violations?clipId=${clipId}`)).body.map((v) => v.rule).sort();
    expect(rules).toEqual(['back-door-clear', 'till-staffed', 'till-watched']);
    await page.locator('.tl-span').first().waitFor();
    await shoot(page, 'clip-desktop');
  }, ANALYSIS_MS + 60_000);

  it('shows what a rule in shadow mode found apart, as "would have alerted", never among the alerts or in the report', async () => {
    // What a live camera's worker stores for a rule marked `shadow: true` (test/medium/shadow-mode.test.ts takes an
    // SOP file with such a rule through an upload and a real analysis to the same row).
    const at = Date.now() - 60_000;
    await new ViolationRepository(world.db).upsert({
      storeId: world.stores.a1, sopVersion: 1,
      violation: {
        id: `${SOP_ID}/phone-at-till/forbidden/-/*/${at}`, sop: SOP_ID, rule: 'phone-at-till', kind: ViolationKind.Forbidden, cameraId: world.cameras.a1,
        startMs: at, endMs: at + 4000, severity: 'high', message: 'phone at the till for 4 s', decidedBy: 'detector', confidence: 1,
        evidence: [], subject: '*', shadow: true,
      },
    });
    const page = await tab(USERS.manager);
    await page.goto(`${world.url}/alerts?status=all`);
    // Every alert of the store (those of the earlier tests, if they ran), and not this one.
    await page.locator('.queue-list, .empty').first().waitFor();
    expect(await page.locator('.queue-item .qi-title').allTextContents()).not.toContain('Phone at till');
    expect(await page.locator('.badge.shadow').count()).toBe(0);

    await page.getByRole('link', { name: 'Would have alerted' }).click();
    await page.locator('#shadow-lead').waitFor();
    expect(await page.locator('#shadow-lead').textContent()).toMatch(/Nobody was alerted/);
    const item = page.locator('.queue-item', { hasText: 'Phone at till' });
    await item.waitFor();
    expect(await page.locator('.queue-item').count()).toBe(1);
    expect(await item.locator('.badge.shadow').textContent()).toBe('Shadow');
    expect(new URL(page.url()).searchParams.get('status')).toBe('shadow');
    // The open-alerts badge of the navigation does not count it either.
    const counts = await pageGet<{ total: number }>(page, `/api/violations/counts?storeId=${world.stores.a1}&rule=phone-at-till`);
    expect(counts.body.total).toBe(0);
    await shoot(page, 'alerts-shadow-desktop');
  });

  it('reports the dismissal per rule, stores side by side for the owner, and days nobody watched', async () => {
    expect(dismissedRule).not.toBe('');
    const page = await tab(USERS.owner);
    await page.goto(`${world.url}/reports`);
    // Each rule by its title in the SOP file.
    const row = page.locator('.rulechart li', { hasText: dismissedRule === 'till-watched' ? 'The till is never left for long' : 'Someone at the till' });
    await row.waitFor();
    expect(await row.locator('.rc-share').textContent()).toBe('100% dismissed');
    expect(await page.locator('.rulechart li', { hasText: 'Nobody loiters at the back door' }).locator('.rc-share').textContent()).toBe('0% dismissed');
    // The shadow rule's finding of the test before counts nowhere in the report.
    expect(await page.locator('.rulechart li', { hasText: 'Phone at till' }).count()).toBe(0);
    expect(await page.locator('.tile', { hasText: 'Dismissed' }).locator('.tile-n').textContent()).toBe('1');
    const stores = page.locator('.store-col');
    expect(await stores.count()).toBe(2);
    expect(await stores.filter({ hasText: 'A2 Harbour' }).locator('dd').last().textContent()).toBe('0/7');
    expect(await stores.filter({ hasText: 'A1 Main St' }).locator('dd').last().textContent()).toBe('1/7');
    expect(await page.locator('.unmonitored-bar').count()).toBeGreaterThan(0);
    const csv = await pageGet<string>(page, (await page.getByRole('link', { name: 'Download CSV' }).getAttribute('href')) ?? '');
    expect(csv.status).toBe(200);
    expect(csv.body).toMatch(new RegExp(`A1 Main St,front-counter,${dismissedRule},1,0,0,0,1,`));
    await shoot(page, 'reports-desktop');
  });

  it('draws every main page at desktop and phone sizes without errors or sideways scrolling on the phone', async () => {
    const pages: Array<[string, string]> = [
      ['alerts', `/alerts?status=all`],
      ['review', '/review'],
      ['clip', `/clips?clip=${clipId}`],
      ['clips', '/clips'],
      ['cameras', `/cameras?camera=${world.cameras.a1}`],
      ['sops', `/sops?store=${world.stores.a1}&sop=${SOP_ID}`],
      ['reports', '/reports'],
    ];
    const phone = await open(USERS.owner, { phone: true });
    const desktop = await tab(USERS.owner);
    for (const [name, path] of pages) {
      for (const [size, page] of [['phone', phone], ['desktop', desktop]] as const) {
        await page.goto(`${world.url}${path}`);
        await page.locator('main, .inbox').first().waitFor();
        if (name === 'alerts') {
          await page.locator('.queue-item').first().waitFor();
          await page.keyboard.press('j');
          await page.locator('.evidence img, .evidence-none').first().waitFor();
        }
        await shoot(page, `${name}-${size}`);
        const overflow = await page.evaluate<number>('document.scrollingElement.scrollWidth - window.innerWidth');
        expect(overflow, `${name} at ${size} scrolls sideways by ${overflow}px`).toBeLessThanOrEqual(1);
      }
    }
    // The manager's queue in Chinese on a phone: every word from the Chinese dictionary, actions in reach.
    const zh = await open(USERS.manager, { locale: 'zh-CN', phone: true });
    await zh.goto(`${world.url}/alerts?status=all`);
    await zh.locator('.queue-item').first().waitFor();
    await zh.keyboard.press('j');
    await zh.getByRole('button', { name: /^确认/ }).waitFor();
    expect(await zh.locator('.mainnav').textContent()).toMatch(/^提醒.*待复核.*视频.*摄像头.*SOP 规则.*报表$/);
    await shoot(zh, 'alerts-zh-phone');
    const signin = await open(undefined, { phone: true });
    await signin.goto(`${world.url}/`);
    await signin.getByRole('heading', { name: 'Sign in to sopwatch' }).waitFor();
    await shoot(signin, 'signin-phone');
    expect(pageErrors).toEqual([]);
  }, 120_000);
});
