// Shadow mode end to end, from the SOP file to the API: a rule marked `shadow: true` in an uploaded SOP file finds its
// violation on a real clip (uploaded, analysed by the real worker); the violation is stored as shadow, left out of the
// alerts list, the counts, the review queue, the compliance report and its CSV, and nobody is notified of it; asked
// for, it is there ("would have alerted"). The same rule without `shadow` is the control: it alerts and counts.
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobName, type JobContext } from '../../services/core/jobs.ts';
import { NotificationRepository } from '../../services/core/storage/notifications.repository.ts';
import { NotifySourceRepository } from '../../services/core/storage/notify-sources.repository.ts';
import { ReviewItemRepository } from '../../services/core/storage/review-items.repository.ts';
import { planNotifications } from '../../services/notify/planner.ts';
import { createClipAnalyseWorker } from '../../services/service/index.ts';
import { apiFixture, SOP_YAML, USERS, type ApiFixture, type Session } from './api-fixture.ts';
import { notifyConfig } from './notify-fixture.ts';

/** The fixture's SOP file with its second rule tried out in shadow mode, as a manager would write it. */
const SHADOW_SOP = SOP_YAML.replace('    max_gap: 2s\n', '    max_gap: 2s\n    shadow: true\n');
const HOUR = 3_600_000;

interface ViolationView { id: string; rule: string; kind: string; shadow: boolean; status: string; clipId: string | null }
interface ReviewItemView { id: string; rule: string; shadow: boolean }

let f: ApiFixture;
let manager: Session;
let work: string;
let clipId: string;

const get = async <T>(url: string): Promise<T> => {
  const res = await f.call(manager, { method: 'GET', url });
  expect(res.statusCode, res.body).toBe(200);
  return res.json<T>();
};

beforeAll(async () => {
  f = await apiFixture();
  manager = await f.login(USERS.managerA);
  work = await mkdtemp(join(tmpdir(), 'sopwatch-shadow-'));
  // The SOP file goes in through the API, as the dashboard's editor sends it.
  expect(SHADOW_SOP).toContain('shadow: true');
  const sop = await f.call(manager, { method: 'POST', url: `/api/stores/${f.stores.a1}/sops`, payload: { yaml: SHADOW_SOP, fileName: 'counter.yaml' } });
  expect(sop.statusCode, sop.body).toBe(201);

  // An empty counter for 4 s: both rules (gaps over 1 s and over 2 s) are broken from the start.
  const path = join(work, 'empty.mp4');
  execFileSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'color=c=gray:s=160x120:d=4:r=5', '-pix_fmt', 'yuv420p', '-c:v', 'libx264', path]);
  const boundary = '----sopwatch-shadow';
  const head = `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="empty.mp4"\r\nContent-Type: video/mp4\r\n\r\n`;
  const uploaded = await f.call(manager, {
    method: 'POST', url: `/api/stores/${f.stores.a1}/clips?cameraId=${f.a1.cameraId}`,
    payload: Buffer.concat([Buffer.from(head), await readFile(path), Buffer.from(`\r\n--${boundary}--\r\n`)]),
    headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
  });
  expect(uploaded.statusCode, uploaded.body).toBe(202);
  clipId = uploaded.json<{ clip: { id: string } }>().clip.id;

  // The worker a `serve` process runs, on the job the upload queued.
  const ctx: JobContext = { name: JobName.ClipAnalyse, jobId: `clip.${clipId}.a0`, attempt: 1, progress: async () => undefined };
  const outcome = await createClipAnalyseWorker({ db: f.db, dataDir: f.dataDir, maxAttempts: 3, fps: 2 }).handle({ storeId: f.stores.a1, clipId }, ctx);
  expect(outcome).toMatchObject({ status: 'success' });
}, 900_000); // a few seconds on a quiet machine; minutes on a loaded 2-core one
afterAll(async () => {
  await f?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

describe('a rule in shadow mode', () => {
  it('is stored as shadow; the same kind of finding of the live rule is not', async () => {
    const rows = await f.db.query<{ rule: string; kind: string; shadow: boolean; status: string }>(
      'SELECT rule, kind, shadow, status FROM violations WHERE clip_id = $1 ORDER BY rule', [clipId],
    );
    expect(rows.rows).toEqual([
      { rule: 'staffed', kind: 'gap', shadow: false, status: 'open' },
      { rule: 'staffed-loosely', kind: 'gap', shadow: true, status: 'open' },
    ]);
  });

  it('stays out of the alerts list and its counts, and is listed apart on request', async () => {
    const alerts = await get<ViolationView[]>(`/api/violations?clipId=${clipId}`);
    expect(alerts.map((v) => [v.rule, v.shadow])).toEqual([['staffed', false]]);
    const open = await get<ViolationView[]>(`/api/violations?status=open&storeId=${f.stores.a1}`);
    expect(open.some((v) => v.rule === 'staffed-loosely')).toBe(false);

    const shadow = await get<ViolationView[]>(`/api/violations?clipId=${clipId}&shadow=only`);
    expect(shadow.map((v) => [v.rule, v.kind, v.shadow])).toEqual([['staffed-loosely', 'gap', true]]);
    const both = await get<ViolationView[]>(`/api/violations?clipId=${clipId}&shadow=include`);
    expect(both.map((v) => v.rule).sort()).toEqual(['staffed', 'staffed-loosely']);
    // One violation is readable by its id whichever side it is on (a link from the shadow list works).
    const one = await get<ViolationView>(`/api/violations/${encodeURIComponent(shadow[0]?.id ?? '')}`);
    expect(one.shadow).toBe(true);

    const counts = await get<{ total: number }>(`/api/violations/counts?clipId=${clipId}`);
    expect(counts.total).toBe(1);
    expect((await get<{ total: number }>(`/api/violations/counts?clipId=${clipId}&shadow=only`)).total).toBe(1);
    expect((await f.call(manager, { method: 'GET', url: '/api/violations?shadow=yes' })).statusCode).toBe(400);
  });

  it('counts nowhere in the compliance report or its CSV', async () => {
    const day = new Date().toISOString().slice(0, 10);
    const report = await get<{ rows: Array<{ rule: string; violations: number }> }>(`/api/reports/compliance?storeId=${f.stores.a1}&from=${day}&to=${day}`);
    const rules = report.rows.map((r) => r.rule);
    expect(rules).toContain('staffed');
    expect(rules).not.toContain('staffed-loosely');
    // The fixture's own violation plus the live rule's one from this clip.
    expect(report.rows.filter((r) => r.rule === 'staffed').reduce((n, r) => n + r.violations, 0)).toBe(2);
    const csv = await f.call(manager, { method: 'GET', url: `/api/reports/compliance.csv?storeId=${f.stores.a1}&from=${day}&to=${day}` });
    expect(csv.statusCode).toBe(200);
    expect(csv.body).toContain(',staffed,');
    expect(csv.body).not.toContain('staffed-loosely');
  });

  it('notifies nobody: no violation message, no escalation, not in the shift summary', async () => {
    const config = notifyConfig({
      cooldownMs: 0, escalation: { afterMs: HOUR, minSeverity: 'low' },
      channels: [{ id: 'ops', type: 'webhook', urlEnv: 'HOOK_URL', stores: ['*'], minSeverity: 'low', events: ['violation', 'escalation'] }],
    });
    const now = Date.now();
    await f.db.transaction((tx) => planNotifications(tx, config, now));
    await f.db.transaction((tx) => planNotifications(tx, config, now + HOUR + 60_000));
    const outbox = await new NotificationRepository(f.db).listForStore(f.stores.a1);
    const rules = await f.db.query<{ id: string; rule: string }>('SELECT id, rule FROM violations WHERE store_id = $1', [f.stores.a1]);
    const ruleOf = new Map(rules.rows.map((r) => [r.id, r.rule]));
    const announced = outbox.map((n) => `${n.kind}:${ruleOf.get(n.violationId ?? '') ?? '?'}`).sort();
    // The live rule's violation is announced and escalated (so the planner did run); the shadow one never.
    expect(announced).toContain('violation:staffed');
    expect(announced).toContain('escalation:staffed');
    expect(announced.filter((a) => a.endsWith(':staffed-loosely'))).toEqual([]);

    const summary = await new NotifySourceRepository(f.db).shiftSummary(f.stores.a1, now - HOUR, now + HOUR);
    expect(summary.topRules.map((r) => r.rule)).not.toContain('staffed-loosely');
    expect(summary.total).toBe(2);
  });

  it('keeps its review cases out of the review queue unless asked for, and a person who confirms one keeps it shadow', async () => {
    // A case the engine could not decide for the shadow rule (as a verify step without a model would leave it).
    await new ReviewItemRepository(f.db).upsert({
      storeId: f.stores.a1, cameraId: f.a1.cameraId, clipId, engineId: 'counter-staffed/staffed-loosely/-/*/0', sopId: 'counter-staffed',
      rule: 'staffed-loosely', severity: 'medium', startS: 0, endS: 2, reason: 'no model configured', shadow: true,
    });
    const queue = await get<ReviewItemView[]>(`/api/review-items?status=open&storeId=${f.stores.a1}`);
    expect(queue.some((i) => i.rule === 'staffed-loosely')).toBe(false);
    expect(queue.length).toBeGreaterThan(0);
    const apart = await get<ReviewItemView[]>(`/api/review-items?status=open&shadow=only&storeId=${f.stores.a1}`);
    expect(apart.map((i) => [i.rule, i.shadow])).toEqual([['staffed-loosely', true]]);

    const decided = await f.call(manager, { method: 'POST', url: `/api/review-items/${encodeURIComponent(apart[0]?.id ?? '')}/decision`, payload: { decision: 'violation' } });
    expect(decided.statusCode, decided.body).toBe(200);
    expect(decided.json<{ violation: ViolationView }>().violation).toMatchObject({ shadow: true, status: 'confirmed' });
    expect((await get<ViolationView[]>(`/api/violations?clipId=${clipId}`)).map((v) => v.rule)).toEqual(['staffed']);
  });
});
