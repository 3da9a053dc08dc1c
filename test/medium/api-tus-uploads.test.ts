// Resumable uploads (tus) over real HTTP on 127.0.0.1: a PATCH torn down at 50 % resumes from the server's offset and
// the stored clip is the same file, byte for byte, analysed by the real worker; the same scope, size and format checks
// as the multipart upload; a wrong offset is a 409; stale uploads are swept.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobOutcome } from '../../services/core/jobs.ts';
import { defaultQueueSettings, startWorkers } from '../../services/core/queue/index.ts';
import { AuditRepository } from '../../services/core/storage/audit.repository.ts';
import { ClipRepository } from '../../services/core/storage/index.ts';
import { ClipUploadStore } from '../../services/api/upload/tus-store.ts';
import { createClipAnalyseWorker, type ClipAnalyseWorker } from '../../services/service/index.ts';
import { handlerRegistry } from '../../services/service/handlers.ts';
import { apiFixture, USERS, type ApiFixture, type Session } from './api-fixture.ts';
import { create, patch, patchThenDrop, tus } from './tus-client.ts';

const MAX = 8 * 1024 * 1024;
let f: ApiFixture;
let base: string;
let manager: Session;
let foreign: Session;
let auditor: Session;
let owner: Session;
let work: string;
let clip: Buffer;
let worker: ClipAnalyseWorker;

const tusDir = (): string => join(f.dataDir, 'clips', '.incoming', 'tus');
const uploadsOnDisk = (): string[] => (existsSync(tusDir()) ? readdirSync(tusDir()) : []);
const query = (): string => `?cameraId=${f.a1.cameraId}`;
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

async function waitFor<T>(what: string, get: () => Promise<T | undefined> | T | undefined, ms = 20_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await get();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, ms > 30_000 ? 250 : 25));
  }
}

beforeAll(async () => {
  f = await apiFixture({ config: { maxUploadBytes: MAX } });
  base = await f.app.listen({ port: 0, host: '127.0.0.1' });
  [manager, foreign, auditor, owner] = await Promise.all([f.login(USERS.managerA), f.login(USERS.managerB), f.login(USERS.auditorA), f.login(USERS.owner1)]);
  work = await mkdtemp(join(tmpdir(), 'sopwatch-tus-'));
  // One frame of noise held still for 2 s: a few hundred KB (noise compresses badly), big enough to tear in the middle,
  // and nothing moves, so the analysis is quick.
  execFileSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'nullsrc=s=640x360:d=1:r=1,geq=random(1)*255:128:128', '-frames:v', '1', join(work, 'noise.png')]);
  execFileSync('ffmpeg', ['-v', 'error', '-loop', '1', '-i', join(work, 'noise.png'), '-t', '2', '-r', '5', '-pix_fmt', 'yuv420p', '-c:v', 'libx264', '-crf', '12', join(work, 'still.mp4')]);
  clip = readFileSync(join(work, 'still.mp4'));
  worker = createClipAnalyseWorker({ db: f.db, dataDir: f.dataDir, maxAttempts: defaultQueueSettings.attempts });
  const skipped = async (): Promise<JobOutcome> => ({ status: 'skipped', reason: 'not part of these tests' });
  startWorkers(f.queue, handlerRegistry(worker, { notificationSend: skipped, retentionSweep: skipped }));
}, 180_000);

afterAll(async () => {
  worker?.abortAll();
  await f?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

describe('a resumed upload', () => {
  it('survives the connection dropping at 50 %: HEAD gives the offset, PATCH sends the rest, the clip is the same file and is analysed', async () => {
    expect(clip.length).toBeGreaterThan(100_000);
    const made = await create(base, manager, f.stores.a1, query(), clip.length, { filename: 'Evening shift.mp4', filetype: 'video/mp4' });
    expect(made.status, made.body).toBe(201);
    expect(made.location).toMatch(new RegExp(`^/api/stores/${f.stores.a1}/uploads/[0-9a-f]{32}$`));
    const id = made.location.split('/').pop() ?? '';
    const half = Math.floor(clip.length / 2);
    const onDisk = (): number => statSync(join(tusDir(), id)).size;
    // The socket is destroyed once the server has written the first half: the PATCH never completes.
    const torn = await patchThenDrop(base, manager, made.location, 0, clip.length, clip.subarray(0, half), () => waitFor('half on disk', () => (onDisk() >= half ? true : undefined)).then(() => undefined));
    expect(torn).toBeUndefined();
    const head = await waitFor('the offset after the drop', async () => {
      const h = await tus(base, manager, 'HEAD', made.location);
      return h.headers.get('upload-offset') === String(half) ? h : undefined;
    });
    expect(head.status).toBe(200);
    expect(head.headers.get('upload-length')).toBe(String(clip.length));
    expect(head.headers.get('cache-control')).toBe('no-store');
    expect((await f.db.query('SELECT 1 FROM clips WHERE filename = $1', ['Evening shift.mp4'])).rows).toEqual([]);

    const rest = await patch(base, manager, made.location, half, clip.subarray(half));
    expect(rest.status, rest.body).toBe(204);
    expect(rest.headers.get('upload-offset')).toBe(String(clip.length));
    const clipId = rest.headers.get('sopwatch-clip-id') ?? '';
    const row = await new ClipRepository(f.db).get(clipId, [f.stores.a1]);
    expect(row).toMatchObject({ filename: 'Evening shift.mp4', bytes: clip.length, sha256: sha(clip), cameraId: f.a1.cameraId });
    expect(sha(readFileSync(row?.path ?? ''))).toBe(sha(clip));
    expect(row?.path).toBe(join(f.dataDir, 'clips', `${clipId}.mp4`));
    // Only the small record that says "complete" stays; asked again, the server says so instead of taking the file twice.
    expect(uploadsOnDisk()).toEqual([`${id}.json`]);
    const again = await tus(base, manager, 'HEAD', made.location);
    expect([again.headers.get('upload-offset'), again.headers.get('sopwatch-clip-id')]).toEqual([String(clip.length), clipId]);
    expect((await patch(base, manager, made.location, clip.length, Buffer.alloc(0))).status).toBe(409);

    const trail = await new AuditRepository(f.db).list([f.stores.a1]);
    expect(trail.find((e) => e.action === 'clip.upload' && e.target === clipId)?.detail).toMatchObject({ via: 'tus', sha256: sha(clip) });
    const done = await waitFor('the analysis', async () => {
      const c = await new ClipRepository(f.db).get(clipId, [f.stores.a1]);
      return c?.status === 'done' || c?.status === 'failed' ? c : undefined;
    }, 60_000);
    expect(done.status, done.error ?? '').toBe('done');
  }, 90_000);

  it('refuses a PATCH whose offset is not the server\'s (409) and keeps what it has', async () => {
    const made = await create(base, manager, f.stores.a1, query(), clip.length, { filename: 'x.mp4' });
    const first = await patch(base, manager, made.location, 0, clip.subarray(0, 1000));
    expect(first.headers.get('upload-offset')).toBe('1000');
    for (const offset of [0, 999, 1001, 5000]) {
      const res = await patch(base, manager, made.location, offset, clip.subarray(offset, offset + 100));
      expect(res.status, `offset ${offset}`).toBe(409);
    }
    expect((await tus(base, manager, 'HEAD', made.location)).headers.get('upload-offset')).toBe('1000');
    expect((await tus(base, manager, 'DELETE', made.location)).status).toBe(204);
    expect((await tus(base, manager, 'HEAD', made.location)).status).toBe(404);
  });

  it('answers OPTIONS with the version, extensions and size limit', async () => {
    const res = await tus(base, manager, 'OPTIONS', `/api/stores/${f.stores.a1}/uploads`);
    expect(res.status).toBe(204);
    expect(res.headers.get('tus-version')).toContain('1.0.0');
    expect(res.headers.get('tus-extension')).toMatch(/creation.*termination.*expiration/);
    expect(res.headers.get('tus-max-size')).toBe(String(MAX));
  });
});

describe('the same checks as a multipart upload', () => {
  it('needs a session, the CSRF header, a writer of the store, and is "not found" to other stores and other users', async () => {
    const meta = { filename: 'x.mp4' };
    expect((await create(base, undefined, f.stores.a1, query(), 10, meta)).status).toBe(401);
    expect((await create(base, { ...manager, csrf: 'wrong' }, f.stores.a1, query(), 10, meta)).status).toBe(403);
    expect((await create(base, foreign, f.stores.a1, query(), 10, meta)).status).toBe(404);
    expect((await create(base, auditor, f.stores.a1, query(), 10, meta)).status).toBe(403);
    expect((await create(base, manager, f.stores.a1, '?cameraId=nope', 10, meta)).status).toBe(404);
    expect((await create(base, manager, f.stores.b, `?cameraId=${f.a1.cameraId}`, 10, meta)).status).toBe(404);

    const made = await create(base, manager, f.stores.a1, query(), clip.length, meta);
    expect(made.status).toBe(201);
    // Another store's manager, the franchise owner (who may see the store, but did not start this upload), an auditor.
    const id = made.location.split('/').pop() ?? '';
    for (const [who, path] of [[foreign, made.location], [foreign, `/api/stores/${f.stores.b}/uploads/${id}`], [owner, made.location], [owner, `/api/stores/${f.stores.a2}/uploads/${id}`]] as const) {
      expect((await tus(base, who, 'HEAD', path)).status, path).toBe(404);
      expect((await patch(base, who, path, 0, clip.subarray(0, 100))).status, path).toBe(404);
      expect((await tus(base, who, 'DELETE', path)).status, path).toBe(404);
    }
    expect((await patch(base, auditor, made.location, 0, clip.subarray(0, 100))).status).toBe(403);
    expect((await tus(base, undefined, 'HEAD', made.location)).status).toBe(401);
    expect((await tus(base, manager, 'HEAD', made.location)).headers.get('upload-offset')).toBe('0');
    expect((await tus(base, manager, 'DELETE', made.location)).status).toBe(204);
  });

  it('refuses a file over the limit, a path-like or unknown name, and a bad "recorded at" before any byte', async () => {
    const big = await create(base, manager, f.stores.a1, query(), MAX + 1, { filename: 'x.mp4' });
    expect(big.status).toBe(413);
    expect(JSON.parse(big.body)).toMatchObject({ error: 'too_large' });
    expect((await create(base, manager, f.stores.a1, query(), 10, { filename: '../x.mp4' })).status).toBe(400);
    expect((await create(base, manager, f.stores.a1, query(), 10, { filename: 'notes.txt' })).status).toBe(415);
    expect((await create(base, manager, f.stores.a1, query(), 10, {})).status).toBe(400);
    expect((await create(base, manager, f.stores.a1, query(), 10, { filename: 'x.mp4', recordedAt: 'yesterday-ish' })).status).toBe(400);
    expect((await tus(base, manager, 'POST', `/api/stores/${f.stores.a1}/uploads${query()}`, { 'upload-length': '10', 'upload-metadata': 'filename %%%' })).status).toBe(400);
    expect(uploadsOnDisk()).toEqual(expect.not.arrayContaining([expect.stringMatching(/^[0-9a-f]{32}$/)]));
  });

  it('refuses a file that is no video as soon as its first bytes arrive (415 listing the formats), and deletes it', async () => {
    const before = uploadsOnDisk();
    const declared = 4 * 1024 * 1024;
    const made = await create(base, manager, f.stores.a1, query(), declared, { filename: 'playlist.mp4' });
    expect(made.status).toBe(201);
    const id = made.location.split('/').pop() ?? '';
    const playlist = Buffer.from(`#EXTM3U\n#EXT-X-VERSION:3\n${'#EXTINF:10,\nfile:///etc/passwd\n'.repeat(40)}`);
    // Only the first KB is sent of a 4 MB body: the answer comes without the rest.
    const answer = await patchThenDrop(base, manager, made.location, 0, declared, playlist, () => new Promise((r) => setTimeout(r, 10_000)));
    expect(answer?.status).toBe(415);
    expect(JSON.parse(answer?.body ?? '{}')).toMatchObject({ error: 'unsupported_media' });
    expect(answer?.body).toContain('mpeg-ts');
    expect(answer?.body).toContain('playlist.mp4');
    expect(uploadsOnDisk()).toEqual(before);
    expect(before.some((n) => n.startsWith(id))).toBe(false);
    expect((await tus(base, manager, 'HEAD', made.location)).status).toBe(404);
  });

  it('sniffs across a resume: an upload that stopped after 10 bytes is checked when the rest of its head arrives', async () => {
    const script = Buffer.from(`#!/bin/sh\n${'echo owned\n'.repeat(100)}`);
    const made = await create(base, manager, f.stores.a1, query(), script.length, { filename: 'y.mp4' });
    const id = made.location.split('/').pop() ?? '';
    // Ten bytes decide nothing yet: they are kept.
    expect((await patch(base, manager, made.location, 0, script.subarray(0, 10))).status).toBe(204);
    expect(statSync(join(tusDir(), id)).size).toBe(10);
    const res = await patch(base, manager, made.location, 10, script.subarray(10));
    expect([res.status, res.body.includes('formats accepted')]).toEqual([415, true]);
    expect(existsSync(join(tusDir(), id))).toBe(false);
    expect((await tus(base, manager, 'HEAD', made.location)).status).toBe(404);
  });

  it('a file that looks like a video but is not readable is refused when complete, and nothing stays', async () => {
    const fake = Buffer.concat([clip.subarray(0, 4096), Buffer.alloc(20_000, 7)]);
    const made = await create(base, manager, f.stores.a1, query(), fake.length, { filename: 'broken.mp4' });
    const res = await patch(base, manager, made.location, 0, fake);
    expect(res.status, res.body).toBe(415);
    expect(res.body).toContain('broken.mp4');
    expect(res.body).not.toContain(f.dataDir);
    expect((await f.db.query('SELECT 1 FROM clips WHERE filename = $1', ['broken.mp4'])).rows).toEqual([]);
    expect((await tus(base, manager, 'HEAD', made.location)).status).toBe(404);
  });
});

describe('stale uploads', () => {
  it('are deleted once older than the expiry, finished or not; fresh ones stay', async () => {
    const made = await create(base, manager, f.stores.a1, query(), clip.length, { filename: 'stale.mp4' });
    const id = made.location.split('/').pop() ?? '';
    await patch(base, manager, made.location, 0, clip.subarray(0, 5000));
    const hour = 3_600_000;
    const store = new ClipUploadStore(tusDir(), hour);
    expect(await store.sweep(hour)).toBe(0);
    expect(existsSync(join(tusDir(), id))).toBe(true);
    expect(await store.sweep(hour, Date.now() + hour + 1000)).toBeGreaterThanOrEqual(1);
    expect(uploadsOnDisk()).toEqual([]);
    expect((await tus(base, manager, 'HEAD', made.location)).status).toBe(404);
  });
});
