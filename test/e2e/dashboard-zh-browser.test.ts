// Every page of the dashboard in Simplified Chinese, read as a person reads it: each page of the router's list (and
// each view its query keys open: an alert, a clip, a camera, an SOP file and its tabs, the library, the forms) is
// visited in a zh-CN browser, its visible text and its title/aria-label/placeholder/alt words are collected, what
// came from people (names, ids, file names, the YAML, text marked as user text) is taken out, and no Latin word
// may remain but a few technical tokens. With SOPWATCH_SCREENSHOTS=1 the same run writes a screenshot of every page in
// both languages at 1366x768 and 390x844 to test/.artifacts/screenshots/. It also checks that an alert of two people
// shows its count and both boxes on the evidence.
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addUser } from '../../services/api/index.ts';
import { PAGES, SUBPAGES } from '../../dashboard/src/pages-list.ts';
import { writeStandingClip } from '../../dashboard/test/clip.ts';
import { CHROMIUM, PASSWORD, SOP_ID, USERS, drawn, launchChromium, startWorld, watchRequests, screenshot, SCREENSHOTS, SCREENSHOTS_DIR, type World } from '../../dashboard/test/harness.ts';
import { ViolationKind, type Violation } from '../../services/core/contracts.ts';
import { ClipRepository, ViolationRepository } from '../../services/core/storage/index.ts';
import { EvidenceRepository } from '../../services/core/storage/evidence.repository.ts';
import { ReviewItemRepository } from '../../services/core/storage/review-items.repository.ts';
import { SopFileRepository } from '../../services/core/storage/sop-files.repository.ts';
import { UserRepository } from '../../services/core/storage/users.repository.ts';
import { composeFrame, sampleMaterial } from '../../services/demo/index.ts';
import { captionHeight, composeKeyframe } from '../../services/evidence/index.ts';
import { parts } from '../../services/rules/message-text.ts';
import { loadSopText } from '../../services/rules/sop-loader.ts';
import { FIXTURE_HASHING } from '../fixtures/accounts.ts';

const SIZES = { desktop: { width: 1366, height: 768 }, phone: { width: 390, height: 844 } } as const;
type Size = keyof typeof SIZES;
const LANGS = { en: 'en-GB', zh: 'zh-CN' } as const;
type Lang = keyof typeof LANGS;

/** The harness's SOP file again, with Chinese titles for the file and every rule (a new version, in force). */
const SOP_ZH = `id: ${SOP_ID}
title: Front counter
title_zh: 前台
version: 1
cameras: [counter-1]
zones:
  counter-1:
    sink: [[0.02, 0.6], [0.45, 0.6], [0.45, 1.0], [0.02, 1.0]]
    till: [[0.6, 0.6], [0.98, 0.6], [0.98, 1.0], [0.6, 1.0]]
    back-door: [[0.02, 0.3], [0.98, 0.3], [0.98, 0.98], [0.02, 0.98]]
rules:
  - id: till-staffed
    title: Someone at the till
    title_zh: 收银台有人
    kind: required
    when: { person_in: till }
    max_gap: 1s
    severity: high
  - id: till-watched
    title: The till is never left for long
    title_zh: 收银台不能长时间无人
    kind: required
    when: { person_in: till }
    max_gap: 2s
  - id: back-door-clear
    title: Nobody loiters at the back door
    title_zh: 后门不许逗留
    kind: forbidden
    when: { person_in: back-door }
    for: 1s
    severity: low
  - id: gloves-at-sink
    title: Gloves on at the sink
    title_zh: 水槽边戴手套
    kind: forbidden
    when: { person_in: sink }
    for: 1s
    verify: { question: "Is the person at the sink wearing gloves?", expect: yes }
`;

/** What the test seeded and a person typed: names, ids, the file name, the zone names, the model's question. */
const CLIP_FILE = 'counter-morning.mp4';
const EMPTY_MANAGER = 'manager@a2.test';
const BROKEN_FILE = 'till-evening.mp4';
const MODEL_REASON = 'The hands are hidden behind the counter';
const SEEDED_WORDS = [
  'A1 Main St', 'A2 Harbour', 'B Station', 'counter-1', 'bar-1', CLIP_FILE, BROKEN_FILE, SOP_ID, 'front-counter.yaml', 'Front counter',
  'till-staffed', 'till-watched', 'back-door-clear', 'gloves-at-sink', 'back-door', 'sink', 'till',
  USERS.owner, USERS.manager, USERS.auditor, USERS.managerB, EMPTY_MANAGER, 'Is the person at the sink wearing gloves?', MODEL_REASON,
  'seen on the floor', 'p:1', 'p:2', 'Europe/London',
];

/**
 * Names in the SOP library's files (sop-rules/), which the gallery shows as written like any SOP file's: ids, cameras,
 * zones, steps, the questions put to the model, the free-text description, and titles without a title_zh.
 */
async function libraryNames(): Promise<string[]> {
  const dir = resolve(import.meta.dirname, '../../sop-rules');
  const out: string[] = [];
  for (const name of (await readdir(dir)).filter((f) => f.endsWith('.yaml'))) {
    const text = await readFile(join(dir, name), 'utf8');
    const load = loadSopText(text, name);
    if (!load.ok) continue;
    const sop = load.sop;
    out.push(sop.id, ...sop.cameras, ...Object.values(sop.zones).flatMap((z) => Object.keys(z)));
    if (sop.titleZh === undefined) out.push(sop.title);
    for (const r of sop.rules) {
      out.push(r.id);
      if (r.titleZh === undefined) out.push(r.title);
      if ('verify' in r && r.verify !== undefined) out.push(r.verify.question);
      if (r.kind === 'sequence') for (const st of r.steps) {
        out.push(st.id);
        if (st.verify !== undefined) out.push(st.verify.question);
        if (st.titleZh === undefined && st.title !== undefined) out.push(st.title);
      }
    }
  }
  return out;
}

/**
 * Latin tokens a Chinese page may keep, each a technical name that Chinese software writes the same way: the
 * product's name (and its logo's letters), standards and formats (SOP, YAML, ONVIF, RTSP, CSV, and the video file
 * formats the upload box lists), and units after numbers.
 */
const ALLOWED = new Set([
  'sopwatch', 'sw', 'SOP', 'YAML', 'ONVIF', 'RTSP', 'CSV',
  'mp4', 'mov', 'mkv', 'avi', 'ts', 'ps', 'dav', 'h264', 'h265', 'flv',
  's', 'ms', 'fps', 'px', 'B', 'KB', 'MB', 'GB',
]);

interface Visit { name: string; path: string; query: Record<string, string> }

describe.skipIf(!existsSync(CHROMIUM))('every page in Simplified Chinese (skipped when /usr/bin/chromium is absent)', () => {
  let world: World;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  const pageErrors: string[] = [];
  let clipId = '';
  let failedClipId = '';
  /** The camera picture's share of a keyframe's height (the rest is the caption band). */
  let bandShare = 1;
  const ids = { open: '', review: '', confirmed: '' };

  beforeAll(async () => {
    [world, browser] = await Promise.all([startWorld(), launchChromium()]);
    const a1 = world.stores.a1;
    await addUser(world.db, { email: EMPTY_MANAGER, role: 'manager', stores: [world.stores.a2], password: PASSWORD, hashing: FIXTURE_HASHING });
    const loaded = loadSopText(SOP_ZH, 'front-counter.yaml');
    if (!loaded.ok) throw new Error(loaded.errors.map((e) => e.message).join('; '));
    const sop = await new SopFileRepository(world.db).addVersion(a1, SOP_ID, SOP_ZH, loaded.sop);

    // One analysed clip of the counter camera, recorded this morning, with its evidence written as the worker would.
    const clips = new ClipRepository(world.db);
    const path = join(world.dataDir, 'clips', CLIP_FILE);
    await writeStandingClip(path, 4);
    const clip = await clips.create({ storeId: a1, cameraId: world.cameras.a1, filename: CLIP_FILE, path, bytes: 1000, recordedAt: new Date(Date.now() - 3 * 3_600_000), recordedAtSource: 'form' });
    await clips.startAnalysis(clip.id);
    await clips.finish(clip.id);
    clipId = clip.id;
    // A clip whose analysis failed: the server's reason is English, shown labelled as its words.
    const broken = await clips.create({ storeId: a1, cameraId: world.cameras.a1, filename: BROKEN_FILE, path: join(world.dataDir, 'clips', BROKEN_FILE), bytes: 10 });
    await clips.startAnalysis(broken.id);
    await clips.fail(broken.id, 'the file ends before its first video frame');
    failedClipId = broken.id;
    const { background, photo } = await sampleMaterial(640, 360);
    const rgb = composeFrame(background, photo, 5_000, 640, 360);
    const jpeg = await sharp(rgb, { raw: { width: 640, height: 360, channels: 3 } }).jpeg().toBuffer();
    const dir = join(world.dataDir, 'evidence', clip.id);
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'timeline.jpg'), jpeg);
    // Keyframes as the worker writes them: the picture, then a caption band in English below it.
    const caption = ['Nobody loiters at the back door', 'forbidden · low · 0:00.5–0:03.5 · frame at 0:01.0', 'a person at back-door for 3 s, 2 at once: the SOP does not allow this'];
    const keyframe = await composeKeyframe({ frame: { cameraId: 'counter-1', index: 0, tMs: 1_000, width: 640, height: 360, rgb }, zones: {}, caption, faceBoxes: [], outPath: join(dir, 'unused.jpg') });
    bandShare = 360 / (360 + captionHeight(caption.length, 640));

    const violations = new ViolationRepository(world.db);
    const evidence = new EvidenceRepository(world.db);
    const store = async (v: Omit<Violation, 'cameraId' | 'confidence' | 'decidedBy'>, status?: 'needs_review'): Promise<string> => {
      for (const name of v.evidence) await writeFile(join(dir, name), keyframe);
      const { violation } = await violations.upsert({
        storeId: a1, clipId: clip.id, sopVersion: sop.version, ...(status === undefined ? {} : { status }),
        violation: { ...v, cameraId: world.cameras.a1, confidence: 0.82, decidedBy: 'detector' },
        ...(clip.recordedAt === null ? {} : { clipRecordedAt: clip.recordedAt }),
      });
      for (const name of v.evidence) await evidence.record({ violationId: violation.id, path: `evidence/${clip.id}/${name}`, kind: 'keyframe', bytes: jpeg.length });
      return violation.id;
    };
    const back = { type: 'person_in', zone: 'back-door' } as const;
    // Two people at the back door at once: one violation with both subjects and their boxes on each keyframe.
    ids.open = await store({
      id: `${SOP_ID}/back-door-clear/forbidden/-/*/500`, sop: SOP_ID, rule: 'back-door-clear', kind: ViolationKind.Forbidden, startMs: 500, endMs: 3_500,
      severity: 'low', message: 'a person at back-door for 3 s, 2 at once: the SOP does not allow this', subject: '*',
      evidence: ['back-door-1.jpg', 'back-door-2.jpg'], parts: parts('forbidden', { what: back, durationMs: 3_000, count: 2 }),
      subjects: ['p:1', 'p:2'], count: 2, spans: [{ subject: 'p:1', firstMs: 500, lastMs: 3_500 }, { subject: 'p:2', firstMs: 900, lastMs: 3_200 }],
      keyframeBoxes: ['back-door-1.jpg', 'back-door-2.jpg'].map((name, i) => ({
        // Normalised to the keyframe image, caption band included, as evidence.ts stores them.
        evidence: name, tMs: 1_000 + i * 1_000, boxes: [{ subject: 'p:1', box: [0.1, 0.35 * bandShare, 0.2, 0.6 * bandShare] }, { subject: 'p:2', box: [0.55, 0.4 * bandShare, 0.18, 0.55 * bandShare] }],
      })),
    });
    ids.review = await store({
      id: `${SOP_ID}/gloves-at-sink/forbidden/-/*/1000`, sop: SOP_ID, rule: 'gloves-at-sink', kind: ViolationKind.Forbidden, startMs: 1_000, endMs: 3_000,
      severity: 'medium', message: `the model was unsure (${MODEL_REASON})`, subject: '*', evidence: ['gloves-1.jpg'],
      parts: parts('model_unsure', { reason: MODEL_REASON }),
    }, 'needs_review');
    ids.confirmed = await store({
      id: `${SOP_ID}/till-staffed/gap/-/*/0`, sop: SOP_ID, rule: 'till-staffed', kind: ViolationKind.Gap, startMs: 0, endMs: 4_000,
      severity: 'high', message: 'not seen for 4 s: a person at till; the SOP allows a gap of at most 1 s', subject: '*', evidence: ['till-1.jpg'],
      parts: parts('gap', { what: { type: 'person_in', zone: 'till' }, durationMs: 4_000, maxGapMs: 1_000 }),
    });
    const manager = await new UserRepository(world.db).findByEmail(USERS.manager);
    if (manager === undefined) throw new Error('the harness has no manager');
    await violations.review({ violationId: ids.confirmed, userId: manager.id, decision: 'confirmed', comment: 'seen on the floor' });

    // Cases for a person: the model unsure in its own words, and no model at all.
    const items = new ReviewItemRepository(world.db);
    const base = { storeId: a1, cameraId: world.cameras.a1, clipId: clip.id, sopId: SOP_ID, sopVersion: sop.version, rule: 'gloves-at-sink', severity: 'medium' as const, question: 'Is the person at the sink wearing gloves?' };
    await items.upsert({
      ...base, engineId: `${SOP_ID}/gloves-at-sink/needs_review/-/*/1000`, startS: 1, endS: 3, reason: `the model was unsure (${MODEL_REASON})`,
      reasonParts: parts('model_unsure', { reason: MODEL_REASON }), answer: { answer: 'unsure', confidence: 0.4, reason: MODEL_REASON, decidedBy: 'vlm:local/qwen2.5-vl' },
    });
    await items.upsert({
      ...base, engineId: `${SOP_ID}/gloves-at-sink/needs_review/-/*/2500`, startS: 2.5, endS: 3.5, reason: 'no vision model could answer: a person must check',
      reasonParts: parts('no_model', {}), answer: { answer: 'unsure', confidence: 0, reason: '', decidedBy: 'none' },
    });
  }, 180_000);

  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    await browser?.close();
    await world?.close();
  });

  /** Each page of the router's list, then each view its query keys open (a key without a seeded value fails here). */
  const visits = (): Visit[] => {
    const a1 = world.stores.a1;
    const views: Record<string, Array<{ name: string; query: Record<string, string> }>> = {
      v: [
        { name: 'alert-open', query: { status: 'all', v: ids.open } },
        { name: 'alert-review', query: { status: 'all', v: ids.review } },
        { name: 'alert-confirmed', query: { status: 'all', v: ids.confirmed } },
      ],
      clip: [{ name: 'clip', query: { clip: clipId } }, { name: 'clip-failed', query: { clip: failedClipId } }],
      camera: [{ name: 'camera', query: { camera: world.cameras.a1 } }],
      add: [{ name: 'camera-add', query: { add: '1' } }],
      sop: [{ name: 'sop', query: { store: a1, sop: SOP_ID } }],
      tab: ['yaml', 'versions', 'dryrun'].map((tab) => ({ name: `sop-${tab}`, query: { store: a1, sop: SOP_ID, tab } })),
      new: [{ name: 'sop-new', query: { store: a1, new: '1' } }],
      gallery: [{ name: 'sop-gallery', query: { store: a1, gallery: '1' } }],
      file: [{ name: 'sop-gallery-form', query: { store: a1, gallery: '1', file: 'hand-washing.yaml' } }],
      from: [{ name: 'reports-30d', query: { from: new Date(Date.now() - 29 * 86_400_000).toISOString().slice(0, 10), to: new Date().toISOString().slice(0, 10) } }],
    };
    const out: Visit[] = [];
    for (const p of [...PAGES, ...SUBPAGES]) {
      out.push({ name: p.path.slice(1).replace(/\//g, '-'), path: p.path, query: {} });
      for (const key of p.views) {
        const list = views[key];
        if (list === undefined) throw new Error(`no seeded view for "${key}" of ${p.path}: add one to this test`);
        for (const v of list) out.push({ ...v, path: p.path });
      }
    }
    return out;
  };

  const open = async (lang: Lang, size: Size): Promise<Page> => {
    const ctx = await browser.newContext({
      viewport: SIZES[size], locale: LANGS[lang], timezoneId: 'Europe/London',
      ...(size === 'phone' ? { isMobile: true, hasTouch: true, deviceScaleFactor: 1 } : {}),
    });
    contexts.push(ctx);
    watchRequests(ctx);
    const page = await ctx.newPage();
    page.on('pageerror', (e) => pageErrors.push(`${lang}/${size}: ${e.message}`));
    return page;
  };

  /** The page has drawn its data: no "loading" left, and the fonts and images in place (harness.ts's drawn). */
  const settled = async (page: Page): Promise<void> => {
    await page.locator('main.signin, .content > *').first().waitFor();
    await drawn(page);
  };

  const shoot = async (page: Page, name: string, lang: Lang, size: Size): Promise<void> => {
    await screenshot(page, `${name}-${lang}-${size}`, { fullPage: size === 'desktop' });
  };

  /** Visible words of the page: text nodes and the attributes people hear or see, without text marked as a person's. */
  // Run in the page as a string: this Node test is type-checked without the DOM's types.
  const words = async (page: Page): Promise<string[]> => page.evaluate<string[]>(`(() => {
    for (const d of Array.from(document.querySelectorAll('details'))) d.open = true;
    const out = [];
    const mine = (el) => el !== null && el.closest('[data-user-text], [data-server-text], textarea, kbd, script, style, noscript') !== null;
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n !== null; n = walker.nextNode()) {
      const el = n.parentElement;
      const text = n.textContent?.trim() ?? '';
      if (text === '' || el === null || mine(el)) continue;
      const visible = el.tagName === 'OPTION' ? (el.closest('select')?.checkVisibility() ?? false) : el.checkVisibility({ visibilityProperty: true });
      if (visible) out.push(text);
    }
    for (const el of Array.from(document.querySelectorAll('[title], [aria-label], [placeholder], img[alt]'))) {
      if (mine(el)) continue;
      for (const a of ['title', 'aria-label', 'placeholder', 'alt']) {
        const v = el.getAttribute(a);
        if (v !== null && v.trim() !== '') out.push(v);
      }
    }
    out.push(document.title);
    return out;
  })()`);

  /** The texts that keep a Latin word once seeded names, ids and file names are taken out, with those words. */
  const english = (texts: string[], seeded: string[]): string[] => {
    const left = new Set<string>();
    for (const original of texts) {
      let text = original;
      for (const s of [...seeded].sort((a, b) => b.length - a.length)) text = text.split(s).join(' ');
      text = text
        .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi, ' ')
        .replace(/\b[\w-]+\.(jpg|yaml|mp4|csv)\b/g, ' ')
        // Addresses (an example camera URL) and durations as the SOP format writes them (20s, 1m30s).
        .replace(/\b[a-z]+:\/\/\S+/g, ' ')
        .replace(/\b(\d+(\.\d+)?(ms|s|m|h))+\b/g, ' ');
      const bad = (text.match(/[\p{Script=Latin}\d]*\p{Script=Latin}[\p{Script=Latin}\d]*/gu) ?? []).filter((w) => !ALLOWED.has(w));
      if (bad.length > 0) left.add(`[${bad.join(' ')}] in "${original.slice(0, 160)}"`);
    }
    return [...left];
  };

  /** States a page reaches by a click: the filters, the shortcuts, several alerts picked, the dismiss reasons, SOP problems. */
  const states = (): Array<{ name: string; path: string; act: (page: Page) => Promise<void> }> => [
    {
      name: 'alerts-filters', path: '/alerts?status=all',
      act: async (page) => {
        await page.locator('.search-row button.link').click();
        await page.locator('.filter-grid select').first().waitFor();
      },
    },
    {
      name: 'alerts-help', path: '/alerts',
      act: async (page) => {
        await page.locator('.queue-head button.icon').click();
        await page.locator('[role=dialog]').waitFor();
      },
    },
    {
      name: 'alerts-bulk', path: '/alerts?status=all',
      act: async (page) => {
        await page.locator('.queue-item input[type=checkbox]').first().check();
        await page.locator('.bulk.on').waitFor();
      },
    },
    {
      name: 'alert-dismiss', path: `/alerts?status=all&v=${encodeURIComponent(ids.open)}`,
      act: async (page) => {
        await page.locator('.decision .actions button:not(.primary)').click();
        await page.locator('form.dismiss').waitFor();
      },
    },
    {
      name: 'sop-new-problems', path: `/sops?store=${world.stores.a1}&new=1`,
      act: async (page) => {
        await page.locator('.sop-editor textarea').fill(`id: ${SOP_ID}\ntitle: Front counter\nversion: 1\ncameras: [counter-1]\nrules:\n  - id: till-staffed\n    kind: required\n    when: { person_in: till }\n`);
        await page.locator('.sop-editor .actions button').first().click();
        await page.locator('.sop-editor .error-note').waitFor();
      },
    },
  ];

  it('knows every page the frame routes to (app.tsx) from the router\'s lists', async () => {
    const app = await readFile(resolve(import.meta.dirname, '../../dashboard/src/app.tsx'), 'utf8');
    const routed = [...app.matchAll(/case '(\/[^']*)':/g)].map((m) => m[1]);
    expect(routed.length).toBeGreaterThan(3);
    const listed = new Set([...PAGES, ...SUBPAGES].map((p) => p.path));
    expect(routed.filter((p) => p !== undefined && !listed.has(p)), 'pages app.tsx routes to that PAGES or SUBPAGES (router.ts) leave out').toEqual([]);
  });

  it('shows no English outside user data on any page in zh-CN at desktop and phone sizes (screenshots with SOPWATCH_SCREENSHOTS=1)', async () => {
    const list = visits();
    const seeded = [...SEEDED_WORDS, ...(await libraryNames()), clipId, failedClipId, world.stores.a1, world.stores.a2, world.stores.b, world.cameras.a1, ids.open, ids.review, ids.confirmed];
    const found = new Map<string, Set<string>>();
    const note = (where: string, what: string[]): void => {
      for (const w of what) found.set(w, (found.get(w) ?? new Set()).add(where));
    };
    /** Signs `email` in and visits every page; the manager of store A1 also clicks into the pages' states on a desktop. */
    const tour = async (lang: Lang, size: Size, email: string, who: string): Promise<void> => {
      const page = await open(lang, size);
      const look = async (name: string): Promise<void> => {
        await settled(page);
        // The picture first: the scan opens every <details>.
        await shoot(page, `${who}${name}`, lang, size);
        if (lang === 'zh') note(`${who}${name} (${size})`, english(await words(page), seeded));
      };
      await page.goto(`${world.url}/signin`);
      await look('signin');
      await page.getByLabel(/email|邮箱/i).fill(email);
      await page.getByLabel(/password|密码/i).fill(PASSWORD);
      await page.getByRole('button', { name: /^(sign in|登录)$/i }).click();
      await page.locator('nav.mainnav').waitFor();
      for (const v of list) {
        const q = new URLSearchParams(v.query).toString();
        await page.goto(`${world.url}${v.path}${q === '' ? '' : `?${q}`}`);
        await look(v.name);
      }
      if (who === '' && size === 'desktop') {
        for (const st of states()) {
          await page.goto(`${world.url}${st.path}`);
          await settled(page);
          await st.act(page);
          await look(st.name);
        }
      }
      await page.context().close();
    };
    // The manager of store A1 at both sizes; the owner of both stores ("all my stores", a store picker), and the
    // manager of a store with nothing in it yet. The English tours are there for their screenshots only (the scan
    // reads Chinese pages; test/e2e/dashboard-browser.test.ts draws the English ones at both sizes), so they run
    // only when screenshots are written. The tours only read (the states open forms and check a draft, they save
    // nothing), each in its own browser context: two run at a time, which keeps the server, the browser and this
    // process busy while one of them waits on another.
    const englishTours: Array<Parameters<typeof tour>> = SCREENSHOTS ? [['en', 'desktop', USERS.manager, ''], ['en', 'phone', USERS.manager, '']] : [];
    const lanes: Array<Array<Parameters<typeof tour>>> = [
      [['zh', 'desktop', USERS.manager, ''], ['zh', 'phone', USERS.manager, '']],
      [['zh', 'desktop', USERS.owner, 'owner-'], ['zh', 'phone', EMPTY_MANAGER, 'empty-'], ...englishTours],
    ];
    await Promise.all(lanes.map(async (lane) => {
      for (const args of lane) await tour(...args);
    }));
    const report = [...found].map(([what, where]) => `${what} on ${[...where].join(', ')}`);
    await mkdir(join(SCREENSHOTS_DIR, '..'), { recursive: true });
    await writeFile(join(SCREENSHOTS_DIR, '..', 'zh-scan.txt'), [...report, ...pageErrors].join('\n'));
    expect(report).toEqual([]);
    expect(pageErrors).toEqual([]);
  }, 600_000);

  it('an alert of two people shows the count and both subjects\' boxes on its evidence', async () => {
    for (const lang of ['en', 'zh'] as const) {
      const page = await open(lang, 'desktop');
      await page.goto(`${world.url}/signin`);
      await page.getByLabel(/email|邮箱/i).fill(USERS.manager);
      await page.getByLabel(/password|密码/i).fill(PASSWORD);
      await page.getByRole('button', { name: /^(sign in|登录)$/i }).click();
      await page.locator('nav.mainnav').waitFor();
      await page.goto(`${world.url}/alerts?status=all&v=${encodeURIComponent(ids.open)}`);
      const who = page.locator('.alert-detail .facts .subjects dd');
      await who.waitFor();
      expect(await who.textContent()).toContain(lang === 'en' ? '2 people' : '2 人');
      const boxes = page.locator('.evidence-frame svg.subject-boxes rect');
      await expect.poll(() => boxes.count()).toBe(2);
      expect(await boxes.evaluateAll((rs) => rs.map((r) => r.getAttribute('data-subject')))).toEqual(['p:1', 'p:2']);
      // The English caption band below the picture is cut off: the frame shows the camera's 16:9 picture only.
      const frame = page.locator('.evidence-frame');
      await expect.poll(async () => (await frame.getAttribute('class')) ?? '').toContain('cut');
      const shown = await frame.boundingBox();
      expect(shown).not.toBeNull();
      if (shown !== null) expect(shown.width / shown.height).toBeCloseTo(640 / 360, 1);
      // Each box is drawn where the picture has it: p:2 from 55 % of its width and 40 % of its height, 55 % high.
      const p2 = await boxes.nth(1).boundingBox();
      expect(p2).not.toBeNull();
      if (shown !== null && p2 !== null) {
        expect((p2.x - shown.x) / shown.width).toBeCloseTo(0.55, 1);
        expect(p2.width / shown.width).toBeCloseTo(0.18, 1);
        expect((p2.y - shown.y) / shown.height).toBeCloseTo(0.4, 1);
        expect(p2.height / shown.height).toBeCloseTo(0.55, 1);
      }
      // The second keyframe has its own boxes.
      await page.locator('.frames button').nth(1).click();
      await expect.poll(() => page.locator('.evidence-frame svg.subject-boxes rect').count()).toBe(2);
      await page.context().close();
    }
  }, 120_000);
});
