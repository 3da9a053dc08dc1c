// Deciding a review item: the model's answer is shown, a "violation" decision creates one confirmed violation
// however often it is sent, "no_violation" closes the item, and only writers of the item's store may decide.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuditRepository } from '../../services/core/storage/index.ts';
import { ReviewItemRepository } from '../../services/core/storage/review-items.repository.ts';
import { apiFixture, USERS, type ApiFixture } from './api-fixture.ts';

let f: ApiFixture;
const ENGINE_ID = 'counter-staffed/staffed/needs_review/wash/*/2000';
const itemId = (): string => `clip/${f.a1.clipId}/${ENGINE_ID}`;
const decideUrl = (id: string): string => `/api/review-items/${encodeURIComponent(id)}/decision`;

interface Decided { item: { status: string; violationId: string | null; answer: unknown }; violation: { id: string; status: string; decidedBy: string; evidence: string[] } | null }

beforeEach(async () => {
  f = await apiFixture();
  await new ReviewItemRepository(f.db).upsert({
    storeId: f.stores.a1, cameraId: f.a1.cameraId, clipId: f.a1.clipId, engineId: ENGINE_ID, sopId: 'counter-staffed', rule: 'staffed',
    step: 'wash', severity: 'high', startS: 2, endS: 5, reason: 'the model was unsure: hands hidden',
    question: 'Are the hands washed with soap?',
    answer: { answer: 'unsure', confidence: 0.4, reason: 'hands hidden', decidedBy: 'vlm:local/qwen', evidence: [f.a1.evidenceName, 'missing.jpg'] },
  });
});
afterEach(async () => f?.close());

describe('POST /api/review-items/:id/decision', () => {
  it('shows the question and the model answer in the list', async () => {
    const manager = await f.login(USERS.managerA);
    const items = (await f.call(manager, { method: 'GET', url: '/api/review-items' })).json<Array<{ id: string; question: string | null; answer: unknown }>>();
    const item = items.find((i) => i.id === itemId());
    expect(item?.question).toBe('Are the hands washed with soap?');
    expect(item?.answer).toEqual({ answer: 'unsure', confidence: 0.4, reason: 'hands hidden', decidedBy: 'vlm:local/qwen' });
    // The fixture's item had no model: its answer is null, not made up.
    expect(items.find((i) => i.id !== itemId())?.answer).toBeNull();
  });

  it('creates one confirmed human violation, however often the decision is sent, and audits it once', async () => {
    const manager = await f.login(USERS.managerA);
    const first = await f.call(manager, { method: 'POST', url: decideUrl(itemId()), payload: { decision: 'violation', comment: 'no soap seen' } });
    expect(first.statusCode, first.body).toBe(200);
    const a = first.json<Decided>();
    expect(a.item.status).toBe('resolved');
    expect(a.violation).toMatchObject({ status: 'confirmed', decidedBy: 'human', evidence: [f.a1.evidenceName] });
    expect(a.item.violationId).toBe(a.violation?.id);
    const second = await f.call(manager, { method: 'POST', url: decideUrl(itemId()), payload: { decision: 'violation' } });
    expect(second.statusCode, second.body).toBe(200);
    expect(second.json<Decided>().violation?.id).toBe(a.violation?.id);
    const human = (await f.call(manager, { method: 'GET', url: `/api/violations?clipId=${encodeURIComponent(f.a1.clipId)}` })).json<Array<{ decidedBy: string }>>()
      .filter((v) => v.decidedBy === 'human');
    expect(human).toHaveLength(1);
    const reviews = (await f.call(manager, { method: 'GET', url: `/api/violations/${encodeURIComponent(a.violation?.id ?? '')}/reviews` })).json<Array<{ comment: string | null }>>();
    expect(reviews.map((r) => r.comment)).toEqual(['no soap seen']);
    const trail = (await new AuditRepository(f.db).list([f.stores.a1])).filter((e) => e.action === 'review_item.decide');
    expect(trail).toHaveLength(1);
    expect(trail[0]?.target).toBe(itemId());
    // The other decision after the fact is refused, not silently applied.
    expect((await f.call(manager, { method: 'POST', url: decideUrl(itemId()), payload: { decision: 'no_violation' } })).statusCode).toBe(409);
  });

  it('closes the item without a violation for no_violation', async () => {
    const manager = await f.login(USERS.managerA);
    const res = await f.call(manager, { method: 'POST', url: decideUrl(itemId()), payload: { decision: 'no_violation' } });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json<Decided>()).toMatchObject({ item: { status: 'resolved', violationId: null }, violation: null });
    const open = (await f.call(manager, { method: 'GET', url: '/api/review-items?status=open' })).json<Array<{ id: string }>>();
    expect(open.map((i) => i.id)).not.toContain(itemId());
    const audit = (await new AuditRepository(f.db).list([f.stores.a1])).filter((e) => e.action === 'review_item.decide');
    expect(audit.map((e) => (e.detail as { decision: string }).decision)).toEqual(['no_violation']);
  });

  it('refuses auditors (403), other stores (404), a missing CSRF header (403) and a bad body (400)', async () => {
    const auditor = await f.login(USERS.auditorA);
    expect((await f.call(auditor, { method: 'POST', url: decideUrl(itemId()), payload: { decision: 'violation' } })).statusCode).toBe(403);
    const foreign = await f.login(USERS.managerB);
    expect((await f.call(foreign, { method: 'POST', url: decideUrl(itemId()), payload: { decision: 'violation' } })).statusCode).toBe(404);
    const manager = await f.login(USERS.managerA);
    expect((await f.call({ ...manager, csrf: '' }, { method: 'POST', url: decideUrl(itemId()), payload: { decision: 'violation' } })).statusCode).toBe(403);
    expect((await f.call(manager, { method: 'POST', url: decideUrl(itemId()), payload: { decision: 'maybe' } })).statusCode).toBe(400);
    // None of the refused calls decided anything.
    const items = (await f.call(manager, { method: 'GET', url: '/api/review-items?status=open' })).json<Array<{ id: string }>>();
    expect(items.map((i) => i.id)).toContain(itemId());
  });
});
