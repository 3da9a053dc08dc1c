// A store set up from nothing in Chromium (issue 14): the manager of an empty store is told the next step, adds a
// camera by name (upload-only: no green dot), gives it the address of the snapshot double and its password, tests the
// connection and sees a fresh picture; picks an SOP from the library, sets its values in the form, checks and saves the
// YAML it wrote; the zone editor then shows the camera's clean picture; a generated clip uploaded to the camera raises
// the first alert. An owner with "All my stores" is asked which store a new SOP file is for.
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addUser } from '../../services/api/index.ts';
import { composeFrame, sampleMaterial } from '../../services/demo/index.ts';
import { writeStandingClip } from '../../dashboard/test/clip.ts';
import { CHROMIUM, PASSWORD, USERS, launchChromium, newContext, signIn, startWorld, screenshot, type World } from '../../dashboard/test/harness.ts';
import { optInLoopback } from '../doubles/outbound.ts';
import { startSnapshotDouble, type SnapshotDouble } from '../doubles/snapshot-server.ts';
import { FIXTURE_HASHING } from '../fixtures/accounts.ts';

// The operator allows this machine's loopback for cameras, as a demo with the simulator does.
optInLoopback();

const NEW_MANAGER = 'manager@a2.test';
const CAM_PASSWORD = 'Onboard-Cam:pw1';
/** Upload, decoding and detection of a few seconds of clip on a loaded two-core machine. */
const ANALYSIS_MS = 300_000;

const shoot = async (page: Page, name: string): Promise<void> => {
  await screenshot(page, name, { fullPage: true });
};

describe.skipIf(!existsSync(CHROMIUM))('a new store set up from nothing in the dashboard (skipped when /usr/bin/chromium is absent)', () => {
  let world: World;
  let browser: Browser;
  let cam: SnapshotDouble;
  let clipPath = '';
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
    // Store A2 has nothing: no camera, no SOP file. Its manager starts from there.
    await addUser(world.db, { email: NEW_MANAGER, role: 'manager', stores: [world.stores.a2], password: PASSWORD, hashing: FIXTURE_HASHING });
    const { background, photo } = await sampleMaterial(640, 360);
    const jpeg = await sharp(composeFrame(background, photo, 5_000, 640, 360), { raw: { width: 640, height: 360, channels: 3 } }).jpeg().toBuffer();
    cam = await startSnapshotDouble({ jpeg: () => jpeg, username: 'admin', password: CAM_PASSWORD });
    clipPath = join(world.dataDir, 'till empty.mp4');
    await writeStandingClip(clipPath, 4);
  }, 300_000);

  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    await browser?.close();
    await cam?.stop();
    await world?.close();
    if (clipPath !== '') await rm(clipPath, { force: true });
  });

  it('adds a camera, tests it, sets an SOP up from the library and sees the first alert', async () => {
    const page = await open(NEW_MANAGER);
    // Nothing to show yet: the alerts page says the next step.
    await page.getByText('No camera yet. Next step: add a camera').waitFor();
    await shoot(page, 'onboarding-1-empty-alerts');
    await page.getByRole('link', { name: 'Add a camera' }).first().click();

    // A name is enough: the camera takes uploads only, and no green dot says otherwise.
    await page.getByLabel(/^Camera name/).fill('till-cam');
    await page.getByRole('button', { name: 'Add camera' }).click();
    await page.getByText('Uploads only: this camera is not watched live.').waitFor();
    expect(await page.locator('.camera-card .dot').getAttribute('class')).toContain('uploads');
    expect(await page.locator('.camera-card .dot.online, .camera-card .dot.seen').count()).toBe(0);

    // Its address, typed; the password is entered once and never shown back.
    await page.getByLabel('Host (address on the store network)').fill('127.0.0.1');
    await page.getByLabel('ONVIF port').fill(String(cam.port));
    await page.getByLabel('Frames from').selectOption('snapshot');
    await page.getByLabel('Snapshot URL (without user or password)').fill(cam.url);
    await page.getByLabel('Camera user name').fill('admin');
    await page.getByLabel('Camera password').fill('wrong-password');
    await page.getByRole('button', { name: 'Test connection' }).click();
    await page.getByText('The camera refused the user name or password').waitFor({ timeout: 60_000 });
    expect(await page.getByLabel('Camera password').inputValue()).toBe('');
    await page.getByLabel('Camera password').fill(CAM_PASSWORD);
    await page.getByRole('button', { name: 'Test connection' }).click();
    await page.getByText('Connected: here is a fresh picture (faces blurred).').waitFor({ timeout: 120_000 });
    await page.waitForFunction('document.querySelector(".test-picture")?.naturalWidth === 640', undefined, { timeout: 10_000 });
    expect(await page.getByLabel('Camera password').inputValue()).toBe('');
    expect(await page.locator('body').textContent()).not.toContain(CAM_PASSWORD);
    await shoot(page, 'onboarding-2-camera-tested');

    // SOP rules: none yet, so the page points at the library.
    await page.getByRole('link', { name: 'SOP rules' }).first().click();
    await page.getByText('No SOP file yet, so nothing is checked.').waitFor();
    await page.getByRole('link', { name: 'Pick from the library' }).first().click();
    const card = page.locator('.gallery .card[data-file="station-attendance.yaml"]');
    await card.waitFor();
    expect(await page.locator('.gallery .card').count()).toBeGreaterThanOrEqual(5);
    await shoot(page, 'onboarding-3-gallery');
    await card.getByRole('link', { name: 'Use this file' }).click();

    // The values people change: the camera (the only one, chosen), a duration, a schedule for every day.
    const form = page.getByRole('form', { name: 'Set up “Stations attended during opening hours”' });
    await form.waitFor();
    expect(await form.getByLabel('Camera it watches').inputValue()).not.toBe('');
    const till = form.locator('fieldset[data-rule="till-weekdays"]');
    await till.getByLabel('Longest gap allowed').fill('1s');
    await till.getByLabel('Severity').selectOption('high');
    for (const day of ['Sat', 'Sun']) await till.getByLabel(day).check();
    await till.getByLabel('From').fill('00:00');
    await till.getByLabel('To').fill('23:59');
    await shoot(page, 'onboarding-4-form');
    await form.getByRole('button', { name: 'Write the file' }).click();

    // The YAML it wrote, in the editor: a broken edit shows its line, the file as written checks and saves.
    const yamlBox = page.getByRole('textbox', { name: 'SOP file (YAML)' });
    await yamlBox.waitFor();
    const written = await yamlBox.inputValue();
    expect(written).toMatch(/cameras: \[ till-cam \]/);
    expect(written).toMatch(/max_gap: 1s/);
    expect(written).toMatch(/# Stations that must be staffed/);
    await yamlBox.fill(written.replace('max_gap: 1s', 'max_gap: one second'));
    await page.getByRole('button', { name: 'Check' }).click();
    await page.getByText(/line \d+, column \d+:/).first().waitFor();
    await yamlBox.fill(written);
    await page.getByRole('button', { name: 'Check' }).click();
    await page.getByText(/The file is valid: 3 rule\(s\)\./).waitFor();
    await page.getByRole('button', { name: 'Save as a new version' }).click();

    // Next: its zones, on the camera's clean picture (the fresh snapshot, not an evidence frame with old zones in it).
    await page.locator('.zone-editor').waitFor();
    const backdrop = page.locator('.ze-img');
    await backdrop.waitFor();
    expect(await backdrop.getAttribute('src')).toMatch(/\/snapshot\.jpg/);
    await expect.poll(() => page.locator('.ze-svg polygon').count(), { timeout: 30_000 }).toBe(2);
    await shoot(page, 'onboarding-5-zones');

    // The first alert: a clip of the camera with nobody at the till.
    await page.getByRole('link', { name: 'Clips' }).first().click();
    await page.getByLabel('Camera that filmed it').selectOption({ label: 'till-cam' });
    await page.locator('input[type=file]').setInputFiles(clipPath);
    await page.getByRole('button', { name: 'Upload and analyse' }).click();
    const outcome = page.getByText(/^(Analysed: .*|The analysis failed\.)$/);
    await outcome.waitFor({ timeout: ANALYSIS_MS });
    expect(await outcome.textContent()).toMatch(/^Analysed: [1-9]\d* alert\(s\)\./);
    await page.getByRole('link', { name: /^Alerts/ }).first().click();
    await page.locator('.queue-item').first().waitFor({ timeout: 15_000 });
    expect(await page.locator('.queue-item .qi-title').allTextContents()).toContain('Till staffed on weekdays');
    await shoot(page, 'onboarding-6-first-alert');
    expect(pageErrors).toEqual([]);
  }, 600_000);

  it('asks an owner with "All my stores" which store a new SOP file is for', async () => {
    const page = await open(USERS.owner);
    await page.locator('.store-pick').selectOption({ index: 0 });
    await page.goto(`${world.url}/sops?new=1`);
    await page.getByLabel('Which store is the new SOP file for?').waitFor();
    expect(await page.getByLabel('SOP file (YAML)').count()).toBe(0);
    await page.getByLabel('Which store is the new SOP file for?').selectOption({ label: 'A2 Harbour' });
    await page.getByLabel('SOP file (YAML)').waitFor();
    expect(new URL(page.url()).searchParams.get('store')).toBe(world.stores.a2);
    await page.getByText('For A2 Harbour.').waitFor();
  }, 60_000);
});
