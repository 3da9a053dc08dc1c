// Recording time through the upload API: from the file name, the container tag, the Dahua header or the form's "recorded at"
// (read in the store's time zone), stored on the clip, handed to the analysis as its clock origin, and given to its violations.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClipAnalysisOptions, ClipAnalysisResult } from '../../services/analysis/index.ts';
import { JobName } from '../../services/core/jobs.ts';
import { ClipRepository, ViolationRepository } from '../../services/core/storage/index.ts';
import { clipJobId } from '../../services/api/clip-jobs.ts';
import { createClipAnalyseWorker } from '../../services/service/index.ts';
import { H264, makeClip, tempDir } from '../fixtures/media.ts';
import { writeDav } from '../fixtures/recorder-files.ts';
import { apiFixture, USERS, type ApiFixture, type Session } from './api-fixture.ts';

let f: ApiFixture;
let manager: Session;
let plain: Buffer;
const { dir, remove } = tempDir('recorded-at');

function multipart(filename: string, content: Buffer, fields: Record<string, string> = {}): { payload: Buffer; headers: Record<string, string> } {
  const boundary = '----sopwatch-recorded-boundary';
  const parts = Object.entries(fields).map(([k, v]) => Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`));
  const head = `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${filename}"\r\nContent-Type: application/octet-stream\r\n\r\n`;
  return {
    payload: Buffer.concat([...parts, Buffer.from(head), content, Buffer.from(`\r\n--${boundary}--\r\n`)]),
    headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
  };
}

interface ClipBody { id: string; recordedAt: string | null; recordedAtSource: string | null }

async function upload(filename: string, content: Buffer, opts: { query?: string; fields?: Record<string, string> } = {}) {
  const body = multipart(filename, content, opts.fields);
  return f.call(manager, {
    method: 'POST', url: `/api/stores/${f.stores.a1}/clips?cameraId=${f.a1.cameraId}${opts.query ?? ''}`, payload: body.payload, headers: body.headers,
  });
}

async function uploaded(filename: string, content: Buffer, opts: { query?: string; fields?: Record<string, string> } = {}): Promise<ClipBody> {
  const res = await upload(filename, content, opts);
  expect(res.statusCode, res.body).toBe(202);
  return res.json<{ clip: ClipBody }>().clip;
}

beforeAll(async () => {
  f = await apiFixture({ config: { maxUploadBytes: 2 * 1024 * 1024 } });
  // The store is in Shanghai (UTC+8, no DST): a recorder's 14:30 there is 06:30 UTC.
  await f.db.query(`UPDATE stores SET tz = 'Asia/Shanghai' WHERE id = $1`, [f.stores.a1]);
  manager = await f.login(USERS.managerA);
  plain = readFileSync(makeClip(dir, 'plain.mp4', { seconds: 1, width: 160, height: 120, codec: H264 }));
});
afterAll(async () => {
  await f?.close();
  remove();
});

describe('where the recording time comes from', () => {
  it('a timestamp in the recorder\'s file name, read in the store\'s zone', async () => {
    expect(await uploaded('ch01_20241203143000.mp4', plain)).toMatchObject({ recordedAt: '2024-12-03T06:30:00.000Z', recordedAtSource: 'file_name' });
    expect(await uploaded('2024-12-03_14-30-00.mp4', plain)).toMatchObject({ recordedAt: '2024-12-03T06:30:00.000Z', recordedAtSource: 'file_name' });
  });

  it('the container\'s creation_time (an instant) when the name has none', async () => {
    const path = join(dir, 'tagged.mp4');
    execFileSync('ffmpeg', ['-v', 'error', '-i', join(dir, 'plain.mp4'), '-c', 'copy', '-metadata', 'creation_time=2024-12-03T06:31:00Z', '-y', path]);
    expect(await uploaded('shift.mp4', readFileSync(path))).toMatchObject({ recordedAt: '2024-12-03T06:31:00.000Z', recordedAtSource: 'container' });
  });

  it('the Dahua header\'s frame date', async () => {
    const dav = readFileSync(writeDav(dir, 'a.dav', 1, { fps: 10, start: { year: 2024, month: 12, day: 3, hour: 9, minute: 15, second: 30 } }));
    expect(await uploaded('export.dav', dav)).toMatchObject({ recordedAt: '2024-12-03T01:15:30.000Z', recordedAtSource: 'recorder_header' });
  });

  it('none: null, until the form says', async () => {
    expect(await uploaded('shift.mp4', plain)).toMatchObject({ recordedAt: null, recordedAtSource: null });
    expect(await uploaded('shift.mp4', plain, { fields: { recordedAt: '2024-12-03T14:30' } })).toMatchObject({ recordedAt: '2024-12-03T06:30:00.000Z', recordedAtSource: 'form' });
    expect(await uploaded('shift.mp4', plain, { query: '&recordedAt=2024-12-03T14:30:00%2B01:00' })).toMatchObject({ recordedAt: '2024-12-03T13:30:00.000Z', recordedAtSource: 'form' });
  });

  it('the form wins over the file name', async () => {
    expect(await uploaded('ch01_20241203143000.mp4', plain, { fields: { recordedAt: '2024-12-04T08:00' } })).toMatchObject({ recordedAt: '2024-12-04T00:00:00.000Z', recordedAtSource: 'form' });
  });

  it('a "recorded at" that is no time is a 400 naming the store\'s zone, and nothing is kept', async () => {
    const before = (await f.db.query<{ n: number }>('SELECT count(*)::integer AS n FROM clips')).rows[0]?.n;
    const res = await upload('shift.mp4', plain, { fields: { recordedAt: 'yesterday at noon' } });
    expect(res.statusCode).toBe(400);
    expect(res.json<{ message: string }>().message).toMatch(/not a time: give 2024-12-03T14:30 \(the store's time zone, Asia\/Shanghai\)/);
    expect((await f.db.query<{ n: number }>('SELECT count(*)::integer AS n FROM clips')).rows[0]?.n).toBe(before);
    const future = await upload('shift.mp4', plain, { fields: { recordedAt: '2099-01-01T00:00' } });
    expect(future.statusCode).toBe(400);
  });
});

describe('the analysis runs on the recording clock', () => {
  it('gets the recording time as its clock origin, its violations get wall-clock times, and its not-analysed stretches are shown', async () => {
    const clip = await uploaded('ch01_20241203143000.mp4', plain);
    let seen: ClipAnalysisOptions | undefined;
    // Only the analysis itself is replaced (the real one is covered elsewhere): the handler's wiring and storage are real.
    const analyze = async (options: ClipAnalysisOptions): Promise<ClipAnalysisResult> => {
      seen = options;
      return {
        clip: options.clipPath, camera: 'counter-1', durationS: 1, fps: 5, frames: 5, complete: true,
        violations: [{
          id: 'counter-staffed/staffed/gap/-/*/500', sop: 'counter-staffed', rule: 'staffed', kind: 'gap', severity: 'high', camera: 'counter-1', start: 0.5, end: 0.9,
          message: 'nobody at the counter', decidedBy: 'detector', confidence: 1, evidence: [],
        }],
        needsReview: [], runs: [], evidence: { errors: [] },
        notAnalysed: [{ start: 4.8, end: 7.2, reason: 'no readable video from 4.8 s to 7.2 s (damaged or missing data): not analysed' }],
        stats: { wallMs: 1, decodeMs: 1, detectMs: 1, realtimeFactor: 1, backend: 'test', modelCalls: 0, costUsd: 0, callsPerCameraHour: 0, costPerCameraHourUsd: 0 },
      };
    };
    const worker = createClipAnalyseWorker({ db: f.db, dataDir: f.dataDir, maxAttempts: 1, analyze });
    const row = await new ClipRepository(f.db).get(clip.id);
    if (!row) throw new Error('clip row missing');
    const outcome = await worker.handle({ storeId: f.stores.a1, clipId: clip.id }, { name: JobName.ClipAnalyse, jobId: clipJobId(row), attempt: 1, progress: async () => undefined });
    expect(outcome).toEqual({ status: 'success' });
    expect(seen?.startAtMs).toBe(Date.parse('2024-12-03T06:30:00.000Z'));
    const [v] = await new ViolationRepository(f.db).list({ storeIds: [f.stores.a1], clipId: clip.id });
    expect(v?.startAt?.toISOString()).toBe('2024-12-03T06:30:00.500Z');
    expect(v?.endAt?.toISOString()).toBe('2024-12-03T06:30:00.900Z');
    expect(v?.startS).toBe(0.5);
    // The damaged stretch the analysis reported is on the clip, for the API and the dashboard.
    const shown = await f.call(manager, { method: 'GET', url: `/api/clips/${clip.id}` });
    expect(shown.json()).toMatchObject({ recordedAt: '2024-12-03T06:30:00.000Z', notAnalysed: [{ start: 4.8, end: 7.2, reason: expect.stringMatching(/not analysed/) as string }] });
  });
});
