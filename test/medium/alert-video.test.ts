// Video around an alert on a generated clip of real faces, with real ffmpeg and the real face detector: a playable
// H.264 MP4 with the moov atom first, range requests (206, 416), store scoping, every face blurred, kept with the
// violation's evidence, and the store's privacy setting obeyed.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFaceFinder, type FaceFinder } from '../../services/analysis/face-finder.ts';
import { parseRange } from '../../services/api/routes/ranged-file.ts';
import type { Frame } from '../../services/core/contracts.ts';
import { ViolationKind } from '../../services/core/contracts.ts';
import { ViolationRepository } from '../../services/core/storage/index.ts';
import { EvidenceRepository } from '../../services/core/storage/evidence.repository.ts';
import { StoreRepository } from '../../services/core/storage/stores.repository.ts';
import { DAY_MS, sweepRetention } from '../../services/privacy/retention.ts';
import { LiveImages } from '../../services/service/live-evidence.ts';
import { SAMPLES_JPG } from './detector-helpers.ts';
import { USERS, apiFixture, type ApiFixture, type Session } from './api-fixture.ts';
import { regionStdev } from '../fixtures/frame-checks.ts';

const W = 640;
const H = 270;
const WINDOW = { beforeMs: 1000, afterMs: 1000, maxMs: 1500, fps: 2, maxWidth: 640 };

function probe(path: string): { codec: string; pixFmt: string; duration: number; width: number; height: number } {
  const out = execFileSync('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=codec_name,pix_fmt,width,height:format=duration', '-of', 'json', path], { encoding: 'utf8' });
  const j = JSON.parse(out) as { streams: Array<{ codec_name: string; pix_fmt: string; width: number; height: number }>; format: { duration: string } };
  const s = j.streams[0];
  if (s === undefined) throw new Error(`${path}: no video stream`);
  return { codec: s.codec_name, pixFmt: s.pix_fmt, width: s.width, height: s.height, duration: Number(j.format.duration) };
}

function frameAt(path: string, seconds: number): Frame {
  const rgb = execFileSync('ffmpeg', ['-v', 'error', '-ss', String(seconds), '-i', path, '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'], { maxBuffer: W * H * 3 + 1024 });
  return { cameraId: 't', index: 0, tMs: seconds * 1000, width: W, height: H, rgb };
}


describe('video around an alert (generated clip of two real faces, real ffmpeg and face detector)', () => {
  let f: ApiFixture;
  let faces: FaceFinder;
  let manager: Session;
  let clipPath: string;
  let still: string;
  let mp4: Buffer;
  const url = (): string => `/api/violations/${encodeURIComponent(f.a1.violationId)}/video`;

  beforeAll(async () => {
    f = await apiFixture({ config: { video: WINDOW } });
    faces = createFaceFinder();
    // Two portraits from the sample sheet that ships with @vladmandic/human, held still for 6 s at 10 fps.
    still = join(f.dataDir, 'still.png');
    await sharp(SAMPLES_JPG).extract({ left: 165, top: 0, width: 370, height: 156 }).resize(W, H, { fit: 'fill' }).png().toFile(still);
    clipPath = join(f.dataDir, 'clips', 'x.mp4');
    execFileSync('ffmpeg', ['-v', 'error', '-loop', '1', '-framerate', '10', '-i', still, '-t', '6', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-y', clipPath]);
    manager = await f.login(USERS.managerA);
  }, 180_000);

  afterAll(async () => {
    await faces?.close();
    await f?.close();
  });

  it('cuts a browser-playable H.264 MP4 of the alert plus the seconds around it, moov first', async () => {
    const res = await f.call(manager, { method: 'GET', url: url() });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['content-type']).toBe('video/mp4');
    expect(res.headers['accept-ranges']).toBe('bytes');
    mp4 = res.rawPayload;
    expect(Number(res.headers['content-length'])).toBe(mp4.length);
    const file = join(f.dataDir, 'served.mp4');
    await writeFile(file, mp4);
    const p = probe(file);
    expect(p).toMatchObject({ codec: 'h264', pixFmt: 'yuv420p', width: W, height: H });
    // The alert runs 0-4 s in the clip: nothing before 0, then capped at 1.5 s in all.
    expect(p.duration).toBeGreaterThanOrEqual(1);
    expect(p.duration).toBeLessThanOrEqual(2);
    expect(mp4.indexOf('moov')).toBeLessThan(mp4.indexOf('mdat'));
  }, 90_000);

  it('blurs every face: the detector finds none in any frame, and the face regions lost their detail', async () => {
    const file = join(f.dataDir, 'served.mp4');
    const source = frameAt(clipPath, 1);
    const before = await faces.find(source);
    expect(before.faces.length).toBeGreaterThanOrEqual(2);
    for (const t of [0, 1]) {
      const out = frameAt(file, t);
      expect((await faces.find(out)).faces, `faces at ${t} s`).toEqual([]);
      for (const box of before.faces) {
        expect(regionStdev(out, box)).toBeLessThan(regionStdev(source, box) / 2);
        expect(regionStdev(out, box)).toBeLessThan(20);
      }
    }
  }, 60_000);

  it('answers range requests with the right bytes, and 416 outside the file', async () => {
    const size = mp4.length;
    const first = await f.call(manager, { method: 'GET', url: url(), headers: { range: 'bytes=0-99' } });
    expect(first.statusCode).toBe(206);
    expect(first.headers['content-range']).toBe(`bytes 0-99/${size}`);
    expect(first.rawPayload.equals(mp4.subarray(0, 100))).toBe(true);
    const tail = await f.call(manager, { method: 'GET', url: url(), headers: { range: `bytes=${size - 10}-` } });
    expect(tail.statusCode).toBe(206);
    expect(tail.rawPayload.equals(mp4.subarray(size - 10))).toBe(true);
    const suffix = await f.call(manager, { method: 'GET', url: url(), headers: { range: 'bytes=-7' } });
    expect(suffix.headers['content-range']).toBe(`bytes ${size - 7}-${size - 1}/${size}`);
    expect(suffix.rawPayload.equals(mp4.subarray(size - 7))).toBe(true);
    const outside = await f.call(manager, { method: 'GET', url: url(), headers: { range: `bytes=${size}-` } });
    expect(outside.statusCode).toBe(416);
    expect(outside.headers['content-range']).toBe(`bytes */${size}`);
    // A header that is not one byte range is ignored: the whole file.
    const odd = await f.call(manager, { method: 'GET', url: url(), headers: { range: 'bytes=0-1,5-9' } });
    expect(odd.statusCode).toBe(200);
    expect(odd.rawPayload.equals(mp4)).toBe(true);
    expect(parseRange('bytes=5-2', 10)).toBeUndefined();
    expect(parseRange('bytes=-0', 10)).toBe('unsatisfiable');
    expect(parseRange('bytes=3-99', 10)).toEqual({ start: 3, end: 9 });
  });

  it('gives the player where the alert starts, the persons per frame and the zones, and audits the view', async () => {
    const res = await f.call(manager, { method: 'GET', url: `${url()}/meta` });
    expect(res.statusCode, res.body).toBe(200);
    const meta = res.json<{ alertStartS: number; fps: number; frames: Array<{ t: number; boxes: unknown[] }>; zones: Record<string, unknown> }>();
    expect(meta.alertStartS).toBe(0);
    expect(meta.fps).toBe(2);
    expect(meta.frames.map((x) => x.t)).toEqual([0, 0.5, 1]);
    expect(meta.frames.every((x) => x.boxes.length >= 1)).toBe(true);
    expect(Object.keys(meta.zones).length).toBeGreaterThan(0);
    const audit = await f.db.query(`SELECT detail FROM audit_log WHERE action = 'evidence.view' AND target = $1`, [f.a1.violationId]);
    expect(audit.rows.map((r) => (r.detail as { file: string }).file)).toContain('video');
  });

  it('keeps another store\'s video from a manager of store B, and from nobody signed in', async () => {
    const other = await f.login(USERS.managerB);
    for (const u of [url(), `${url()}/meta`]) {
      expect((await f.call(other, { method: 'GET', url: u })).statusCode).toBe(404);
      expect((await f.call(undefined, { method: 'GET', url: u })).statusCode).toBe(401);
    }
  });

  it('keeps the video with the violation\'s evidence once the clip is gone; a case without one says why', async () => {
    const rows = await f.db.query(`SELECT path, kind FROM evidence WHERE violation_id = $1 AND kind LIKE 'video%' ORDER BY kind`, [f.a1.violationId]);
    expect(rows.rows.map((r) => r.kind)).toEqual(['video', 'video-meta']);
    await rm(clipPath);
    const again = await f.call(manager, { method: 'GET', url: url() });
    expect(again.statusCode).toBe(200);
    expect(again.rawPayload.equals(mp4)).toBe(true);
    const items = await f.db.query('SELECT id FROM review_items WHERE store_id = $1', [f.stores.a1]);
    const item = await f.call(manager, { method: 'GET', url: `/api/review-items/${encodeURIComponent(items.rows[0]?.id as string)}/video` });
    expect(item.statusCode).toBe(404);
    expect(item.json()).toMatchObject({ error: 'video_unavailable', details: { reason: 'clip_deleted' } });
  });

  it('keeps a live camera\'s evidence ring as a scrubbed video, served by the same route', async () => {
    // Frames as a snapshot camera sends them: JPEGs at uneven times around a violation at t0 + 2 s.
    const t0 = Date.parse('2026-12-01T10:00:00Z');
    const jpeg = await sharp(still).jpeg().toBuffer();
    const ring = [0, 700, 1500, 2600, 3100].map((dt, index) => ({ cameraId: 'counter-1', index, tMs: t0 + dt, jpeg }));
    const images = new LiveImages(faces, f.dataDir, { fps: 2, beforeMs: 1000, afterMs: 1000 });
    const violation = {
      id: 'counter-staffed/staffed/gap/-/*/live', sop: 'counter-staffed', rule: 'staffed', kind: ViolationKind.Gap, cameraId: f.a1.cameraId,
      startMs: t0 + 2000, endMs: t0 + 2000, severity: 'high' as const, message: 'nobody at the counter', decidedBy: 'detector', confidence: 1, evidence: [], subject: '*',
    };
    const { violation: row } = await new ViolationRepository(f.db).upsert({ storeId: f.stores.a1, violation });
    const written = await images.video({ storeId: f.stores.a1, cameraRowId: f.a1.cameraId, violation, ruleTitle: 'Staffed', zones: {}, before: ring.slice(0, 3), after: ring.slice(3) });
    expect(written.map((w) => w.name)).toEqual(['counter-staffed_staffed_gap_-_live.mp4', 'counter-staffed_staffed_gap_-_live.json']);
    const evidence = new EvidenceRepository(f.db);
    await evidence.record({ violationId: row.id, path: written[0]?.path ?? '', kind: 'video', bytes: written[0]?.bytes ?? 0 });

    const res = await f.call(manager, { method: 'GET', url: `/api/violations/${encodeURIComponent(row.id)}/video` });
    expect(res.statusCode, res.body).toBe(200);
    const file = join(f.dataDir, 'live.mp4');
    await writeFile(file, res.rawPayload);
    const p = probe(file);
    // 1.0-3.0 s of the ring at 2 fps: four frames, two seconds.
    expect(p).toMatchObject({ codec: 'h264', width: W, height: H });
    expect(p.duration).toBeGreaterThanOrEqual(1.5);
    expect(p.duration).toBeLessThanOrEqual(2.5);
    expect((await faces.find(frameAt(file, 1))).faces).toEqual([]);
    const meta = (await f.call(manager, { method: 'GET', url: `/api/violations/${encodeURIComponent(row.id)}/video/meta` })).json<{ alertStartS: number; fromMs: number }>();
    expect(meta).toMatchObject({ alertStartS: 1, fromMs: t0 + 1000 });
  }, 120_000);

  it('serves no video when the store\'s privacy setting forbids it', async () => {
    await new StoreRepository(f.db).setKeepVideo(f.stores.a1, false);
    const res = await f.call(manager, { method: 'GET', url: url() });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ error: 'video_unavailable', details: { reason: 'turned_off' } });
  });

  it('goes with the violation when retention deletes it, like the keyframes', async () => {
    const rows = await f.db.query(`SELECT path FROM evidence WHERE kind LIKE 'video%'`);
    const files = rows.rows.map((r) => join(f.dataDir, r.path as string));
    expect(files.length).toBeGreaterThanOrEqual(3);
    for (const file of files) expect(existsSync(file), file).toBe(true);
    await sweepRetention({ db: f.db, dataDir: f.dataDir, clock: () => Date.now() + 400 * DAY_MS }, { storeId: f.stores.a1 });
    for (const file of files) expect(existsSync(file), file).toBe(false);
  });
});
