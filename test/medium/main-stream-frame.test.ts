// A keyframe from a camera's recorded main stream (services/ingester/main-stream-recorder.ts) at a time that falls
// between two segments' pictures: real MPEG-TS segments and their CSV list made by ffmpeg's segment muxer, as the recorder
// makes them, read by a recorder that is not recording. A time after a segment's last picture used to find nothing (the
// next picture opens the next segment), and the keyframe fell back to the detection stream.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MainStreamRecorder } from '../../services/ingester/main-stream-recorder.ts';
import { extractFrame, MAX_FRAME_DISTANCE_MS } from '../../services/ingester/segment-frame.ts';

let dir = '';
let recorder: MainStreamRecorder;
/** The closed segments' [start, end) in ms, as the list gives them (the run's first, stamped 0, is not among them). */
let listed: Array<{ file: string; startMs: number; endMs: number }> = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sopwatch-main-frame-'));
  // 10 fps, a key frame every second, cut into 1 s segments: pictures 100 ms apart, each segment opening on a key frame.
  execFileSync('ffmpeg', [
    '-v', 'error', '-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=10', '-t', '5', '-c:v', 'libx264', '-g', '10', '-keyint_min', '10',
    '-sc_threshold', '0', '-output_ts_offset', '1000', '-f', 'segment', '-segment_time', '1', '-segment_format', 'mpegts',
    '-reset_timestamps', '0', '-segment_list', join(dir, 'r1.csv'), '-segment_list_type', 'csv', join(dir, 'r1-%06d.ts'),
  ]);
  listed = readFileSync(join(dir, 'r1.csv'), 'utf8').trim().split('\n').map((line) => {
    const [file = '', start = '', end = ''] = line.split(',');
    return { file, startMs: Number(start) * 1000, endMs: Number(end) * 1000 };
  }).filter((s) => s.startMs > 0);
  recorder = new MainStreamRecorder({ cameraId: 'cam-1', url: () => Promise.resolve(undefined), dir });
});

afterAll(async () => {
  if (dir !== '') await rm(dir, { recursive: true, force: true });
});

describe('a main-stream picture at a wanted time', () => {
  it('the segments are as the recorder writes them: listed back to back, pictures 100 ms apart', async () => {
    expect(listed.length).toBeGreaterThanOrEqual(3);
    for (let i = 1; i < listed.length; i++) expect(listed[i]?.startMs).toBeCloseTo(listed[i - 1]?.endMs ?? 0, 0);
    expect((await recorder.segments()).map((s) => s.file)).toEqual(listed.map((s) => s.file));
  });

  it('inside a segment: the picture at the time, or the one just before within half a frame', async () => {
    const seg = listed[0];
    if (seg === undefined) throw new Error('no segment');
    const got = await recorder.frameAt(seg.startMs + 440);
    expect(got.ok).toBe(true);
    if (!got.ok) return;
    expect(got.tMs - seg.startMs).toBeCloseTo(400, -1);
    expect((await sharp(got.jpeg).metadata()).width).toBe(320);
  });

  it('after the last picture of a segment: the first picture of the next one', async () => {
    const [seg, next] = listed;
    if (seg === undefined || next === undefined) throw new Error('no segments');
    const wanted = seg.endMs - 30;
    // The segment alone has nothing at or after that time (its last picture is 100 ms before its end).
    const alone = await extractFrame('ffmpeg', join(dir, seg.file), seg.startMs, wanted, 3840);
    expect(alone).toMatchObject({ ok: false, empty: true });
    const got = await recorder.frameAt(wanted);
    expect(got, got.ok ? '' : got.reason).toMatchObject({ ok: true });
    if (!got.ok) return;
    expect(got.tMs).toBeCloseTo(next.startMs, -1);
  });

  it('after the last picture of the last segment: the last picture before the time, within reach', async () => {
    const last = listed.at(-1);
    if (last === undefined) throw new Error('no segment');
    const got = await recorder.frameAt(last.endMs - 30);
    expect(got, got.ok ? '' : got.reason).toMatchObject({ ok: true });
    if (!got.ok) return;
    expect(got.tMs).toBeLessThan(last.endMs - 30);
    expect(last.endMs - 30 - got.tMs).toBeLessThanOrEqual(MAX_FRAME_DISTANCE_MS);
  });

  it('outside the recording: says what is held', async () => {
    const first = listed[0];
    if (first === undefined) throw new Error('no segment');
    const got = await recorder.frameAt(first.startMs - 5000);
    expect(got).toMatchObject({ ok: false });
    if (got.ok) return;
    expect(got.reason).toMatch(/^no main-stream recording at .* \(recorded .*\)$/);
  });
});
