// Analysis on what has arrived, over real HTTP on 127.0.0.1 with the real worker (in-process queue), real ffmpeg and the
// real detector: a resumable upload of a streamable format (MPEG-TS, FLV, raw H.264) is registered once its first part
// is in and analysed as it arrives (a violation is on the API while the upload is paused half-way), and ends with the
// same result as an ordinary upload of the same file; an MP4 upload waits for its last byte; an upload abandoned
// half-way ends its analysis with a clear status and nothing past the arrived part counted as analysed.
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Clip } from '../../services/api/schemas/clip.ts';
import type { Violation } from '../../services/api/schemas/violation.ts';
import type { JobOutcome } from '../../services/core/jobs.ts';
import { buildApp } from '../../services/api/index.ts';
import { defaultQueueSettings, openBullmqQueue, startWorkers } from '../../services/core/queue/index.ts';
import { ClipRepository } from '../../services/core/storage/index.ts';
import { CameraRepository } from '../../services/core/storage/cameras.repository.ts';
import { SopFileRepository } from '../../services/core/storage/sop-files.repository.ts';
import { generateSampleClip, sampleSop, SAMPLE_CAMERA_ID } from '../../services/demo/index.ts';
import { loadSopText } from '../../services/rules/sop-loader.ts';
import { ClipDetectors, createClipAnalyseWorker, type ClipAnalyseWorker } from '../../services/service/index.ts';
import { handlerRegistry } from '../../services/service/handlers.ts';
import { apiFixture, USERS, type ApiFixture, type Session } from './api-fixture.ts';
import { create, patch, tus } from './tus-client.ts';
import { wipeRedisPrefix } from '../fixtures/redis-prefix.ts';

let f: ApiFixture;
let base: string;
let owner: Session;
let storeId: string;
let cameraId: string;
let work: string;
let worker: ClipAnalyseWorker;
/** The worker's detectors, kept warm from one clip to the next as `sopwatch serve` keeps them (services/service/index.ts). */
let detectors: ClipDetectors | undefined;
/**
 * The whole demo clip as MPEG-TS: its test pauses the upload at 0.6 (24 s, inside the long sink visit, 15.5-37 s) and
 * compares the result with an ordinary upload of the whole clip, which shows that visit (21.5 s) is no violation; the
 * abandoned upload also stops half-way into it.
 */
let wholeTs: Buffer = Buffer.alloc(0);
/**
 * The MP4 is the demo clip's first 15 s (the one too-short sink visit, 1.8-9.7 s, then the walk to the prep table;
 * test/medium/dry-run-detection-cache.test.ts cuts it the same way): it is analysed only once whole, so the rest of the
 * 40 s would add nothing to what its test shows. The other formats are its first 24 s, paused at SHORT_SHARE.
 */
const files: Record<'ts' | 'flv' | 'h264' | 'mp4', Buffer> = { ts: Buffer.alloc(0), flv: Buffer.alloc(0), h264: Buffer.alloc(0), mp4: Buffer.alloc(0) };
/**
 * The share of a 24 s file sent first: about 19.5 s of video, where the whole clip's 0.6 is 24 s. The analysis reports
 * the too-short visit once it has 18 s or so (its frame stage looks ahead), and the pause is still inside the long sink
 * visit (from 15.5 s), so a visit cut in two at the arrival edge would show as a second violation. That visit is open
 * at the end of the 24 s: undecided, so the whole file has the one violation of the whole clip.
 */
const SHORT_SHARE = 0.8;

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** Polls until `get` gives a value: an event wait (the test's own timeout bounds it, no clock here). */
async function until<T>(get: () => Promise<T | undefined>): Promise<T> {
  for (;;) {
    const v = await get();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function clipOf(id: string): Promise<Clip> {
  const res = await f.call(owner, { method: 'GET', url: `/api/clips/${id}` });
  expect(res.statusCode, res.body).toBe(200);
  return res.json<Clip>();
}

async function violationsOf(clipId: string): Promise<Violation[]> {
  const res = await f.call(owner, { method: 'GET', url: `/api/violations?clipId=${clipId}&storeId=${storeId}` });
  expect(res.statusCode, res.body).toBe(200);
  const body = res.json<Violation[] | { items: Violation[] }>();
  return Array.isArray(body) ? body : body.items;
}

const finished = (id: string): Promise<Clip> => until(async () => {
  const c = await clipOf(id);
  return c.status === 'done' || c.status === 'failed' ? c : undefined;
});

/** What a result is, for comparing two runs: each violation's rule, kind and times. */
const gist = (vs: Violation[]): string[] => vs.map((v) => `${v.sop}/${v.rule} ${v.kind} ${(v.start ?? -1).toFixed(2)}-${(v.end ?? -1).toFixed(2)}`).sort();

const headOf = (location: string, at = base) => tus(at, owner, 'HEAD', location);
const clipIdOf = async (location: string, at = base): Promise<string | undefined> => (await headOf(location, at)).headers.get('sopwatch-clip-id') ?? undefined;

async function clipsInStore(): Promise<string[]> {
  const res = await f.call(owner, { method: 'GET', url: `/api/clips?storeId=${storeId}` });
  return res.json<Clip[]>().map((c) => c.id);
}

/** A multipart upload of the whole file: the ordinary path, analysed once the file is in. */
async function ordinaryUpload(filename: string, content: Buffer): Promise<string> {
  const boundary = '----sopwatch-streaming-boundary';
  const head = `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${filename}"\r\nContent-Type: application/octet-stream\r\n\r\n`;
  const res = await f.call(owner, {
    method: 'POST', url: `/api/stores/${storeId}/clips?cameraId=${cameraId}`,
    payload: Buffer.concat([Buffer.from(head), content, Buffer.from(`\r\n--${boundary}--\r\n`)]),
    headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
  });
  expect(res.statusCode, res.body).toBe(202);
  return res.json<{ clip: Clip }>().clip.id;
}

/**
 * Sends the first `share` of a streamable file, then waits, the upload paused, for the first violation on the API; sends
 * the rest and waits for the end. Returns the clip and the violations seen while the upload was incomplete.
 */
async function streamInTwoParts(filename: string, content: Buffer, share: number, at = base): Promise<{ clip: Clip; early: Violation[] }> {
  const cut = Math.floor(content.length * share);
  const made = await create(at, owner, storeId, `?cameraId=${cameraId}`, content.length, { filename });
  expect(made.status, made.body).toBe(201);
  const first = await patch(at, owner, made.location, 0, content.subarray(0, cut));
  expect(first.status, first.body).toBe(204);
  // Decided when the part's answer came: the clip exists, named on the upload.
  const clipId = await clipIdOf(made.location, at);
  expect(clipId).toBeDefined();
  const id = clipId ?? '';
  const early = await until(async () => {
    const vs = await violationsOf(id);
    return vs.length > 0 ? vs : undefined;
  });
  // Still incomplete: the server has only the first part, and the clip says it analyses what has arrived.
  const head = await headOf(made.location, at);
  expect(head.headers.get('upload-offset')).toBe(String(cut));
  const during = await clipOf(id);
  expect(during.status).toBe('analysing');
  expect(during.arrival).toEqual({ state: 'arriving', receivedBytes: cut, totalBytes: content.length });
  expect(during.sha256).toBeNull();

  const rest = await patch(at, owner, made.location, cut, content.subarray(cut));
  expect(rest.status, rest.body).toBe(204);
  expect(rest.headers.get('sopwatch-clip-id')).toBe(id);
  const clip = await finished(id);
  return { clip, early };
}

beforeAll(async () => {
  f = await apiFixture({ config: { maxUploadBytes: 8 * 1024 * 1024, streamStartBytes: 64 * 1024 } });
  base = await f.app.listen({ port: 0, host: '127.0.0.1' });
  owner = await f.login(USERS.owner1);
  // Store a2 of the fixture: the demo camera and the demo SOP only (a too-short sink visit ends about 10 s into 40 s).
  storeId = f.stores.a2;
  cameraId = (await new CameraRepository(f.db).create({ storeId, name: SAMPLE_CAMERA_ID })).id;
  const load = loadSopText(sampleSop(), 'demo.yaml');
  if (!load.ok) throw new Error(load.errors.map((e) => e.message).join('; '));
  await new SopFileRepository(f.db).addVersion(storeId, load.sop.id, sampleSop(), load.sop);
  work = await mkdtemp(join(tmpdir(), 'sopwatch-tus-stream-'));
  const mp4 = (await generateSampleClip(join(work, 'demo.mp4'))).path;
  // A cut ends at a keyframe (one each 2 s); the MP4 has its index in front, as the whole clip has.
  const remux = (name: string, extra: string[], seconds?: number): Buffer => {
    execFileSync('ffmpeg', ['-v', 'error', '-i', mp4, '-map', '0:v:0', ...(seconds === undefined ? [] : ['-t', String(seconds)]), '-c', 'copy', ...extra, '-y', join(work, name)]);
    return readFileSync(join(work, name));
  };
  wholeTs = remux('demo.ts', ['-f', 'mpegts']);
  files.ts = remux('demo-24s.ts', ['-f', 'mpegts'], 24);
  files.flv = remux('demo-24s.flv', ['-f', 'flv'], 24);
  files.h264 = remux('demo-24s.h264', ['-bsf:v', 'h264_mp4toannexb', '-f', 'h264'], 24);
  files.mp4 = remux('demo-15s.mp4', ['-movflags', '+faststart'], 15);
  detectors = new ClipDetectors();
  worker = createClipAnalyseWorker({ db: f.db, dataDir: f.dataDir, maxAttempts: defaultQueueSettings.attempts, fps: 2, progressEveryMs: 100, detectors });
  const skipped = async (): Promise<JobOutcome> => ({ status: 'skipped', reason: 'not part of these tests' });
  startWorkers(f.queue, handlerRegistry(worker, { notificationSend: skipped, retentionSweep: skipped }));
}, 300_000);

afterAll(async () => {
  worker?.abortAll();
  await f?.close();
  await detectors?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

describe('an MPEG-TS upload sent in two parts', () => {
  it('is analysed as it arrives: a violation is on the API before the last byte, and the end result is that of an ordinary upload', async () => {
    const { clip, early } = await streamInTwoParts('Kitchen 0600.ts', wholeTs, 0.6);
    expect(early.length).toBe(1);
    expect(clip.status, clip.error ?? '').toBe('done');
    expect(clip.arrival).toBeUndefined();
    expect(clip.sha256).toBe(sha(wholeTs));
    expect(clip.bytes).toBe(wholeTs.length);
    expect(clip.notAnalysed).toEqual([]);
    const streamed = await violationsOf(clip.id);

    const ordinary = await finished(await ordinaryUpload('Kitchen 0600 again.ts', wholeTs));
    expect(ordinary.status, ordinary.error ?? '').toBe('done');
    expect(ordinary.arrival).toBeUndefined();
    const expected = await violationsOf(ordinary.id);
    expect(expected.length).toBe(1);
    expect(gist(streamed)).toEqual(gist(expected));
    // The one seen early is the one kept.
    expect(gist(early)).toEqual(gist(expected));
  }, 900_000);
});

describe('an MP4 upload sent the same way', () => {
  it('is not registered nor analysed until its last byte is in (its index may be at the end)', async () => {
    const before = await clipsInStore();
    const cut = Math.floor(files.mp4.length * 0.6);
    const made = await create(base, owner, storeId, `?cameraId=${cameraId}`, files.mp4.length, { filename: 'Kitchen 0600.mp4' });
    expect(made.status, made.body).toBe(201);
    const first = await patch(base, owner, made.location, 0, files.mp4.subarray(0, cut));
    expect(first.status, first.body).toBe(204);
    // The answer to the part comes after the decision on it: no clip, none in the store.
    expect(await clipIdOf(made.location)).toBeUndefined();
    expect(await clipsInStore()).toEqual(before);
    const rest = await patch(base, owner, made.location, cut, files.mp4.subarray(cut));
    expect(rest.status, rest.body).toBe(204);
    const id = rest.headers.get('sopwatch-clip-id') ?? '';
    expect(id).not.toBe('');
    const clip = await finished(id);
    expect(clip.status, clip.error ?? '').toBe('done');
    expect(clip.sha256).toBe(sha(files.mp4));
    expect((await violationsOf(id)).length).toBe(1);
  }, 900_000);
});

describe('an upload abandoned half-way', () => {
  it('ends its analysis with a clear status; only the arrived part counts as analysed, and it is kept', async () => {
    const cut = Math.floor(wholeTs.length * 0.5);
    // How long the part that arrives plays, as ffprobe reads it on its own.
    writeFileSync(join(work, 'half.ts'), wholeTs.subarray(0, cut));
    const arrivedS = Number(execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', join(work, 'half.ts')]).toString().trim());
    expect(arrivedS).toBeGreaterThan(10);
    expect(arrivedS).toBeLessThan(30);

    const made = await create(base, owner, storeId, `?cameraId=${cameraId}`, wholeTs.length, { filename: 'Kitchen 0700.ts' });
    expect(made.status, made.body).toBe(201);
    const first = await patch(base, owner, made.location, 0, wholeTs.subarray(0, cut));
    expect(first.status, first.body).toBe(204);
    const id = (await clipIdOf(made.location)) ?? '';
    expect(id).not.toBe('');
    // The analysis has got through the arrived part far enough to report a violation; then the uploader gives up.
    await until(async () => ((await violationsOf(id)).length > 0 ? true : undefined));
    const gone = await tus(base, owner, 'DELETE', made.location);
    expect(gone.status, gone.body).toBe(204);
    expect((await headOf(made.location)).status).toBe(404);

    const clip = await finished(id);
    expect(clip.status).toBe('failed');
    expect(clip.error ?? '').toMatch(/upload was abandoned after \d+ of \d+ bytes/);
    expect(clip.arrival).toEqual({ state: 'abandoned', receivedBytes: cut, totalBytes: wholeTs.length });
    expect(clip.bytes).toBe(cut);
    // Analysed up to the end of what arrived, never past it.
    const analysedS = Number(/only the first ([\d.]+) s/.exec(clip.error ?? '')?.[1]);
    expect(analysedS).toBeGreaterThan(5);
    expect(analysedS).toBeLessThanOrEqual(arrivedS);
    const missing = clip.notAnalysed.find((s) => /never arrived/.test(s.reason));
    expect(missing?.start).toBe(analysedS);
    expect(missing?.end ?? 0).toBeGreaterThan(analysedS);
    for (const v of await violationsOf(id)) expect(v.end ?? Infinity).toBeLessThan(analysedS);
    // What arrived is kept with the clip.
    const stored = await new ClipRepository(f.db).get(id);
    expect(statSync(stored?.path ?? '').size).toBe(cut);
    expect(readFileSync(stored?.path ?? '').equals(wholeTs.subarray(0, cut))).toBe(true);
  }, 900_000);
});

describe('other streamable formats', () => {
  it('an FLV upload is analysed as it arrives and finds the one too-short sink visit', async () => {
    const { clip, early } = await streamInTwoParts('Kitchen 0800.flv', files.flv, SHORT_SHARE);
    expect(clip.status, clip.error ?? '').toBe('done');
    expect(early.length).toBe(1);
    expect((await violationsOf(clip.id)).map((v) => `${v.rule} ${v.kind}`)).toEqual(['hand-wash too_short']);
  }, 900_000);

  it('a raw H.264 upload is analysed as it arrives', async () => {
    const { clip, early } = await streamInTwoParts('Kitchen 0900.h264', files.h264, SHORT_SHARE);
    expect(clip.status, clip.error ?? '').toBe('done');
    expect(early.length).toBe(1);
    expect(clip.sha256).toBe(sha(files.h264));
  }, 900_000);
});

describe('with the BullMQ queue (Redis on 127.0.0.1)', () => {
  it('a worker on the same machine follows the upload through the same data directory', async () => {
    const prefix = `swstream-${randomBytes(4).toString('hex')}`;
    const url = 'redis://127.0.0.1:6379';
    const queue = await openBullmqQueue({ url, prefix });
    // A second API process over the same database and data directory, queueing to Redis; the worker takes from there
    // (with this machine's warm detectors, as a worker of `sopwatch serve` keeps its own).
    const app = buildApp({ db: f.db, queue, dataDir: f.dataDir, config: { maxUploadBytes: 8 * 1024 * 1024, streamStartBytes: 64 * 1024 } });
    const bullWorker = createClipAnalyseWorker({ db: f.db, dataDir: f.dataDir, maxAttempts: 1, fps: 2, progressEveryMs: 100, detectors });
    const admin = new Redis(url);
    try {
      const at = await app.listen({ port: 0, host: '127.0.0.1' });
      const skipped = async (): Promise<JobOutcome> => ({ status: 'skipped', reason: 'not part of these tests' });
      startWorkers(queue, handlerRegistry(bullWorker, { notificationSend: skipped, retentionSweep: skipped }));
      const { clip, early } = await streamInTwoParts('Kitchen 1000.ts', files.ts, SHORT_SHARE, at);
      expect(early.length).toBe(1);
      expect(clip.status, clip.error ?? '').toBe('done');
      expect(clip.sha256).toBe(sha(files.ts));
      expect(clip.attempts).toBe(1);
    } finally {
      bullWorker.abortAll();
      await app.close();
      await queue.close();
      await wipeRedisPrefix(admin, prefix);
      admin.disconnect();
    }
  }, 900_000);
});
