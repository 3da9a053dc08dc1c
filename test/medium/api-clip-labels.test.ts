// "Missed here" labels through the API on PGlite and PostgreSQL: made, listed and removed on a clip; store access on
// the path and on ids in bodies; a dismissed alert's reason kept as a label; the labels in the exported labels file and
// in the accuracy report (misses, recall, flags, day and week buckets); what a rule in shadow mode would have alerted.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ViolationKind } from '../../services/core/contracts.ts';
import { AuditRepository, ClipRepository, ViolationRepository, migrate, openPglite, openPostgres, type Database } from '../../services/core/storage/index.ts';
import { CameraRepository } from '../../services/core/storage/cameras.repository.ts';
import { UserRepository } from '../../services/core/storage/users.repository.ts';
import { checkLabelsText } from '../../services/eval/index.ts';
import { apiFixture, USERS, type ApiFixture, type Session } from './api-fixture.ts';

const PG_URL = 'postgres://postgres@127.0.0.1:5432/test';

interface Label { id: string; label: string; rule: string; kind: string; start: number; end: number; note: string | null; violationId: string | null; canDelete: boolean; createdByEmail: string | null }
interface Trend { start: string; violations: number; confirmed: number; dismissed: number; missed: number; precision: number | null; recall: number | null }
interface Row { storeId: string; sopId: string; rule: string; violations: number; confirmed: number; dismissed: number; missed: number; precision: number | null; recall: number | null; flag: string | null; flags: string[]; hint: string | null; trend: Trend[] }
interface Shadow { storeId: string; sopId: string; rule: string; wouldHaveAlerted: number; onLiveCameras: number; days: number; perDay: number; confirmed: number; dismissed: number; open: number; decided: number; precision: number | null }
interface Accuracy { bucket: string; rules: Row[]; shadow: Shadow[] }

const backends: Array<{ name: string; open: () => Promise<{ db: Database; cleanup: () => Promise<void> }> }> = [
  { name: 'pglite', open: async () => {
    const db = await openPglite({ template: true });
    await migrate(db);
    return { db, cleanup: async () => undefined };
  } },
  { name: 'postgres', open: async () => {
    const admin = openPostgres({ url: PG_URL, max: 1 });
    const schema = `sw_labels_${randomBytes(5).toString('hex')}`;
    await admin.exec(`CREATE SCHEMA ${schema}`);
    const db = openPostgres({ url: PG_URL, schema });
    await migrate(db);
    return { db, cleanup: async () => {
      await admin.exec(`DROP SCHEMA ${schema} CASCADE`);
      await admin.close();
    } };
  } },
];

describe.each(backends)('clip labels on $name', (backend) => {
  let f: ApiFixture;
  let cleanup: () => Promise<void>;
  let manager: Session;
  let owner: Session;
  let auditor: Session;
  let foreign: Session;
  let bClipId: string;
  let bViolationId: string;
  const labelsUrl = (): string => `/api/clips/${f.a1.clipId}/labels`;
  const mark = (who: Session, payload: unknown, clipId = f.a1.clipId) => f.call(who, { method: 'POST', url: `/api/clips/${clipId}/labels`, payload });

  beforeAll(async () => {
    const opened = await backend.open();
    cleanup = opened.cleanup;
    f = await apiFixture({ db: opened.db });
    [manager, owner, auditor, foreign] = [await f.login(USERS.managerA), await f.login(USERS.owner1), await f.login(USERS.auditorA), await f.login(USERS.managerB)];
    // Store b (another franchise): a clip and an alert of its own, for hostile bodies to name.
    const camB = await new CameraRepository(f.db).create({ storeId: f.stores.b, name: 'b-door' });
    bClipId = (await new ClipRepository(f.db).create({ storeId: f.stores.b, cameraId: camB.id, filename: 'b.mp4', path: `${f.dataDir}/clips/b.mp4`, bytes: 10 })).id;
    const { violation } = await new ViolationRepository(f.db).upsert({
      storeId: f.stores.b, clipId: bClipId, sopVersion: 1,
      violation: { id: 'counter-staffed/staffed/gap/-/*/0', sop: 'counter-staffed', rule: 'staffed', kind: ViolationKind.Gap, cameraId: camB.id, startMs: 0, endMs: 2000, severity: 'high', message: 'b', decidedBy: 'detector', confidence: 1, evidence: [], subject: '*' },
    });
    bViolationId = violation.id;
  }, 60_000);
  afterAll(async () => {
    await f?.close();
    await f?.db.close();
    await cleanup?.();
  });

  it('marks a missed span of a rule, lists it in clip order, and refuses what cannot be a label', async () => {
    const res = await mark(manager, { sopId: 'counter-staffed', rule: 'staffed', start: 12.5, end: 20, note: 'counter empty, nobody flagged it' });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json<Label>()).toMatchObject({ label: 'missed', rule: 'staffed', kind: 'gap', start: 12.5, end: 20, note: 'counter empty, nobody flagged it', canDelete: true, createdByEmail: USERS.managerA });
    expect((await mark(manager, { sopId: 'counter-staffed', rule: 'staffed-loosely', kind: 'gap', start: 5, end: 8 })).statusCode).toBe(201);
    const list = (await f.call(manager, { method: 'GET', url: labelsUrl() })).json<Label[]>();
    expect(list.map((l) => [l.rule, l.start])).toEqual([['staffed-loosely', 5], ['staffed', 12.5]]);

    const refused = async (payload: unknown): Promise<string> => {
      const r = await mark(manager, payload);
      expect(r.statusCode, r.body).toBe(400);
      return r.json<{ message: string }>().message;
    };
    expect(await refused({ sopId: 'counter-staffed', rule: 'staffed', start: 9, end: 9 })).toBe('end must be after start');
    expect(await refused({ sopId: 'counter-staffed', rule: 'stafed', start: 1, end: 2 })).toBe('SOP "counter-staffed" has no rule "stafed"');
    expect(await refused({ sopId: 'hand-wash', rule: 'staffed', start: 1, end: 2 })).toBe('the store has no SOP "hand-wash"');
    expect(await refused({ sopId: 'counter-staffed', rule: 'staffed', kind: 'too_short', start: 1, end: 2 })).toBe('a required rule never raises "too_short"; use one of gap');
    await refused({ sopId: 'counter-staffed', rule: 'staffed', start: -1, end: 2 });
    // Ids of another store slipped into the body are dropped (unknown keys): the label belongs to the path's clip.
    const slipped = await mark(manager, { sopId: 'counter-staffed', rule: 'staffed', start: 1, end: 2, storeId: f.stores.b, clipId: bClipId });
    expect(slipped.json<Label & { storeId: string; clipId: string }>()).toMatchObject({ storeId: f.stores.a1, clipId: f.a1.clipId });
    expect((await f.call(manager, { method: 'DELETE', url: `${labelsUrl()}/${slipped.json<Label>().id}` })).statusCode).toBe(200);
    expect((await f.call(manager, { method: 'GET', url: labelsUrl() })).json<Label[]>()).toHaveLength(2);
  });

  it('keeps other stores out: on the path, in bodies, and for read-only callers', async () => {
    expect((await mark(foreign, { sopId: 'counter-staffed', rule: 'staffed', start: 1, end: 2 })).statusCode).toBe(404);
    expect((await f.call(foreign, { method: 'GET', url: labelsUrl() })).statusCode).toBe(404);
    const one = (await f.call(manager, { method: 'GET', url: labelsUrl() })).json<Label[]>()[0];
    expect((await f.call(foreign, { method: 'DELETE', url: `${labelsUrl()}/${one?.id ?? ''}` })).statusCode).toBe(404);
    // The label named on store b's clip path: not found, whoever asks.
    expect((await f.call(foreign, { method: 'DELETE', url: `/api/clips/${bClipId}/labels/${one?.id ?? ''}` })).statusCode).toBe(404);
    // Store b's alert named in a body on store a1's clip, and store a1's alert named on store b's clip.
    const fromB = await f.call(manager, { method: 'POST', url: `${labelsUrl()}/not-violation`, payload: { violationId: bViolationId } });
    expect(fromB.statusCode, fromB.body).toBe(404);
    expect(fromB.body).not.toContain(bClipId);
    expect((await f.call(foreign, { method: 'POST', url: `/api/clips/${bClipId}/labels/not-violation`, payload: { violationId: f.a1.violationId } })).statusCode).toBe(404);
    expect((await f.call(auditor, { method: 'GET', url: labelsUrl() })).statusCode).toBe(200);
    expect((await mark(auditor, { sopId: 'counter-staffed', rule: 'staffed', start: 1, end: 2 })).statusCode).toBe(403);
    expect((await f.call(undefined, { method: 'GET', url: labelsUrl() })).statusCode).toBe(401);
    // Nothing was made by any of it.
    const rows = await f.db.query('SELECT store_id FROM clip_labels');
    expect(rows.rows.map((r) => r.store_id)).toEqual([f.stores.a1, f.stores.a1]);
  });

  it('lets the author or an owner remove a label, nobody else, and audits both', async () => {
    const byOwner = (await mark(owner, { sopId: 'counter-staffed', rule: 'staffed', start: 30, end: 31 })).json<Label>();
    const managerView = (await f.call(manager, { method: 'GET', url: labelsUrl() })).json<Label[]>().find((l) => l.id === byOwner.id);
    expect(managerView?.canDelete).toBe(false);
    const res = await f.call(manager, { method: 'DELETE', url: `${labelsUrl()}/${byOwner.id}` });
    expect(res.statusCode).toBe(403);
    expect(res.json<{ message: string }>().message).toBe('only the person who made a label, or an owner, may remove it');
    const temp = (await mark(manager, { sopId: 'counter-staffed', rule: 'staffed', start: 40, end: 41 })).json<Label>();
    expect((await f.call(owner, { method: 'DELETE', url: `${labelsUrl()}/${byOwner.id}` })).statusCode).toBe(200);
    expect((await f.call(owner, { method: 'DELETE', url: `${labelsUrl()}/${temp.id}` })).statusCode).toBe(200);
    expect((await f.call(owner, { method: 'DELETE', url: `${labelsUrl()}/${temp.id}` })).statusCode).toBe(404);
    const trail = await new AuditRepository(f.db).list([f.stores.a1]);
    expect(trail.filter((e) => e.action === 'label.delete').map((e) => e.target)).toEqual(expect.arrayContaining([byOwner.id, temp.id]));
    expect(trail.filter((e) => e.action === 'label.create').length).toBe(5);
  });

  it('keeps a dismissed alert\'s reason as a "not a violation" label, once, and only for a dismissed alert', async () => {
    const url = `${labelsUrl()}/not-violation`;
    const open = await f.call(manager, { method: 'POST', url, payload: { violationId: f.a1.violationId } });
    expect(open.statusCode).toBe(409);
    expect(open.json<{ message: string }>().message).toBe('the alert is open: only a dismissed alert\'s reason becomes a label');
    const dismissed = await f.call(manager, { method: 'POST', url: `/api/violations/${encodeURIComponent(f.a1.violationId)}/reviews`, payload: { decision: 'dismissed', reasonCode: 'not_applicable', comment: 'the delivery driver may stand there' } });
    expect(dismissed.statusCode, dismissed.body).toBe(201);
    const made = await f.call(manager, { method: 'POST', url, payload: { violationId: f.a1.violationId } });
    expect(made.statusCode, made.body).toBe(201);
    expect(made.json<Label>()).toMatchObject({
      label: 'not_violation', rule: 'staffed', kind: 'gap', start: 0, end: 4, violationId: f.a1.violationId,
      note: 'this was not a violation: the rule does not apply here: the delivery driver may stand there',
    });
    expect((await f.call(manager, { method: 'POST', url, payload: { violationId: f.a1.violationId } })).statusCode).toBe(409);
  });

  it('puts the labels in the exported labels file, which sopwatch eval reads', async () => {
    // Taking the dismissal back does not bring the alert back into the file: a person said it was not a violation.
    const undo = await f.call(manager, { method: 'POST', url: `/api/violations/${encodeURIComponent(f.a1.violationId)}/reviews/undo` });
    expect(undo.statusCode, undo.body).toBe(200);
    const res = await f.call(manager, { method: 'GET', url: `/api/clips/${f.a1.clipId}/labels.yaml?sopId=counter-staffed` });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.body).toContain('# not a violation: staffed 0-4 s: this was not a violation: the rule does not apply here: the delivery driver may stand there');
    expect(res.body).toContain('# 2 violation(s) marked "missed here"');
    const { data, errors } = checkLabelsText(res.body, 'export.yaml');
    expect(errors).toEqual([]);
    expect(data?.violations).toEqual([
      { rule: 'staffed-loosely', kind: 'gap', start: 5, end: 8, note: 'missed here' },
      { rule: 'staffed', kind: 'gap', start: 12.5, end: 20, note: 'missed here: counter empty, nobody flagged it' },
    ]);
  });

  it('counts misses per rule and store in the accuracy report, with recall and the many-missed flag', async () => {
    const res = await f.call(manager, { method: 'GET', url: `/api/reports/accuracy?storeId=${f.stores.a1}` });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json<Accuracy>();
    expect(body.bucket).toBe('day');
    const byRule = Object.fromEntries(body.rules.map((r) => [r.rule, r]));
    // The fixture's alert is open again (its dismissal was taken back); its label still keeps it out of the file.
    expect(byRule.staffed).toMatchObject({ violations: 1, dismissed: 0, confirmed: 0, missed: 1, recall: 0, flag: null });
    expect(byRule['staffed-loosely']).toMatchObject({ violations: 0, missed: 1, recall: 0, precision: null, flag: null });
    expect(byRule.staffed?.trend).toHaveLength(7);
    expect(byRule.staffed?.trend.at(-1)).toMatchObject({ violations: 1, missed: 1 });
    // A second miss of the same rule crosses the threshold: flagged with what usually helps.
    expect((await mark(manager, { sopId: 'counter-staffed', rule: 'staffed', start: 50, end: 55 })).statusCode).toBe(201);
    const again = (await f.call(manager, { method: 'GET', url: `/api/reports/accuracy?storeId=${f.stores.a1}` })).json<Accuracy>();
    const staffed = again.rules.find((r) => r.rule === 'staffed');
    expect(staffed).toMatchObject({ missed: 2, flag: 'many_missed', flags: ['many_missed'] });
    expect(staffed?.hint).toMatch(/zone.*timing.*camera/s);
    // Store b's owner sees none of it.
    const other = (await f.call(foreign, { method: 'GET', url: '/api/reports/accuracy' })).json<Accuracy>();
    expect(other.rules.filter((r) => r.missed > 0)).toEqual([]);
  });

  it('buckets decisions and misses by the day or the Monday-week they happened', async () => {
    const violations = new ViolationRepository(f.db);
    const user = await new UserRepository(f.db).findByEmail(USERS.managerA);
    const clipAt = async (recordedAt: string): Promise<string> => (await new ClipRepository(f.db).create({
      storeId: f.stores.a1, cameraId: f.a1.cameraId, filename: `${recordedAt.slice(0, 10)}.mp4`, path: `${f.dataDir}/clips/x.mp4`, bytes: 1, recordedAt: new Date(recordedAt), recordedAtSource: 'form',
    })).id;
    const alert = async (clipId: string, recordedAt: string, startS: number, decision: 'confirmed' | 'dismissed'): Promise<void> => {
      const { violation } = await violations.upsert({
        storeId: f.stores.a1, clipId, clipRecordedAt: new Date(recordedAt), sopVersion: 1,
        violation: { id: `counter-staffed/staffed-loosely/gap/-/*/${startS * 1000}`, sop: 'counter-staffed', rule: 'staffed-loosely', kind: ViolationKind.Gap, cameraId: f.a1.cameraId, startMs: startS * 1000, endMs: startS * 1000 + 3000, severity: 'medium', message: 'x', decidedBy: 'detector', confidence: 1, evidence: [], subject: '*' },
      });
      await violations.review({ violationId: violation.id, userId: user?.id ?? '', decision, ...(decision === 'dismissed' ? { reasonCode: 'false_alarm' } : {}) });
    };
    // Monday 2 November: two confirmed alerts and a miss. Wednesday 11 November: one confirmed, one dismissed, one miss.
    const mon = await clipAt('2026-11-02T10:00:00Z');
    await alert(mon, '2026-11-02T10:00:00Z', 10, 'confirmed');
    await alert(mon, '2026-11-02T10:00:00Z', 100, 'confirmed');
    expect((await mark(manager, { sopId: 'counter-staffed', rule: 'staffed-loosely', start: 200, end: 210 }, mon)).statusCode).toBe(201);
    const wed = await clipAt('2026-11-11T09:00:00Z');
    await alert(wed, '2026-11-11T09:00:00Z', 10, 'confirmed');
    await alert(wed, '2026-11-11T09:00:00Z', 60, 'dismissed');
    expect((await mark(manager, { sopId: 'counter-staffed', rule: 'staffed-loosely', start: 300, end: 310 }, wed)).statusCode).toBe(201);

    const report = async (query: string): Promise<Accuracy> => {
      const r = await f.call(manager, { method: 'GET', url: `/api/reports/accuracy?storeId=${f.stores.a1}&from=2026-11-01&to=2026-11-15${query}` });
      expect(r.statusCode, r.body).toBe(200);
      return r.json<Accuracy>();
    };
    const weeks = await report('&bucket=week');
    expect(weeks.bucket).toBe('week');
    const loose = weeks.rules.find((r) => r.rule === 'staffed-loosely');
    expect(loose).toMatchObject({ violations: 4, confirmed: 3, dismissed: 1, missed: 2, precision: 0.75, recall: 0.6, flags: ['many_missed'] });
    expect(loose?.trend).toEqual([
      { start: '2026-10-26', violations: 0, confirmed: 0, dismissed: 0, missed: 0, precision: null, recall: null },
      { start: '2026-11-02', violations: 2, confirmed: 2, dismissed: 0, missed: 1, precision: 1, recall: 0.667 },
      { start: '2026-11-09', violations: 2, confirmed: 1, dismissed: 1, missed: 1, precision: 0.5, recall: 0.5 },
    ]);
    const days = await report('&bucket=day');
    const daily = days.rules.find((r) => r.rule === 'staffed-loosely')?.trend ?? [];
    expect(daily).toHaveLength(15);
    expect(daily.filter((d) => d.violations + d.missed > 0).map((d) => [d.start, d.violations, d.missed])).toEqual([['2026-11-02', 2, 1], ['2026-11-11', 2, 1]]);
    // A range of over a month is in weeks unless asked otherwise; a bucket nobody knows is refused.
    expect((await f.call(manager, { method: 'GET', url: `/api/reports/accuracy?from=2026-10-01&to=2026-11-15` })).json<Accuracy>().bucket).toBe('week');
    expect((await f.call(manager, { method: 'GET', url: '/api/reports/accuracy?bucket=month' })).statusCode).toBe(400);
  });

  it('reports what a rule in shadow mode would have alerted on live cameras, and how people judged it', async () => {
    const violations = new ViolationRepository(f.db);
    const user = await new UserRepository(f.db).findByEmail(USERS.managerA);
    const shadowAlert = async (at: string, decision?: 'confirmed' | 'dismissed', storeId = f.stores.a1, cameraId = f.a1.cameraId): Promise<void> => {
      const startMs = Date.parse(at);
      const { violation } = await violations.upsert({
        storeId,
        violation: { id: `counter-staffed/staffed-strictly/gap/-/*/${startMs}`, sop: 'counter-staffed', rule: 'staffed-strictly', kind: ViolationKind.Gap, cameraId, startMs, endMs: startMs + 1000, severity: 'low', message: 'would have alerted', decidedBy: 'detector', confidence: 1, evidence: [], subject: '*', shadow: true },
      });
      if (decision) await violations.review({ violationId: violation.id, userId: user?.id ?? '', decision, ...(decision === 'dismissed' ? { reasonCode: 'false_alarm' } : {}) });
    };
    await shadowAlert('2026-11-03T08:00:00Z', 'confirmed');
    await shadowAlert('2026-11-03T09:00:00Z', 'dismissed');
    await shadowAlert('2026-11-03T10:00:00Z', 'dismissed');
    await shadowAlert('2026-11-05T10:00:00Z');
    await shadowAlert('2026-11-20T10:00:00Z'); // after the period
    const b = await new CameraRepository(f.db).list([f.stores.b]);
    await shadowAlert('2026-11-04T10:00:00Z', undefined, f.stores.b, b[0]?.id ?? '');
    const res = await f.call(manager, { method: 'GET', url: '/api/reports/accuracy?from=2026-11-01&to=2026-11-10' });
    const body = res.json<Accuracy>();
    expect(body.shadow).toEqual([{
      storeId: f.stores.a1, storeName: 'A1 Main St', sopId: 'counter-staffed', rule: 'staffed-strictly', wouldHaveAlerted: 4, onLiveCameras: 4, days: 2, perDay: 0.4,
      open: 1, needsReview: 0, confirmed: 1, dismissed: 2, decided: 3, precision: 0.333,
    }]);
    // Shadow alerts are no live rule's figures.
    expect(body.rules.find((r) => r.rule === 'staffed-strictly')).toBeUndefined();
    const other = (await f.call(foreign, { method: 'GET', url: '/api/reports/accuracy?from=2026-11-01&to=2026-11-10' })).json<Accuracy>();
    expect(other.shadow.map((s) => [s.storeId, s.wouldHaveAlerted])).toEqual([[f.stores.b, 1]]);
  });

  it('drops a clip\'s labels with the clip', async () => {
    await f.db.query('DELETE FROM clips WHERE id = $1', [f.a1.clipId]);
    const left = await f.db.query('SELECT count(*)::integer AS n FROM clip_labels WHERE clip_id = $1', [f.a1.clipId]);
    expect(Number(left.rows[0]?.n)).toBe(0);
  });
});
