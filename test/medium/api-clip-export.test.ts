// A store's privacy settings (owners change them) and the export of an original clip, which they allow or forbid.
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiFixture, USERS, type ApiFixture, type Session } from './api-fixture.ts';

let f: ApiFixture;
let owner1: Session;
let owner2: Session;
let manager: Session;
let auditor: Session;
const bytes = randomBytes(4096);

beforeAll(async () => {
  f = await apiFixture();
  // The fixture's clip row points at clips/x.mp4: give it content to take out.
  await writeFile(join(f.dataDir, 'clips', 'x.mp4'), bytes);
  const sessions = await Promise.all([USERS.owner1, USERS.owner2, USERS.managerA, USERS.auditorA].map((u) => f.login(u)));
  [owner1, owner2, manager, auditor] = sessions as [Session, Session, Session, Session];
});
afterAll(async () => {
  await f?.close();
});

const privacy = (who: Session, payload: unknown) => f.call(who, { method: 'PATCH', url: `/api/stores/${f.stores.a1}/privacy`, payload });
const file = (who: Session, headers: Record<string, string> = {}) => f.call(who, { method: 'GET', url: `/api/clips/${f.a1.clipId}/file`, headers });
const audit = async (action: string) => (await f.db.query('SELECT actor, target, detail FROM audit_log WHERE action = $1 ORDER BY id', [action])).rows;

describe('store privacy settings and clip export', () => {
  it('keeps clips in by default: nobody can take one out', async () => {
    const store = (await f.call(owner1, { method: 'GET', url: `/api/stores/${f.stores.a1}` })).json<{ keepVideo: boolean; allowClipExport: boolean }>();
    expect(store).toMatchObject({ keepVideo: true, allowClipExport: false });
    const refused = await file(owner1);
    expect(refused.statusCode).toBe(403);
    expect(refused.json<{ message: string }>().message).toMatch(/privacy settings do not allow taking clips out/);
    expect(await audit('clip.export')).toEqual([]);
  });

  it('lets only an owner of the store change the settings, with a body that says something', async () => {
    expect((await privacy(manager, { allowClipExport: true })).statusCode).toBe(403);
    expect((await privacy(auditor, { allowClipExport: true })).statusCode).toBe(403);
    expect((await privacy(owner2, { allowClipExport: true })).statusCode).toBe(404);
    expect((await privacy(owner1, {})).statusCode).toBe(400);
    expect((await privacy(owner1, { allowClipExport: 'yes' })).statusCode).toBe(400);
    // A store id slipped into the body is dropped (unknown keys are removed): only the path's store changes.
    const changed = await privacy(owner1, { allowClipExport: true, storeId: f.stores.b });
    expect(changed.statusCode).toBe(200);
    expect(changed.json()).toMatchObject({ id: f.stores.a1, keepVideo: true, allowClipExport: true });
    // One setting at a time: the other keeps its value.
    expect((await privacy(owner1, { keepVideo: false })).json()).toMatchObject({ keepVideo: false, allowClipExport: true });
    expect((await f.call(owner2, { method: 'GET', url: `/api/stores/${f.stores.b}` })).json()).toMatchObject({ allowClipExport: false });
    expect((await audit('store.privacy')).map((r) => r.detail)).toEqual([{ allowClipExport: true }, { keepVideo: false }]);
  });

  it('then gives an owner the original bytes, whole or by range, and audits it; managers and other franchises get nothing', async () => {
    const whole = await file(owner1);
    expect(whole.statusCode).toBe(200);
    expect(whole.rawPayload.equals(bytes)).toBe(true);
    expect(whole.headers['content-disposition']).toBe('attachment; filename="shift.mp4"');
    expect(whole.headers['content-type']).toBe('application/octet-stream');
    const part = await file(owner1, { range: 'bytes=100-199' });
    expect(part.statusCode).toBe(206);
    expect(part.rawPayload.equals(bytes.subarray(100, 200))).toBe(true);
    expect(part.headers['content-range']).toBe(`bytes 100-199/${bytes.length}`);
    expect((await file(owner1, { range: `bytes=${bytes.length}-` })).statusCode).toBe(416);
    expect((await file(manager)).statusCode).toBe(403);
    expect((await file(owner2)).statusCode).toBe(404);
    const rows = await audit('clip.export');
    expect(rows).toHaveLength(3);
    expect(rows[0]).toMatchObject({ target: f.a1.clipId, detail: { file: 'shift.mp4' } });
  });

  it('says the file is gone when retention removed it, and forbids again once turned off', async () => {
    await f.db.query('UPDATE clips SET path = $1 WHERE id = $2', [join(f.dataDir, 'clips', 'gone.mp4'), f.a1.clipId]);
    expect((await file(owner1)).statusCode).toBe(404);
    expect((await privacy(owner1, { allowClipExport: false })).json()).toMatchObject({ allowClipExport: false });
    expect((await file(owner1)).statusCode).toBe(403);
  });
});
