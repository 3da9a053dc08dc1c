// End to end through `sopwatch serve`: an owner made by `sopwatch user add`, a real clip analysed by the real detector,
// progress and live events, violations reviewed, re-analysis without duplicates. Run on the embedded defaults
// (PGlite + in-process queue) and on PostgreSQL (fresh schema) + Redis (unique prefix).
import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listenEvents } from './sse-client.ts';
import { parseEnv } from '../../services/core/env.ts';
import { openPostgres } from '../../services/core/storage/index.ts';
import { startService, type RunningService } from '../../services/service/index.ts';
import { SOP_YAML } from '../medium/api-fixture.ts';
import { optInLoopback } from '../doubles/outbound.ts';
import { wipeRedisPrefix } from '../fixtures/redis-prefix.ts';

// The doubles listen on 127.0.0.1: opt in to loopback cameras, webhooks and models as an operator would.
optInLoopback();

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../..');
const PG_URL = 'postgres://postgres@127.0.0.1:5432/test';
const REDIS_URL = 'redis://127.0.0.1:6379';
const METRICS_TOKEN = 'e2e-metrics-token';

interface Backend {
  name: string;
  /** Environment of the service and of the CLI child; `cleanup` drops what the backend created. */
  setup(dataDir: string): Promise<{ vars: Record<string, string>; service: Parameters<typeof startService>[0]; cleanup: () => Promise<void> }>;
}

const backends: Backend[] = [
  { name: 'embedded PGlite + in-process queue', setup: async () => ({ vars: {}, service: {}, cleanup: async () => undefined }) },
  {
    name: 'PostgreSQL + Redis',
    setup: async () => {
      const schema = `sw_e2e_${randomBytes(4).toString('hex')}`;
      const prefix = `swe2e-${randomBytes(4).toString('hex')}`;
      const admin = openPostgres({ url: PG_URL, max: 1 });
      await admin.exec(`CREATE SCHEMA ${schema}`);
      return {
        // The CLI child reaches the schema through the connection string; the service is told it directly.
        vars: { DATABASE_URL: `${PG_URL}?options=${encodeURIComponent(`-c search_path=${schema}`)}`, REDIS_URL },
        service: { database: { url: PG_URL, schema }, queue: { redisUrl: REDIS_URL, prefix } },
        cleanup: async () => {
          await admin.exec(`DROP SCHEMA ${schema} CASCADE`);
          await admin.close();
          const redis = new Redis(REDIS_URL);
          await wipeRedisPrefix(redis, prefix);
          await redis.quit();
        },
      };
    },
  },
];

interface ClipJson {
  status: string;
  progress: number;
  attempts: number;
  error: string | null;
}

interface ViolationJson {
  id: string;
  rule: string;
  kind: string;
  status: string;
  evidence: string[];
}

describe.each(backends)('sopwatch serve end to end on $name', (backend) => {
  let dataDir: string;
  let service: RunningService;
  let cleanup: () => Promise<void> = async () => undefined;
  let base: string;
  let cookie = '';
  let csrf = '';
  let storeId = '';
  let ownerPassword = '';
  let clipId = '';
  const progressSeen: number[] = [];

  const api = async <T = unknown>(method: string, path: string, body?: unknown): Promise<{ status: number; json: () => Promise<T> }> => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { cookie, 'x-csrf-token': csrf, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, json: () => res.json() as Promise<T> };
  };

  const waitForDone = async (attempts: number): Promise<ClipJson> => {
    const deadline = Date.now() + 240_000;
    for (;;) {
      const clip = await (await api<ClipJson>('GET', `/api/clips/${clipId}`)).json();
      if (typeof clip.progress === 'number') progressSeen.push(clip.progress);
      if (clip.status === 'failed') throw new Error(`analysis failed: ${clip.error}`);
      if (clip.status === 'done' && clip.attempts === attempts) return clip;
      if (Date.now() > deadline) throw new Error(`clip still ${clip.status} after 240 s`);
      await new Promise((r) => setTimeout(r, 300));
    }
  };

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'sopwatch-e2e-'));
    const setup = await backend.setup(dataDir);
    cleanup = setup.cleanup;
    // The owner comes from the real command, in its own process, exactly as an operator would run it.
    const { stdout } = await run(process.execPath, [join(ROOT, 'bin/sopwatch.mjs'), 'user', 'add', '--email', 'owner@f1.test', '--role', 'owner', '--franchise', 'F1', '--store', 'Main St'], {
      cwd: ROOT,
      env: { ...process.env, SOPWATCH_DATA_DIR: dataDir, ...setup.vars },
    });
    expect(stdout).toMatch(/created store Main St/);
    ownerPassword = /^password: (\S+)$/m.exec(stdout)?.[1] ?? '';
    expect(ownerPassword.length).toBeGreaterThanOrEqual(20);
    const env = parseEnv({ SOPWATCH_DATA_DIR: dataDir, SOPWATCH_METRICS_TOKEN: METRICS_TOKEN, ...setup.vars });
    service = await startService({ env, port: 0, host: '127.0.0.1', ...setup.service, api: { feedIntervalMs: 250 } });
    base = service.url ?? '';
  }, 240_000);

  afterAll(async () => {
    await service?.close();
    await cleanup();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('signs the owner in with the generated password and shows the store the command created', async () => {
    const wrong = await fetch(`${base}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'owner@f1.test', password: 'not the password' }) });
    expect(wrong.status).toBe(401);
    const res = await fetch(`${base}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'owner@f1.test', password: ownerPassword }) });
    expect(res.status).toBe(200);
    const set = res.headers.getSetCookie().find((c) => c.startsWith('sopwatch_session='));
    expect(set).toMatch(/HttpOnly/);
    cookie = (set ?? '').split(';')[0] ?? '';
    csrf = ((await res.json()) as { csrfToken: string }).csrfToken;
    const stores = await (await api<Array<{ id: string; name: string }>>('GET', '/api/stores')).json();
    expect(stores.map((s: { name: string }) => s.name)).toEqual(['Main St']);
    storeId = stores[0]?.id ?? '';
  });

  it('analyses an uploaded clip in the background with progress and live events, then reviews its violations', async () => {
    const camera = await (await api<{ id: string }>('POST', `/api/stores/${storeId}/cameras`, { name: 'counter-1' })).json();
    const sop = await api('POST', `/api/stores/${storeId}/sops`, { yaml: SOP_YAML });
    expect(sop.status).toBe(201);
    const live = await listenEvents(base, cookie);

    // An empty counter for 4 s: both `required` rules (max_gap 1 s and 2 s) raise a gap.
    const clipPath = join(dataDir, 'empty-counter.mp4');
    execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'color=c=gray:s=320x240:d=4:r=10', '-pix_fmt', 'yuv420p', '-c:v', 'libx264', clipPath]);
    const form = new FormData();
    form.append('file', new Blob([await readFile(clipPath)], { type: 'video/mp4' }), 'empty counter.mp4');
    const up = await fetch(`${base}/api/stores/${storeId}/clips?cameraId=${camera.id}`, { method: 'POST', headers: { cookie, 'x-csrf-token': csrf }, body: form });
    expect(up.status).toBe(202);
    const uploaded = (await up.json()) as { clip: { id: string }; queued: boolean };
    expect(uploaded.queued).toBe(true);
    clipId = uploaded.clip.id;

    const done = await waitForDone(1);
    expect(done).toMatchObject({ status: 'done', progress: 1, error: null });

    const violations = await (await api<ViolationJson[]>('GET', `/api/violations?clipId=${clipId}`)).json();
    expect(violations.map((v) => `${v.rule}:${v.kind}`).sort()).toEqual(['staffed-loosely:gap', 'staffed:gap']);
    for (const v of violations) {
      expect(v).toMatchObject({ storeId, cameraId: camera.id, clipId, sop: 'counter-staffed', sopVersion: 1, status: 'open', decidedBy: 'detector' });
      expect(v.evidence.length).toBeGreaterThan(0);
    }
    const shown = violations[0];
    const image = await fetch(`${base}/api/violations/${encodeURIComponent(shown?.id ?? '')}/evidence/${shown?.evidence[0] ?? ''}`, { headers: { cookie } });
    expect(image.status).toBe(200);
    expect(Buffer.from(await image.arrayBuffer()).subarray(0, 2).toString('hex')).toBe('ffd8');

    const first = violations.find((v) => v.rule === 'staffed');
    const second = violations.find((v) => v.rule === 'staffed-loosely');
    if (!first || !second) throw new Error('expected one violation per rule');
    expect((await api('POST', `/api/violations/${encodeURIComponent(first.id)}/reviews`, { decision: 'confirmed', comment: 'nobody there' })).status).toBe(201);
    expect((await api('POST', `/api/violations/${encodeURIComponent(second.id)}/reviews`, { decision: 'dismissed', reasonCode: 'not_applicable' })).status).toBe(201);

    await new Promise((r) => setTimeout(r, 800));
    live.stop();
    const created = live.events.filter((e) => e.type === 'violation.created').map((e) => e.data.violationId);
    expect(created.sort()).toEqual(violations.map((v: { id: string }) => v.id).sort());
    const progress = live.events.filter((e) => e.type === 'clip.progress' && e.data.clipId === clipId);
    expect(progress.some((e) => e.data.status === 'done' && e.data.progress === 1)).toBe(true);
    // Progress moved through the analysis, not only from 0 to 1.
    const fractions = [...progressSeen, ...progress.map((e) => Number(e.data.progress))];
    expect(fractions.some((p) => p > 0 && p < 1), `progress seen: ${fractions.join(', ')}`).toBe(true);
    for (const e of live.events) expect(e.data.storeId).toBe(storeId);
  });

  it('re-analyses the clip without duplicating violations or undoing the reviews', async () => {
    const res = await api('POST', `/api/clips/${clipId}/reanalyse`);
    expect(res.status).toBe(202);
    await waitForDone(2);
    const violations = await (await api<ViolationJson[]>('GET', `/api/violations?clipId=${clipId}`)).json();
    expect(violations.map((v: { status: string }) => v.status).sort()).toEqual(['confirmed', 'dismissed']);
    const counts = await (await api<{ total: number }>('GET', `/api/violations/counts?storeId=${storeId}`)).json();
    expect(counts.total).toBe(2);
  });

  it('exposes what happened in the metrics, the report and the audit trail', async () => {
    const metrics = await (await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).text();
    expect(metrics).toMatch(/^sopwatch_clips\{status="done"\} 1$/m);
    const frames = Number(/^sopwatch_frames_analysed_total (\d+)$/m.exec(metrics)?.[1]);
    expect(frames).toBeGreaterThanOrEqual(15);
    const report = await (await api<{ rows: Array<{ rule: string; confirmed: number; dismissed: number }> }>('GET', `/api/reports/compliance?storeId=${storeId}`)).json();
    expect(report.rows.map((r: { rule: string; confirmed: number; dismissed: number }) => [r.rule, r.confirmed, r.dismissed]).sort()).toEqual([['staffed', 1, 0], ['staffed-loosely', 0, 1]]);
    const audit = await (await api<Array<{ action: string }>>('GET', `/api/stores/${storeId}/audit`)).json();
    const actions = new Set(audit.map((a: { action: string }) => a.action));
    for (const a of ['store.create', 'clip.upload', 'violation.review', 'evidence.view', 'clip.reanalyse']) expect(actions.has(a), a).toBe(true);
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
  });
});
