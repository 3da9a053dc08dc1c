// Working through alerts: text search and filters, when each one happened, bulk decisions that are all or nothing,
// and undo (own newest decision only, back to the status before, kept in the history and the audit log).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ViolationKind } from '../../services/core/contracts.ts';
import { ClipRepository, ViolationRepository } from '../../services/core/storage/index.ts';
import { CameraRepository } from '../../services/core/storage/cameras.repository.ts';
import { SopFileRepository } from '../../services/core/storage/sop-files.repository.ts';
import { loadSopText } from '../../services/rules/sop-loader.ts';
import { apiFixture, USERS, type ApiFixture, type Session } from './api-fixture.ts';

interface V { id: string; rule: string; title: string | null; status: string; happenedAt: string; cameraId: string }

/** Store a1's bar SOP: the titles people read. */
const BAR_SOP = `id: bar
title: Espresso bar
version: 1
cameras: ["*"]
zones:
  "*":
    bar: [[0, 0], [1, 0], [1, 1], [0, 1]]
rules:
  - id: no-phone
    title: No phone behind the bar
    kind: forbidden
    when: { object: cell phone, in: bar }
  - id: apron-on
    title: Apron on at the machine
    kind: forbidden
    when: { person_in: bar }
`;

let f: ApiFixture;
let manager: Session;
let auditor: Session;
let owner: Session;
let managerB: Session;
/** Store a1: three more alerts on a second camera, one of them needs review; store b: one alert. */
const ids = { phone: '', apron: '', gloves: '', b: '' };
let clipStartedAt = new Date();

beforeAll(async () => {
  f = await apiFixture();
  manager = await f.login(USERS.managerA);
  auditor = await f.login(USERS.auditorA);
  owner = await f.login(USERS.owner1);
  managerB = await f.login(USERS.managerB);
  const sop = loadSopText(BAR_SOP, 'bar.yaml');
  if (!sop.ok) throw new Error(sop.errors.map((e) => e.message).join('; '));
  await new SopFileRepository(f.db).addVersion(f.stores.a1, 'bar', BAR_SOP, sop.sop);
  const cams = new CameraRepository(f.db);
  const bar = await cams.create({ storeId: f.stores.a1, name: 'espresso bar' });
  const clip = await new ClipRepository(f.db).create({ storeId: f.stores.a1, cameraId: bar.id, filename: 'Friday close.mp4', path: '/nonexistent/x.mp4', bytes: 10 });
  clipStartedAt = clip.createdAt;
  const repo = new ViolationRepository(f.db);
  const add = async (storeId: string, cameraId: string, rule: string, startMs: number, extra: { clipId?: string; status?: 'needs_review' } = {}) => (await repo.upsert({
    storeId, ...extra,
    violation: {
      id: `bar/${rule}/forbidden/-/*/${startMs}`, sop: 'bar', rule, kind: ViolationKind.Forbidden, cameraId, startMs, endMs: startMs + 5000,
      severity: rule === 'no-phone' ? 'high' : 'low', message: `${rule} seen for 5 s`, decidedBy: 'detector', confidence: 0.8, evidence: [], subject: '*',
    },
  })).violation.id;
  ids.phone = await add(f.stores.a1, bar.id, 'no-phone', 90_000, { clipId: clip.id });
  ids.apron = await add(f.stores.a1, bar.id, 'apron-on', Date.parse('2026-03-01T09:30:00Z'));
  ids.gloves = await add(f.stores.a1, bar.id, 'gloves-on', Date.parse('2026-03-01T10:00:00Z'), { status: 'needs_review' });
  const camB = await cams.create({ storeId: f.stores.b, name: 'bar-b' });
  ids.b = await add(f.stores.b, camB.id, 'no-phone', Date.parse('2026-03-01T09:00:00Z'));
});
afterAll(async () => f?.close());

const list = async (s: Session, query: string) => {
  const res = await f.call(s, { method: 'GET', url: `/api/violations?${query}` });
  expect(res.statusCode, res.body).toBe(200);
  return res.json<V[]>();
};

describe('finding alerts', () => {
  it('searches words in the rule, message, camera name and clip file name, within the caller\'s stores only', async () => {
    expect((await list(manager, 'q=phone')).map((v) => v.id)).toEqual([ids.phone]);
    expect((await list(manager, 'q=friday%20CLOSE')).map((v) => v.id)).toEqual([ids.phone]);
    expect((await list(manager, 'q=espresso')).map((v) => v.id).sort()).toEqual([ids.phone, ids.apron, ids.gloves].sort());
    expect(await list(manager, 'q=phone%20apron')).toEqual([]);
    // LIKE wildcards are words like any other: "%" matches nothing here, "_" likewise.
    expect(await list(manager, 'q=%25')).toEqual([]);
    expect(await list(manager, 'q=_')).toEqual([]);
    expect((await list(owner, 'q=phone')).map((v) => v.id)).toEqual([ids.phone]);
    expect((await list(managerB, 'q=phone')).map((v) => v.id)).toEqual([ids.b]);
  });

  it('gives each alert its rule\'s title from the SOP file, and finds alerts by words of it', async () => {
    const byRule = new Map((await list(manager, 'q=espresso')).map((v) => [v.rule, v.title]));
    expect(Object.fromEntries(byRule)).toEqual({ 'no-phone': 'No phone behind the bar', 'apron-on': 'Apron on at the machine', 'gloves-on': null });
    expect((await list(manager, 'q=machine')).map((v) => v.id)).toEqual([ids.apron]);
    // Store b has no such SOP file: its alert of the same rule id has no title.
    expect((await list(managerB, 'q=phone'))[0]?.title).toBeNull();
  });

  it('says when each alert happened: the live start, or the clip\'s time plus the offset', async () => {
    const all = await list(manager, 'q=espresso');
    const at = new Map(all.map((v) => [v.id, v.happenedAt]));
    expect(at.get(ids.apron)).toBe('2026-03-01T09:30:00.000Z');
    expect(Date.parse(at.get(ids.phone) ?? '')).toBe(clipStartedAt.getTime() + 90_000);
    const one = (await f.call(manager, { method: 'GET', url: `/api/violations/${encodeURIComponent(ids.phone)}` })).json<V>();
    expect(one.happenedAt).toBe(at.get(ids.phone));
    expect((await list(manager, 'from=2026-03-01T09:45:00Z&to=2026-03-01T10:30:00Z')).map((v) => v.id)).toEqual([ids.gloves]);
  });
});

describe('bulk decisions and undo', () => {
  const bulk = (s: Session, payload: unknown) => f.call(s, { method: 'POST', url: '/api/violations/reviews', payload });
  const undo = (s: Session, payload: unknown) => f.call(s, { method: 'POST', url: '/api/violations/reviews/undo', payload });
  const status = async (id: string, s = owner) => (await f.call(s, { method: 'GET', url: `/api/violations/${encodeURIComponent(id)}` })).json<V>().status;

  it('decides all or nothing: a foreign id, an auditor or a missing reason changes no alert', async () => {
    expect((await bulk(manager, { ids: [ids.apron, ids.b], decision: 'confirmed' })).statusCode).toBe(404);
    expect((await bulk(auditor, { ids: [ids.apron], decision: 'confirmed' })).statusCode).toBe(403);
    expect((await bulk(manager, { ids: [ids.apron, ids.gloves], decision: 'dismissed' })).statusCode).toBe(400);
    expect((await bulk(manager, { ids: [ids.apron, ids.apron], decision: 'confirmed' })).statusCode).toBe(400);
    expect((await bulk(manager, { ids: [], decision: 'confirmed' })).statusCode).toBe(400);
    expect([await status(ids.apron), await status(ids.gloves), await status(ids.b, managerB)]).toEqual(['open', 'needs_review', 'open']);
  });

  it('dismisses several with one reason, and undo puts each back to what it was, history and audit kept', async () => {
    const res = await bulk(manager, { ids: [ids.apron, ids.gloves], decision: 'dismissed', reasonCode: 'false_alarm', comment: 'mirror' });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json<{ violations: V[] }>().violations.map((v) => [v.id, v.status])).toEqual([[ids.apron, 'dismissed'], [ids.gloves, 'dismissed']]);
    // Only the person who decided may take it back.
    const foreign = await undo(owner, { ids: [ids.apron] });
    expect(foreign.json<{ violations: V[] }>().violations.map((v) => v.status)).toEqual(['dismissed']);
    const back = await undo(manager, { ids: [ids.apron, ids.gloves] });
    expect(back.statusCode, back.body).toBe(200);
    expect(back.json<{ violations: V[] }>().violations.map((v) => v.status)).toEqual(['open', 'needs_review']);
    const history = (await f.call(manager, { method: 'GET', url: `/api/violations/${encodeURIComponent(ids.gloves)}/reviews` })).json<Array<{ decision: string; reasonCode: string; undoneAt: string | null }>>();
    expect(history).toHaveLength(1);
    expect(history[0]).toMatchObject({ decision: 'dismissed', reasonCode: 'false_alarm' });
    expect(history[0]?.undoneAt).not.toBeNull();
    const audit = await f.db.query(`SELECT action, target FROM audit_log WHERE action LIKE 'violation.review%' AND target = ANY($1::text[]) ORDER BY at, id`, [[ids.apron, ids.gloves]]);
    expect(audit.rows.map((r) => `${String(r.action)} ${r.target === ids.apron ? 'apron' : 'gloves'}`)).toEqual([
      'violation.review apron', 'violation.review gloves', 'violation.review_undo apron', 'violation.review_undo gloves',
    ]);
  });

  it('undoes one decision once, only the newest, and never another person\'s', async () => {
    const one = (s: Session, id: string) => f.call(s, { method: 'POST', url: `/api/violations/${encodeURIComponent(id)}/reviews/undo` });
    const decide = (s: Session, id: string, decision: string) => f.call(s, { method: 'POST', url: `/api/violations/${encodeURIComponent(id)}/reviews`, payload: { decision } });
    expect((await one(manager, ids.phone)).statusCode).toBe(409);
    expect((await decide(manager, ids.phone, 'confirmed')).statusCode).toBe(201);
    expect((await decide(owner, ids.phone, 'confirmed')).statusCode).toBe(201);
    expect((await one(manager, ids.phone)).statusCode).toBe(409);
    expect((await one(owner, ids.phone)).json<V>().status).toBe('confirmed');
    expect((await one(owner, ids.phone)).statusCode).toBe(409);
    expect((await one(auditor, ids.phone)).statusCode).toBe(403);
    expect((await one(managerB, ids.phone)).statusCode).toBe(404);
  });
});
