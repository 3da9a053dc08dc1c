// The accuracy report through the API (PGlite): precision from decisions per store and rule, weak rules flagged.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ViolationKind } from '../../services/core/contracts.ts';
import { ViolationRepository } from '../../services/core/storage/index.ts';
import { UserRepository } from '../../services/core/storage/users.repository.ts';
import { checkLabelsText } from '../../services/eval/index.ts';
import { apiFixture, USERS, type ApiFixture, type Session } from './api-fixture.ts';

interface Row { storeId: string; rule: string; violations: number; decided: number; precision: number | null; decidedShare: number | null; flag: string | null; hint: string | null }

describe('accuracy report', () => {
  let f: ApiFixture;
  let manager: Session;
  let foreign: Session;
  beforeAll(async () => {
    f = await apiFixture();
    manager = await f.login(USERS.managerA);
    foreign = await f.login(USERS.managerB);
    const violations = new ViolationRepository(f.db);
    const user = await new UserRepository(f.db).findByEmail(USERS.managerA);
    // Rule "staffed-loosely" on the fixture's clip: 1 confirmed, 5 dismissed, 1 open.
    const decisions: Array<'confirmed' | 'dismissed' | undefined> = ['confirmed', 'dismissed', 'dismissed', 'dismissed', 'dismissed', 'dismissed', undefined];
    for (const [i, decision] of decisions.entries()) {
      const { violation } = await violations.upsert({
        storeId: f.stores.a1, clipId: f.a1.clipId, sopVersion: 1,
        violation: {
          id: `counter-staffed/staffed-loosely/gap/-/*/${i * 10_000}`, sop: 'counter-staffed', rule: 'staffed-loosely', kind: ViolationKind.Gap,
          cameraId: f.a1.cameraId, startMs: i * 10_000, endMs: i * 10_000 + 3000, severity: 'medium', message: 'nobody', decidedBy: 'detector',
          confidence: 1, evidence: [], subject: '*',
        },
      });
      if (decision) await violations.review({ violationId: violation.id, userId: user?.id ?? '', decision, ...(decision === 'dismissed' ? { reasonCode: 'false_alarm' } : {}) });
    }
  });
  afterAll(async () => f.close());

  it('gives precision and the share decided per rule, and flags the weak rule with a hint', async () => {
    const res = await f.call(manager, { method: 'GET', url: `/api/reports/accuracy?storeId=${f.stores.a1}` });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json<{ rules: Row[]; thresholds: { minDecided: number } }>();
    expect(body.thresholds.minDecided).toBe(5);
    const byRule = Object.fromEntries(body.rules.map((r) => [r.rule, r]));
    expect(byRule['staffed-loosely']).toMatchObject({ storeId: f.stores.a1, violations: 7, decided: 6, precision: 0.167, decidedShare: 0.857, flag: 'low_precision' });
    expect(byRule['staffed-loosely']?.hint).toContain('zone');
    // The fixture's own alert: one, open, nobody decided it yet; too few to flag.
    expect(byRule.staffed).toMatchObject({ violations: 1, decided: 0, precision: null, decidedShare: 0, flag: null, hint: null });
  });

  it('is scoped to the caller\'s stores', async () => {
    expect((await f.call(foreign, { method: 'GET', url: `/api/reports/accuracy?storeId=${f.stores.a1}` })).statusCode).toBe(404);
    const own = await f.call(foreign, { method: 'GET', url: '/api/reports/accuracy' });
    expect(own.statusCode).toBe(200);
    expect(own.json<{ rules: Row[] }>().rules).toEqual([]);
    expect((await f.call(undefined, { method: 'GET', url: '/api/reports/accuracy' })).statusCode).toBe(401);
    expect((await f.call(manager, { method: 'GET', url: '/api/reports/accuracy?from=2026-13-45' })).statusCode).toBe(400);
  });

  it('exports a clip\'s decisions as a labels file that sopwatch eval reads', async () => {
    const res = await f.call(manager, { method: 'GET', url: `/api/clips/${f.a1.clipId}/labels.yaml?sopId=counter-staffed` });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/yaml/);
    expect(res.headers['content-disposition']).toBe('attachment; filename="shift.counter-staffed.labels.yaml"');
    expect(res.body).toContain('dismissed alerts (5) are left out');
    const { data, errors } = checkLabelsText(res.body, 'export.yaml');
    expect(errors).toEqual([]);
    expect(data).toEqual({
      clip: 'shift.mp4', sop: 'counter-staffed.yaml', camera: 'counter-1',
      violations: [
        { rule: 'staffed', kind: 'gap', start: 0, end: 4, may: true },
        { rule: 'staffed-loosely', kind: 'gap', start: 0, end: 3 },
        { rule: 'staffed-loosely', kind: 'gap', start: 60, end: 63, may: true },
      ],
    });
    expect((await f.call(foreign, { method: 'GET', url: `/api/clips/${f.a1.clipId}/labels.yaml?sopId=counter-staffed` })).statusCode).toBe(404);
    expect((await f.call(manager, { method: 'GET', url: `/api/clips/${f.a1.clipId}/labels.yaml?sopId=../x` })).statusCode).toBe(400);
    expect((await f.call(manager, { method: 'GET', url: `/api/clips/${f.a1.clipId}/labels.yaml` })).statusCode).toBe(400);
  });
});
