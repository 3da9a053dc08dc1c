// The browser suite's world: the real server in this process on the embedded defaults (PGlite in a temp dir, in-process
// queue, the real clip worker), the dashboard on it, accounts of every role in two franchises, and Chromium.
import type { JobOutcome } from '../../services/core/jobs.ts';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { chromium, type Browser, type BrowserContext, type Locator, type Page, type Request } from 'playwright-core';
import sharp from 'sharp';
import { addUser, buildApp, type ApiConfig } from '../../services/api/index.ts';
import { dashboardPlugin } from '../../services/api/plugins/app/dashboard.plugin.ts';
import { ViolationKind } from '../../services/core/contracts.ts';
import { defaultQueueSettings, openJobQueue, startWorkers, type JobQueue } from '../../services/core/queue/index.ts';
import { ClipRepository, ViolationRepository, openDatabase, type Database } from '../../services/core/storage/index.ts';
import { CameraRepository } from '../../services/core/storage/cameras.repository.ts';
import { EvidenceRepository } from '../../services/core/storage/evidence.repository.ts';
import { SopFileRepository } from '../../services/core/storage/sop-files.repository.ts';
import { StoreRepository } from '../../services/core/storage/stores.repository.ts';
import { loadSopText } from '../../services/rules/sop-loader.ts';
import { ClipDetectors, createClipAnalyseWorker } from '../../services/service/index.ts';
import { handlerRegistry } from '../../services/service/handlers.ts';
import { FIXTURE_HASHING } from '../../test/fixtures/accounts.ts';

export const CHROMIUM = '/usr/bin/chromium';

/** Where the browser tests write their screenshots, for people to look at (no test reads them). */
export const SCREENSHOTS_DIR = resolve(import.meta.dirname, '../../test/.artifacts/screenshots');
/**
 * Screenshots are written only with SOPWATCH_SCREENSHOTS=1: encoding a PNG of every page visited costs the suite
 * minutes of CPU on a 2-core machine, and nothing asserts on them.
 */
export const SCREENSHOTS = process.env.SOPWATCH_SCREENSHOTS === '1';

/** A screenshot `<name>.png` of a page or of one element, when SCREENSHOTS is on; nothing otherwise. */
export async function screenshot(target: Page | Locator, name: string, options: { fullPage?: boolean } = {}): Promise<void> {
  if (!SCREENSHOTS) return;
  await mkdir(SCREENSHOTS_DIR, { recursive: true });
  const path = join(SCREENSHOTS_DIR, `${name}.png`);
  await ('goto' in target ? target.screenshot({ path, fullPage: options.fullPage ?? false }) : target.screenshot({ path }));
}
export const PASSWORD = 'correct horse battery staple';
export const USERS = { owner: 'owner@f1.test', manager: 'manager@a1.test', auditor: 'auditor@a1.test', managerB: 'manager@b.test' } as const;

/**
 * Zones on the demo kitchen (640x360): a person stands at the sink, on the left. Nobody ever stands at the till or
 * the back door, on the right: two `required` rules on the till raise gaps, the back door raises nothing until its
 * zone is moved onto the person. The sink rule asks a model that is not configured: a case for a person.
 */
export const SOP_ID = 'front-counter';
export const SOP_YAML = `id: ${SOP_ID}
title: Front counter
version: 1
cameras: [counter-1]
zones:
  counter-1:
    sink: [[0.02, 0.6], [0.45, 0.6], [0.45, 1.0], [0.02, 1.0]]
    till: [[0.6, 0.6], [0.98, 0.6], [0.98, 1.0], [0.6, 1.0]]
    back-door: [[0.7, 0.62], [0.96, 0.62], [0.96, 0.98], [0.7, 0.98]]
rules:
  - id: till-staffed
    title: Someone at the till
    kind: required
    when: { person_in: till }
    max_gap: 1s
    severity: high
  - id: till-watched
    title: The till is never left for long
    kind: required
    when: { person_in: till }
    max_gap: 2s
  - id: back-door-clear
    title: Nobody loiters at the back door
    kind: forbidden
    when: { person_in: back-door }
    for: 1s
    severity: low
  - id: gloves-at-sink
    title: Gloves on at the sink
    kind: forbidden
    when: { person_in: sink }
    for: 1s
    verify: { question: "Is the person at the sink wearing gloves?", expect: yes }
`;

export interface World {
  url: string;
  app: FastifyInstance;
  db: Database;
  dataDir: string;
  stores: { a1: string; a2: string; b: string };
  cameras: { a1: string; b: string };
  /** Store B's one violation, seeded with an evidence image: what store A's people must never see. */
  b: { violationId: string; evidenceName: string };
  close(): Promise<void>;
}

async function seed(db: Database, dataDir: string): Promise<Omit<World, 'url' | 'app' | 'db' | 'dataDir' | 'close'>> {
  const stores = new StoreRepository(db);
  const a1 = await stores.create({ name: 'A1 Main St', franchise: 'F1', tz: 'Europe/London' });
  const a2 = await stores.create({ name: 'A2 Harbour', franchise: 'F1', tz: 'Europe/London' });
  const b = await stores.create({ name: 'B Station', franchise: 'F2', tz: 'Asia/Shanghai' });
  await addUser(db, { email: USERS.owner, role: 'owner', franchise: 'F1', password: PASSWORD, hashing: FIXTURE_HASHING });
  await addUser(db, { email: USERS.manager, role: 'manager', stores: [a1.id], password: PASSWORD, hashing: FIXTURE_HASHING });
  await addUser(db, { email: USERS.auditor, role: 'auditor', stores: [a1.id], password: PASSWORD, hashing: FIXTURE_HASHING });
  await addUser(db, { email: USERS.managerB, role: 'manager', stores: [b.id], password: PASSWORD, hashing: FIXTURE_HASHING });
  const cameras = new CameraRepository(db);
  const camA = await cameras.create({ storeId: a1.id, name: 'counter-1' });
  const camB = await cameras.create({ storeId: b.id, name: 'bar-1' });
  const load = loadSopText(SOP_YAML, 'front-counter.yaml');
  if (!load.ok) throw new Error(`test SOP is invalid: ${load.errors.map((e) => e.message).join('; ')}`);
  await new SopFileRepository(db).addVersion(a1.id, SOP_ID, SOP_YAML, load.sop);

  // Store B: one analysed clip with one violation and a real JPEG, written as the worker would.
  const clip = await new ClipRepository(db).create({ storeId: b.id, cameraId: camB.id, filename: 'b-evening.mp4', path: join(dataDir, 'clips', 'b.mp4'), bytes: 1000 });
  const evidenceName = 'bar-hygiene_no-phone_forbidden_-_0-1.jpg';
  const { violation } = await new ViolationRepository(db).upsert({
    storeId: b.id, clipId: clip.id, sopVersion: 1,
    violation: {
      id: 'bar-hygiene/no-phone/forbidden/-/*/0', sop: 'bar-hygiene', rule: 'no-phone', kind: ViolationKind.Forbidden, cameraId: camB.id,
      startMs: 1000, endMs: 6000, severity: 'high', message: 'phone at the bar for 5 s', decidedBy: 'detector', confidence: 0.9,
      evidence: [evidenceName], subject: '*',
    },
  });
  await mkdir(join(dataDir, 'evidence', clip.id), { recursive: true });
  const jpeg = await sharp({ create: { width: 64, height: 36, channels: 3, background: '#884422' } }).jpeg().toBuffer();
  await writeFile(join(dataDir, 'evidence', clip.id, evidenceName), jpeg);
  await new EvidenceRepository(db).record({ violationId: violation.id, path: `evidence/${clip.id}/${evidenceName}`, kind: 'keyframe', bytes: jpeg.length });
  return { stores: { a1: a1.id, a2: a2.id, b: b.id }, cameras: { a1: camA.id, b: camB.id }, b: { violationId: violation.id, evidenceName } };
}

/**
 * What `sopwatch serve` runs (services/service/index.ts startService), assembled here so that the dashboard can be
 * registered before the server listens, whether or not buildApp already does it.
 */
export async function startWorld(options: { config?: Partial<ApiConfig> } = {}): Promise<World> {
  const dataDir = await mkdtemp(join(tmpdir(), 'sopwatch-dash-'));
  await mkdir(join(dataDir, 'clips'), { recursive: true });
  const db = await openDatabase({ dir: join(dataDir, 'db') });
  let queue: JobQueue | undefined;
  let app: FastifyInstance | undefined;
  const detectors = new ClipDetectors();
  try {
    const seeded = await seed(db, dataDir);
    queue = await openJobQueue({ inProcess: true });
    // Detectors kept warm from one clip to the next, as `sopwatch serve` keeps them.
    const worker = createClipAnalyseWorker({ db, dataDir, maxAttempts: defaultQueueSettings.attempts, detectors });
    const skipped = async (): Promise<JobOutcome> => ({ status: 'skipped', reason: 'not part of the dashboard tests' });
    startWorkers(queue, handlerRegistry(worker, { notificationSend: skipped, retentionSweep: skipped }));
    app = buildApp({ db, queue, dataDir, config: { feedIntervalMs: 250, cookieSecure: 'never', ...options.config } });
    await app.after();
    await app.register(dashboardPlugin);
    const url = await app.listen({ port: 0, host: '127.0.0.1' });
    const running = app;
    const q = queue;
    return {
      url, app: running, db, dataDir, ...seeded,
      close: async () => {
        await running.close();
        worker.abortAll();
        await q.close();
        await detectors.close();
        await db.close();
        await rm(dataDir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await app?.close();
    await queue?.close();
    await detectors.close();
    await db.close();
    await rm(dataDir, { recursive: true, force: true });
    throw err;
  }
}

/** Debian's Chromium, headless, nothing fetched from the network; playwright gives it a fresh temporary profile. */
export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 844 };

export async function newContext(browser: Browser, options: { locale?: string; phone?: boolean } = {}): Promise<BrowserContext> {
  const ctx = await browser.newContext({
    viewport: options.phone === true ? PHONE : DESKTOP,
    locale: options.locale ?? 'en-GB',
    timezoneId: 'Europe/London',
    ...(options.phone === true ? { isMobile: true, hasTouch: true, deviceScaleFactor: 2 } : {}),
  });
  watchRequests(ctx);
  return ctx;
}

const inFlight = new WeakMap<BrowserContext, Set<Request>>();

/** Keeps count of the context's requests on their way, the live feed's long-lived EventSource aside, for `drawn`. */
export function watchRequests(ctx: BrowserContext): void {
  const pending = new Set<Request>();
  ctx.on('request', (r) => {
    if (r.resourceType() !== 'eventsource') pending.add(r);
  });
  ctx.on('requestfinished', (r) => pending.delete(r));
  ctx.on('requestfailed', (r) => pending.delete(r));
  inFlight.set(ctx, pending);
}

/**
 * The page has drawn what it asked the server for: no request of its context on its way (see watchRequests, which
 * must have been called on the context), no "loading" placeholder, the fonts and images in place, and two frames
 * painted since. Every render of the dashboard follows a response or an event, so once this holds nothing more is
 * drawn by itself; a fixed pause or the 500 ms of network silence of Playwright's 'networkidle' adds only waiting.
 */
export async function drawn(page: Page, timeout = 30_000): Promise<void> {
  const pending = inFlight.get(page.context());
  if (pending === undefined) throw new Error('drawn(page) needs watchRequests on its context');
  await page.waitForLoadState('load');
  const deadline = Date.now() + timeout;
  for (;;) {
    if (pending.size === 0 && await page.locator('.loading').count() === 0) {
      await page.evaluate(`(async () => {
        await document.fonts.ready;
        await Promise.all(Array.from(document.images).map((i) => (i.complete ? undefined : i.decode().catch(() => undefined))));
        for (let k = 0; k < 2; k++) await new Promise((r) => requestAnimationFrame(() => r(undefined)));
      })()`);
      if (pending.size === 0 && await page.locator('.loading').count() === 0) return;
    }
    if (Date.now() > deadline) throw new Error(`the page did not settle within ${timeout} ms: ${[...pending].map((r) => r.url()).join(', ')} still loading`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Signs in through the form, as a person would. */
export async function signIn(page: Page, url: string, email: string, password = PASSWORD): Promise<void> {
  await page.goto(`${url}/alerts`);
  await page.getByLabel(/email|邮箱/i).fill(email);
  await page.getByLabel(/password|密码/i).fill(password);
  await page.getByRole('button', { name: /^(sign in|登录)$/i }).click();
  await page.locator('nav.mainnav').waitFor();
}
