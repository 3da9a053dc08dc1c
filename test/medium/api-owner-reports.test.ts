// What an owner takes out (PGlite): every alert of the days asked as CSV rows, with the standing decision, its reason
// and comment, in store-local time, injection-safe; and the messages and Chinese titles the dashboard renders.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ViolationKind, type Violation } from '../../services/core/contracts.ts';
import { ViolationRepository } from '../../services/core/storage/index.ts';
import { CameraRepository } from '../../services/core/storage/cameras.repository.ts';
import { SopFileRepository } from '../../services/core/storage/sop-files.repository.ts';
import { StoreRepository } from '../../services/core/storage/stores.repository.ts';
import { UserRepository } from '../../services/core/storage/users.repository.ts';
import { parts } from '../../services/rules/message-text.ts';
import { loadSopText } from '../../services/rules/sop-loader.ts';
import { apiFixture, USERS, type ApiFixture, type Session } from './api-fixture.ts';

const SOP = `id: bar
title: Bar
title_zh: 吧台
version: 1
cameras: ["*"]
rules:
  - id: no-phone
    kind: forbidden
    title: No phone at the bar
    title_zh: 吧台不许用手机
    when: { object: cell phone }
    severity: high
`;

describe('owner reports: alerts CSV', () => {
  let f: ApiFixture;
  let owner: Session;
  let foreign: Session;
  let storeId: string;
  let ids: string[] = [];

  beforeAll(async () => {
    f = await apiFixture();
    owner = await f.login(USERS.owner1);
    foreign = await f.login(USERS.owner2);
    const store = await new StoreRepository(f.db).create({ name: 'C Shanghai', franchise: 'F1', tz: 'Asia/Shanghai' });
    storeId = store.id;
    const camera = await new CameraRepository(f.db).create({ storeId, name: 'bar-cam' });
    const load = loadSopText(SOP, 'bar.yaml');
    if (!load.ok) throw new Error('invalid SOP');
    await new SopFileRepository(f.db).addVersion(storeId, 'bar', SOP, load.sop);
    const violations = new ViolationRepository(f.db);
    const user = await new UserRepository(f.db).findByEmail(USERS.owner1);
    const at = (iso: string, over: Partial<Violation> = {}): Violation => {
      const startMs = Date.parse(iso);
      return {
        id: `bar/no-phone/forbidden/-/*/${startMs}`, sop: 'bar', rule: 'no-phone', kind: ViolationKind.Forbidden, cameraId: camera.id,
        startMs, endMs: startMs + 4000, severity: 'high', message: 'a cell phone for 4 s: the SOP does not allow this', decidedBy: 'detector',
        confidence: 1, evidence: [], subject: '*', parts: parts('forbidden', { what: { type: 'object', label: 'cell phone', zone: '*' }, durationMs: 4000 }),
        ...over,
      };
    };
    const seeded = [
      at('2026-03-02T01:30:00Z'), // 09:30 local, dismissed with a hostile comment
      at('2026-03-02T15:59:00Z'), // 23:59 local, confirmed
      at('2026-03-02T16:01:00Z'), // 00:01 on 3 March local: another day
      at('2026-03-02T05:00:00Z', { id: 'bar/no-phone/forbidden/-/*/shadow', shadow: true }), // shadow mode: never exported
      at('2026-03-02T06:00:00Z'), // 14:00 local, confirmed then undone: open, no decision
    ];
    ids = [];
    for (const v of seeded) ids.push((await violations.upsert({ storeId, violation: v })).violation.id);
    const userId = user?.id ?? '';
    await violations.review({ violationId: ids[0] ?? '', userId, decision: 'dismissed', reasonCode: 'false_alarm', comment: '=HYPERLINK("http://evil.test")' });
    await violations.review({ violationId: ids[1] ?? '', userId, decision: 'confirmed', comment: 'phone, "again"' });
    await violations.review({ violationId: ids[4] ?? '', userId, decision: 'confirmed' });
    expect(await violations.undoReview(ids[4] ?? '', userId, 60_000)).toBeDefined();
  });
  afterAll(async () => f?.close());

  it('lists each alert of the local days asked, oldest first, decisions and comments kept, formulas defused', async () => {
    const res = await f.call(owner, { method: 'GET', url: `/api/reports/alerts.csv?storeId=${storeId}&from=2026-03-02&to=2026-03-02` });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(res.headers['content-disposition']).toBe('attachment; filename="alerts-2026-03-02-2026-03-02.csv"');
    const message = 'a cell phone for 4 s: the SOP does not allow this';
    expect(res.body.split('\r\n')).toEqual([
      'time,time_utc,store,camera,sop,rule,rule_title,rule_title_zh,severity,status,decision,reason,comment,message',
      `2026-03-02 09:30:00,2026-03-02T01:30:00.000Z,C Shanghai,bar-cam,bar,no-phone,No phone at the bar,吧台不许用手机,high,dismissed,dismissed,false_alarm,"'=HYPERLINK(""http://evil.test"")",${message}`,
      `2026-03-02 14:00:00,2026-03-02T06:00:00.000Z,C Shanghai,bar-cam,bar,no-phone,No phone at the bar,吧台不许用手机,high,open,,,,${message}`,
      `2026-03-02 23:59:00,2026-03-02T15:59:00.000Z,C Shanghai,bar-cam,bar,no-phone,No phone at the bar,吧台不许用手机,high,confirmed,confirmed,,"phone, ""again""",${message}`,
      '',
    ]);
    const next = await f.call(owner, { method: 'GET', url: `/api/reports/alerts.csv?storeId=${storeId}&from=2026-03-03&to=2026-03-03` });
    expect(next.body.split('\r\n').slice(1, 2)[0]).toMatch(/^2026-03-03 00:01:00,2026-03-02T16:01:00.000Z,/);
  });

  it('is scoped to the caller\'s stores and refuses bad days', async () => {
    expect((await f.call(foreign, { method: 'GET', url: `/api/reports/alerts.csv?storeId=${storeId}` })).statusCode).toBe(404);
    const own = await f.call(foreign, { method: 'GET', url: '/api/reports/alerts.csv?from=2026-03-02&to=2026-03-02' });
    expect(own.statusCode).toBe(200);
    expect(own.body).toBe('time,time_utc,store,camera,sop,rule,rule_title,rule_title_zh,severity,status,decision,reason,comment,message\r\n');
    expect((await f.call(undefined, { method: 'GET', url: '/api/reports/alerts.csv' })).statusCode).toBe(401);
    expect((await f.call(owner, { method: 'GET', url: '/api/reports/alerts.csv?from=2026-03-05&to=2026-03-01' })).statusCode).toBe(400);
  });

  it('gives the dashboard the message as parts and the rule\'s Chinese title', async () => {
    const res = await f.call(owner, { method: 'GET', url: `/api/violations/${encodeURIComponent(ids[1] ?? '')}` });
    expect(res.statusCode, res.body).toBe(200);
    const v = res.json<{ title: string; titleZh: string; messageParts: unknown }>();
    expect(v.title).toBe('No phone at the bar');
    expect(v.titleZh).toBe('吧台不许用手机');
    expect(v.messageParts).toEqual({ code: 'forbidden', values: { what: { type: 'object', label: 'cell phone', zone: '*' }, durationMs: 4000 } });
    const sops = await f.call(owner, { method: 'GET', url: `/api/stores/${storeId}/sops` });
    expect(sops.statusCode, sops.body).toBe(200);
    expect(sops.json<Array<{ titleZh: string | null }>>().map((s) => s.titleZh)).toEqual(['吧台']);
  });
});
