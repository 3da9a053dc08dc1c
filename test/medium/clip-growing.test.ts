// Reading a clip while it arrives (readClipFrames({ growing: true })), real ffmpeg on files the test writes in parts:
// the frames are those of an ordinary read of the finished file, a pause in the arrival longer than the decoder's stall
// limit ends nothing while the upload is alive, and an abandoned or expired upload ends the read after what came,
// never as complete.
import { createHash } from 'node:crypto';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, it } from 'vitest';
import type { Frame } from '../../services/core/contracts.ts';
import { endArrival, readClipFrames, writeArrival, type ClipFrames } from '../../services/ingester/index.ts';
import { H264, makeClip, tempDir } from '../fixtures/media.ts';

const { dir, remove } = tempDir('growing');
afterAll(remove);

/** Small enough that the pause below is several of it, large enough that a loaded machine decodes a frame within it. */
const STALL_MS = 3_000;
const later = (ms: number): string => new Date(Date.now() + ms).toISOString();

/** The frames' times and a hash of their pixels: two reads are the same when these are. */
async function drain(reader: ClipFrames, seen: Frame[] = []): Promise<string[]> {
  for await (const f of reader) seen.push(f);
  return seen.map((f) => `${f.tMs}:${createHash('sha256').update(f.rgb).digest('hex').slice(0, 16)}`);
}

/** Resolves once `count()` reaches `n` (checked as frames come: an event wait, no clock), or the read has ended. */
async function reached(count: () => number, n: number, read: Promise<unknown>): Promise<void> {
  let over = false;
  read.then(() => { over = true; }, () => { over = true; });
  while (count() < n && !over) await new Promise((r) => setTimeout(r, 20));
}

function source(name: string, extra: string[]): Buffer {
  return readFileSync(makeClip(dir, name, { seconds: 15, rate: 10, codec: [...H264, '-g', '10'], extra }));
}

// Each test reads its own file and spends most of its time waiting (a pause of three stall limits, an expiry): they
// run concurrently, on sources made once before them (the abandoned and expired uploads are cut from the TS clip).
describe.concurrent('a clip read while it arrives', () => {
  const sources = new Map<string, Buffer>();
  const formats = [['MPEG-TS', 'whole.ts', ['-f', 'mpegts']], ['FLV', 'whole.flv', ['-f', 'flv']]] as const;
  beforeAll(() => {
    for (const [, name, extra] of formats) sources.set(name, source(name, [...extra]));
  });
  const made = (name: string): Buffer => {
    const whole = sources.get(name);
    if (whole === undefined) throw new Error(`no source ${name}`);
    return whole;
  };

  for (const [label, name] of formats) {
    it(`${label}: waits through a pause longer than the stall limit, then gives the frames of an ordinary read`, async ({ expect }) => {
      const whole = made(name);
      const expected = await drain(readClipFrames(join(dir, name), { fps: 5, cameraId: 'c' }));
      expect(expected.length).toBe(75);

      const path = join(dir, `growing-${name}`);
      // More than the 5 s ffmpeg reads of a stream before its first frame (as it does for a file).
      const cut = Math.floor(whole.length * 0.6);
      writeFileSync(path, whole.subarray(0, cut));
      await writeArrival(path, { state: 'arriving', uploadId: 'u1', totalBytes: whole.length, expiresAt: later(3_600_000) });
      const reader = readClipFrames(path, { fps: 5, cameraId: 'c', growing: true, limits: { stallMs: STALL_MS } });
      const seen: Frame[] = [];
      const done = drain(reader, seen);
      await reached(() => seen.length, 3, done);
      // Nothing more arrives for several stall limits (the point of the test is a timer that must not fire).
      await new Promise((r) => setTimeout(r, STALL_MS * 3));
      const before = seen.length;
      expect(before).toBeLessThan(75);
      appendFileSync(path, whole.subarray(cut));
      await endArrival(path);
      const got = await done;
      const result = await reader.result;
      expect(result.error).toBeUndefined();
      expect(result.complete).toBe(true);
      expect(result.arrival).toEqual({ kind: 'complete', bytes: whole.length });
      expect(result.durationMs).toBeGreaterThan(14_500);
      expect(got).toEqual(expected);
    }, 120_000);
  }

  for (const state of ['abandoned', 'expired'] as const) {
    it(`an upload ${state} half-way ends the read after the part that came, not complete`, async ({ expect }) => {
      const whole = made('whole.ts');
      const path = join(dir, `${state}.ts`);
      const cut = Math.floor(whole.length * 0.6);
      writeFileSync(path, whole.subarray(0, cut));
      // Expired: the record still says arriving, but its expiry has passed (before the sweep has marked it).
      await writeArrival(path, state === 'abandoned'
        ? { state: 'arriving', uploadId: 'u2', totalBytes: whole.length, expiresAt: later(3_600_000) }
        : { state: 'arriving', uploadId: 'u3', totalBytes: whole.length, expiresAt: later(3_000) });
      const reader = readClipFrames(path, { fps: 5, cameraId: 'c', growing: true });
      const seen: Frame[] = [];
      const done = drain(reader, seen);
      await reached(() => seen.length, 3, done);
      if (state === 'abandoned') await writeArrival(path, { state: 'abandoned', uploadId: 'u2', totalBytes: whole.length, expiresAt: later(3_600_000), receivedBytes: cut });
      await done;
      const result = await reader.result;
      expect(result.complete).toBe(false);
      expect(result.arrival).toEqual({ kind: state, bytes: cut, totalBytes: whole.length });
      expect(result.error).toMatch(state === 'abandoned' ? /upload was abandoned after \d+ of \d+ bytes/ : /upload expired unfinished/);
      // Every frame of the part that came, none invented past it.
      expect(seen.length).toBeGreaterThan(5);
      expect(seen.length).toBeLessThan(75);
      expect(result.stoppedAtMs).toBe(seen.at(-1)?.tMs);
    }, 120_000);
  }

  it('refuses a growing read of a format that needs its end (MP4)', async ({ expect }) => {
    const path = makeClip(dir, 'whole.mp4', { seconds: 2, rate: 10, codec: H264, extra: ['-movflags', '+faststart'] });
    await writeArrival(path, { state: 'arriving', uploadId: 'u4', totalBytes: 1, expiresAt: later(3_600_000) });
    await expect(drain(readClipFrames(path, { fps: 5, cameraId: 'c', growing: true }))).rejects.toThrow(/cannot be read while it arrives/);
  }, 60_000);
});
