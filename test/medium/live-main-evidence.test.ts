// Evidence from a camera's main stream, on real doubles (ONVIF SOAP server with a main and a sub profile, GStreamer RTSP
// server with both streams of one scene of real faces) with real ffmpeg, the real person detector and face finder: the
// detector watches the 640 px sub-stream, the keyframes come from the 1280 px main stream with every face blurred; when
// the main stream is missing they come from the sub-stream and say so; the recording stays bounded in time and bytes.
import { execFileSync } from 'node:child_process';
import { mkdir, readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFaceFinder, type FaceFinder } from '../../services/analysis/face-finder.ts';
import type { Box, Frame, Violation } from '../../services/core/contracts.ts';
import { createDetector, type Detector } from '../../services/detector/index.ts';
import { decodeLiveFrame } from '../../services/ingester/live-frame.ts';
import { MainStreamRecorder } from '../../services/ingester/main-stream-recorder.ts';
import { liveConfigFromObject } from '../../services/live/camera-config.ts';
import { LiveService, type LiveServiceEvent } from '../../services/live/index.ts';
import type { CompiledSop } from '../../services/rules/compiled.ts';
import { loadSopText } from '../../services/rules/sop-loader.ts';
import { LiveImages } from '../../services/service/live-evidence.ts';
import { RtspServerProcess, rtspServerAvailable } from '../../services/simulate/rtsp-server.ts';
import { startOnvifDouble, type FakeOnvifCamera } from '../doubles/onvif-server.ts';
import { loopback } from '../doubles/outbound.ts';
import { tempDir } from '../fixtures/media.ts';
import { SAMPLES_JPG } from './detector-helpers.ts';
import { regionStdev, until } from '../fixtures/frame-checks.ts';

const hasGst = rtspServerAvailable();
const PASSWORD = 'M@in-str3am:pw';
const MAIN = { width: 1280, height: 540 };
const SUB = { width: 640, height: 270 };

const SOP = `
id: main-test
title: Main stream test
version: 1
cameras: [cam-1]
zones:
  cam-1:
    room: [[0, 0], [1, 0], [1, 1], [0, 1]]
rules:
  - id: nobody
    kind: forbidden
    title: Nobody in the room
    when: { person_in: room }
    for: 1s
`;


function iou(a: Box, b: Box): number {
  const w = Math.max(0, Math.min(a[0] + a[2], b[0] + b[2]) - Math.max(a[0], b[0]));
  const h = Math.max(0, Math.min(a[1] + a[3], b[1] + b[3]) - Math.max(a[1], b[1]));
  const inter = w * h;
  return inter / (a[2] * a[3] + b[2] * b[3] - inter);
}

async function rgbOf(jpeg: Buffer, rows?: number): Promise<Frame> {
  let img = sharp(jpeg).removeAlpha();
  if (rows !== undefined) {
    const meta = await sharp(jpeg).metadata();
    img = img.extract({ left: 0, top: 0, width: meta.width ?? 0, height: rows });
  }
  const { data, info } = await img.raw().toBuffer({ resolveWithObject: true });
  return { cameraId: 't', index: 0, tMs: 0, width: info.width, height: info.height, rgb: data };
}


describe.skipIf(!hasGst)('evidence from the main stream (real ONVIF and RTSP doubles, ffmpeg, detector, face finder)', () => {
  let tmp: ReturnType<typeof tempDir>;
  let rtsp: RtspServerProcess;
  let onvif: FakeOnvifCamera;
  let detector: Detector;
  let faces: FaceFinder;
  let sops: CompiledSop[];
  let still: Buffer;

  beforeAll(async () => {
    tmp = tempDir('main-evidence');
    // Two portraits from the sample sheet that ships with @vladmandic/human, as the camera's full-size picture.
    still = await sharp(SAMPLES_JPG).extract({ left: 165, top: 0, width: 370, height: 156 }).resize(MAIN.width, MAIN.height, { fit: 'fill' }).jpeg({ quality: 92 }).toBuffer();
    const frames = join(tmp.dir, 'frames');
    await mkdir(frames);
    await sharp(still).toFile(join(frames, 'f00000.jpg'));
    rtsp = await RtspServerProcess.start({ mounts: [{ name: 'main', ...MAIN }, { name: 'sub', ...SUB }], framesDir: frames, fps: 10, username: 'admin', password: PASSWORD });
    onvif = await startOnvifDouble({
      username: 'admin', password: PASSWORD,
      profiles: [{ token: 'profile_main', name: 'main', ...MAIN, fps: 10 }, { token: 'profile_sub', name: 'sub', ...SUB, fps: 10 }],
      streamUri: (token) => rtsp.url(token === 'profile_main' ? 'main' : 'sub'),
    });
    const loaded = loadSopText(SOP, 'main-test.yaml');
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
    sops = [loaded.sop];
    detector = await createDetector({ needs: { persons: true, pose: false, hands: false, objects: false, faces: false }, threads: 1 });
    faces = createFaceFinder();
  }, 300_000);

  afterAll(async () => {
    await faces?.close();
    await detector?.close();
    await onvif?.stop();
    await rtsp?.stop();
    tmp?.remove();
  });

  /** Watches the camera until the first violation's evidence, and draws its keyframes as the store sink does. */
  async function evidenceOf(camera: Record<string, unknown>): Promise<{ event: Extract<LiveServiceEvent, { type: 'evidence' }>; written: Buffer[]; logs: string[]; errors: string[]; recordings: ReturnType<LiveService['mainRecordings']> }> {
    const events: LiveServiceEvent[] = [];
    const logs: string[] = [];
    const config = liveConfigFromObject({
      cameras: [{ id: 'cam-1', host: '127.0.0.1', onvifPort: onvif.port, rtspPorts: [rtsp.port], source: 'rtsp', fps: 2, username: 'admin', ...camera }],
      stallMs: 6000, startTimeoutMs: 8000, backoffInitialMs: 300, backoffMaxMs: 2000, evidenceBeforeMs: 3000, evidenceAfterMs: 2000, mainWindowMs: 15_000,
    });
    const service = new LiveService({
      config, sops, detector, passwordOf: () => PASSWORD, outbound: loopback.camera, mainRecordDir: join(tmp.dir, 'rec'),
      onRecordingProblem: (m) => logs.push(m), sink: (e) => events.push(e),
    });
    await service.start();
    try {
      const raised = await until('a violation', () => events.find((e) => e.type === 'verdict' && e.verdict.type === 'violation'), 40_000);
      if (raised.type !== 'verdict' || raised.verdict.type !== 'violation') throw new Error('unreachable');
      const violation: Violation = raised.verdict.violation;
      const event = await until('its evidence', () => events.find((e): e is Extract<LiveServiceEvent, { type: 'evidence' }> => e.type === 'evidence' && e.violationId === violation.id), 20_000);
      const images = new LiveImages(faces, tmp.dir);
      const { written, errors } = await images.keyframes({ storeId: 's1', cameraRowId: `c-${Date.now()}`, violation, ruleTitle: 'Nobody in the room', zones: {}, before: event.before, after: event.after, keyframes: event.keyframes });
      const recordings = service.mainRecordings();
      const text = JSON.stringify([events, logs, recordings]);
      expect(text).not.toContain(PASSWORD);
      expect(text).not.toContain(encodeURIComponent(PASSWORD));
      return { event, written: await Promise.all(written.map((w) => readFile(join(tmp.dir, w.path)))), logs, errors, recordings };
    } finally {
      await service.stop();
    }
  }

  it('watches the 640 px sub-stream and draws the keyframes from the 1280 px main stream, every face blurred', async () => {
    const { event, written, errors, recordings } = await evidenceOf({});
    expect(errors).toEqual([]);
    expect(recordings).toEqual([expect.objectContaining({ cameraId: 'cam-1', state: 'recording', restarts: 0 })]);
    expect(recordings[0]?.segments).toBeGreaterThan(1);
    // The detector saw the sub-stream.
    expect((await sharp(event.before[0]?.jpeg).metadata()).width).toBe(SUB.width);
    expect(event.keyframes.length).toBeGreaterThanOrEqual(2);
    expect(event.keyframeNotes).toEqual([]);
    expect(event.keyframes.every((f) => f.stream === 'main')).toBe(true);
    // The boxes of the sub-stream frame go with the main picture (normalised, so they fit it): the detector run on the
    // main picture itself finds each person where the sub-stream box says.
    const boxed = event.keyframes.find((f) => (f.detections?.items.filter((d) => d.kind === 'person').length ?? 0) > 0);
    if (boxed === undefined) throw new Error('no keyframe with a person box');
    const onMain = (await detector.detect(await decodeLiveFrame(boxed))).items.filter((d) => d.kind === 'person');
    expect(onMain.length).toBeGreaterThan(0);
    for (const d of boxed.detections?.items.filter((x) => x.kind === 'person') ?? []) {
      expect(Math.max(...onMain.map((m) => iou(m.box, d.box))), JSON.stringify({ sub: d.box, main: onMain.map((m) => m.box) })).toBeGreaterThan(0.5);
    }
    const source = await rgbOf(still);
    const before = await faces.find(source);
    expect(before.faces.length).toBeGreaterThanOrEqual(2);
    expect(written.length).toBe(event.keyframes.length);
    for (const jpeg of written) {
      const meta = await sharp(jpeg).metadata();
      expect(meta.width).toBe(MAIN.width);
      // The picture is the top of the keyframe; a caption band is below it.
      expect(meta.height).toBeGreaterThan(MAIN.height);
      const out = await rgbOf(jpeg, MAIN.height);
      expect((await faces.find(out)).faces).toEqual([]);
      for (const box of before.faces) expect(regionStdev(out, box)).toBeLessThan(regionStdev(source, box) / 2);
    }
  }, 180_000);

  // The recorder test below is twelve seconds of wall clock with little to compute: it runs beside this one (both
  // are marked concurrent), which records no main stream and has its own camera connections. Not beside the test
  // above: its keyframes must come from a main-stream recording that starts early enough.
  it.concurrent('takes the keyframes from the sub-stream, and says why, when the main stream cannot be had', async ({ expect }) => {
    const { event, written, logs, errors, recordings } = await evidenceOf({ mainRtspUrl: `rtsp://127.0.0.1:${rtsp.port}/no-such-stream` });
    expect(errors).toEqual([]);
    expect(recordings[0]?.lastProblem).toMatch(/main-stream recording ended/);
    expect(event.keyframes.length).toBeGreaterThanOrEqual(2);
    expect(event.keyframes.some((f) => f.stream === 'main')).toBe(false);
    expect(event.keyframeNotes.length).toBe(event.keyframes.length);
    expect(event.keyframeNotes[0]).toMatch(/from the detection stream: no main-stream recording/);
    expect(logs.some((m) => /main-stream recording ended|cannot record/.test(m))).toBe(true);
    expect(written.length).toBe(event.keyframes.length);
    for (const jpeg of written) {
      expect((await sharp(jpeg).metadata()).width).toBe(SUB.width);
      expect((await faces.find(await rgbOf(jpeg, SUB.height))).faces).toEqual([]);
    }
  }, 180_000);

  it.concurrent('keeps the recording inside its window and byte budget, as the camera\'s own H.264 (copied, not decoded)', async ({ expect }) => {
    const dir = join(tmp.dir, 'bounded');
    // About 3 s of this stream (300 kbit/s): less than the 4 s window, so the byte budget is what deletes.
    const maxBytes = 120_000;
    const recorder = new MainStreamRecorder({ cameraId: 'cam-1', url: () => Promise.resolve(rtsp.url('main')), username: 'admin', password: PASSWORD, dir, windowMs: 4000, maxBytes, segmentMs: 1000, tickMs: 250, policy: loopback.camera });
    await recorder.start();
    try {
      const seen: Array<{ bytes: number; oldestEndAgeMs: number }> = [];
      for (let i = 0; i < 24; i++) {
        await new Promise((r) => setTimeout(r, 500));
        const segments = await recorder.segments();
        const files = (await readdir(dir)).filter((n) => n.endsWith('.ts'));
        const bytes = (await Promise.all(files.map((n) => stat(join(dir, n)).then((s) => s.size, () => 0)))).reduce((a, b) => a + b, 0);
        const oldest = segments[0];
        seen.push({ bytes, oldestEndAgeMs: oldest?.endMs === undefined ? 0 : Date.now() - oldest.endMs });
      }
      // After 12 s of a 4 s window: segments came and went; never more than the window (plus a tick and a segment) held,
      // never more than the budget plus the segment being written (at most half the budget, else ffmpeg is restarted).
      expect(seen.at(-1)?.bytes).toBeGreaterThan(0);
      expect(Math.max(...seen.map((s) => s.oldestEndAgeMs))).toBeLessThan(4000 + 250 + 1500);
      expect(Math.max(...seen.map((s) => s.bytes))).toBeLessThanOrEqual(maxBytes * 1.5);
      expect(Math.max(...seen.map((s) => s.bytes))).toBeGreaterThan(maxBytes * 0.6);
      expect(recorder.stats().restarts).toBe(0);
      const segments1 = await recorder.segments();
      const first = segments1[0];
      expect(first?.startMs).toBeGreaterThan(Date.now() - 4000 - 2000);
      // A picture from a second ago (the budget holds 2-3 s) decodes at the main stream's size.
      const frame = await recorder.frameAt(Date.now() - 1000);
      if (!frame.ok) throw new Error(`${frame.reason} ${JSON.stringify(recorder.stats())} ${JSON.stringify(seen)}`);
      expect((await sharp(frame.jpeg).metadata()).width).toBe(MAIN.width);
      const future = await recorder.frameAt(Date.now() + 60_000);
      expect(future.ok).toBe(false);
      // A picture in the segment still being written, asked as that segment begins (too few bytes for ffmpeg yet): it
      // comes once the segment is complete, not as a failure.
      const writing = (await recorder.segments()).at(-1)?.file;
      let opened: Awaited<ReturnType<typeof recorder.segments>>[number] | undefined;
      // Segments are 1 s; on a loaded machine the camera's stream and ffmpeg can lag several seconds behind.
      for (const until = Date.now() + 15_000; Date.now() < until && opened === undefined; ) {
        await new Promise((r) => setTimeout(r, 25));
        const last = (await recorder.segments()).at(-1);
        if (last !== undefined && last.file !== writing && last.endMs === undefined) opened = last;
      }
      if (opened === undefined) throw new Error(`no new segment began in 15 s: ${JSON.stringify(recorder.stats())}`);
      const fresh = await recorder.frameAt(opened.startMs + 100);
      if (!fresh.ok) throw new Error(`a picture of the segment being written: ${fresh.reason}`);
      expect(Math.abs(fresh.tMs - (opened.startMs + 100))).toBeLessThan(1000);
      // Segments hold the camera's stream itself: H.264 at the main size, no audio, no re-encoding.
      const seg = (await recorder.segments()).filter((x) => x.endMs !== undefined).at(-1);
      if (seg === undefined) throw new Error('no closed segment');
      const probed = execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_type,codec_name,width', '-of', 'csv=p=0', join(dir, seg.file)], { encoding: 'utf8' }).trim();
      expect(new Set(probed.split('\n').filter((l) => l.trim() !== ''))).toEqual(new Set([`h264,video,${MAIN.width}`]));
    } finally {
      await recorder.stop();
    }
    await expect(stat(dir)).rejects.toThrow();
  }, 60_000);
});
