// Clip frame source on real ffmpeg: formats, counts, timestamps, sizes, ranges, hostile inputs, and that ffmpeg never outlives a read.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Frame } from '../../services/core/contracts.ts';
import { InputError, UsageError } from '../../services/core/errors.ts';
import { probeClip, readClipFrames, type ClipFrames } from '../../services/ingester/index.ts';
import { RawFramePipe } from '../../services/ingester/ffmpeg-pipe.ts';
import { fileUrl, safeInputArgs } from '../../services/ingester/probe.ts';
import { H264, VP8, VP9, childPids, describeFootage, footage, hasEncoder, makeClip, makeTwoColourClip, processExists, rotateMp4, tempDir } from '../fixtures/media.ts';

const { dir, remove } = tempDir('clip');
afterAll(remove);

async function collect(frames: ClipFrames): Promise<Frame[]> {
  const out: Frame[] = [];
  for await (const f of frames) out.push(f);
  return out;
}

function pixel(f: Frame, x: number, y: number): [number, number, number] {
  const i = (y * f.width + x) * 3;
  return [f.rgb[i] ?? -1, f.rgb[i + 1] ?? -1, f.rgb[i + 2] ?? -1];
}

describe('readClipFrames on each container', () => {
  const cases: Array<{ name: string; container: string; codec: string; make: () => string }> = [
    { name: 'a.mp4', container: 'mp4', codec: 'h264', make: () => makeClip(dir, 'a.mp4', { seconds: 3, codec: H264 }) },
    { name: 'a.mov', container: 'mov', codec: 'h264', make: () => makeClip(dir, 'a.mov', { seconds: 3, codec: H264 }) },
    { name: 'a.mkv', container: 'mkv', codec: 'h264', make: () => makeClip(dir, 'a.mkv', { seconds: 3, codec: H264 }) },
    { name: 'vp8.webm', container: 'webm', codec: 'vp8', make: () => makeClip(dir, 'vp8.webm', { seconds: 3, codec: VP8 }) },
    { name: 'a.gif', container: 'gif', codec: 'gif', make: () => makeClip(dir, 'a.gif', { seconds: 3, rate: 10 }) },
  ];
  if (hasEncoder('libvpx-vp9')) {
    cases.push({ name: 'vp9.webm', container: 'webm', codec: 'vp9', make: () => makeClip(dir, 'vp9.webm', { seconds: 3, codec: VP9 }) });
  }

  it.each(cases)('$name: 15 frames at 5 fps, 200 ms apart, downscaled to 160x120', async ({ container, codec, make }) => {
    const path = make();
    const info = await probeClip(path);
    expect(info).toMatchObject({ container, codec, durationMs: 3000, width: 320, height: 240 });
    const reader = readClipFrames(path, { cameraId: 'cam-a', fps: 5, maxWidth: 160 });
    const frames = await collect(reader);
    expect(frames.map((f) => f.tMs)).toEqual(Array.from({ length: 15 }, (_, k) => k * 200));
    expect(frames.map((f) => f.index)).toEqual(Array.from({ length: 15 }, (_, k) => k));
    for (const f of frames) {
      expect([f.cameraId, f.width, f.height, f.rgb.length]).toEqual(['cam-a', 160, 120, 160 * 120 * 3]);
    }
    const result = await reader.result;
    expect(result).toMatchObject({ frames: 15, complete: true });
    expect(result.error).toBeUndefined();
  });

  it("takes the caller's probe instead of probing again (clip analysis has just probed): frames at the size it says", async () => {
    const path = join(dir, 'a.mp4');
    const info = await probeClip(path);
    // A probe that says otherwise than the file shows it is the one used: the clip is 320x240.
    const told = await collect(readClipFrames(path, { cameraId: 'c', fps: 5, info: { ...info, width: 160, height: 120 } }));
    expect(told.length).toBe(15);
    expect(told.every((f) => f.width === 160 && f.height === 120)).toBe(true);
    const own = await collect(readClipFrames(path, { cameraId: 'c', fps: 5 }));
    expect(own.every((f) => f.width === 320 && f.height === 240)).toBe(true);
  });

  it('samples at other rates: 2 fps gives 6 frames 500 ms apart, 7 fps gives 21', async () => {
    const path = join(dir, 'a.mp4');
    const two = await collect(readClipFrames(path, { cameraId: 'c', fps: 2 }));
    expect(two.map((f) => f.tMs)).toEqual([0, 500, 1000, 1500, 2000, 2500]);
    expect(two[0]).toMatchObject({ width: 320, height: 240 });
    const seven = await collect(readClipFrames(path, { cameraId: 'c', fps: 7, maxWidth: 64 }));
    expect(seven).toHaveLength(21);
    expect(seven[20]?.tMs).toBe(Math.round((20 * 1000) / 7));
  });
});

describe('pixels, time and size', () => {
  let twoColour: string;
  beforeAll(() => {
    twoColour = makeTwoColourClip(dir, 'red-blue.mp4', 'red', 'blue', 1.5, 3);
  });

  it('gives RGB in that byte order, and each frame shows the picture at its tMs', async () => {
    const frames = await collect(readClipFrames(twoColour, { cameraId: 'c', fps: 5 }));
    expect(frames).toHaveLength(15);
    for (const f of frames) {
      const [r, g, b] = pixel(f, 80, 60);
      if (f.tMs < 1500) expect([r > 200, g < 60, b < 60]).toEqual([true, true, true]);
      else expect([r < 60, g < 60, b > 200]).toEqual([true, true, true]);
    }
  });

  it('reads only [startMs, endMs), with times and indexes from the clip start', async () => {
    const reader = readClipFrames(twoColour, { cameraId: 'c', fps: 5, startMs: 1000, endMs: 2000 });
    const frames = await collect(reader);
    expect(frames.map((f) => f.tMs)).toEqual([1000, 1200, 1400, 1600, 1800]);
    expect(frames.map((f) => f.index)).toEqual([5, 6, 7, 8, 9]);
    expect(frames.map((f) => (pixel(f, 80, 60)[0] > 200 ? 'red' : 'blue'))).toEqual(['red', 'red', 'red', 'blue', 'blue']);
    expect(await reader.result).toMatchObject({ frames: 5, complete: true });
    const tail = await collect(readClipFrames(twoColour, { cameraId: 'c', fps: 5, startMs: 2500 }));
    expect(tail.map((f) => f.tMs)).toEqual([2500, 2700, 2900]);
    const none = readClipFrames(twoColour, { cameraId: 'c', startMs: 5000 });
    expect(await collect(none)).toEqual([]);
    expect(await none.result).toMatchObject({ frames: 0, complete: true });
  });

  it('keeps the aspect ratio when it downscales, never upscales, and handles odd sizes', async () => {
    const wide = makeClip(dir, 'wide.mp4', { seconds: 1, width: 320, height: 180, codec: H264 });
    const odd = makeClip(dir, 'odd.mkv', { seconds: 1, width: 330, height: 250, codec: ['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv444p'] });
    const [a] = await collect(readClipFrames(wide, { cameraId: 'c', maxWidth: 160, endMs: 200 }));
    const [b] = await collect(readClipFrames(wide, { cameraId: 'c', maxWidth: 1000, endMs: 200 }));
    const [c] = await collect(readClipFrames(odd, { cameraId: 'c', maxWidth: 101, endMs: 200 }));
    expect([a?.width, a?.height, a?.rgb.length]).toEqual([160, 90, 160 * 90 * 3]);
    expect([b?.width, b?.height]).toEqual([320, 180]);
    expect([c?.width, c?.height, c?.rgb.length]).toEqual([101, 77, 101 * 77 * 3]);
  });

  it('with grayHeight, gives each frame its own tiny gray picture, made by the same ffmpeg', async () => {
    const luma = (f: Frame): number => {
      let sum = 0;
      for (let i = 0; i < f.rgb.length; i += 3) sum += 0.299 * (f.rgb[i] ?? 0) + 0.587 * (f.rgb[i + 1] ?? 0) + 0.114 * (f.rgb[i + 2] ?? 0);
      return sum / (f.width * f.height);
    };
    const mean = (d: Uint8Array): number => d.reduce((a, b) => a + b, 0) / d.length;
    for (const range of [{}, { startMs: 1000, endMs: 2000 }]) {
      const reader = readClipFrames(twoColour, { cameraId: 'c', fps: 5, grayHeight: 30, ...range });
      const frames = await collect(reader);
      expect(frames).toHaveLength('startMs' in range ? 5 : 15);
      expect((await reader.result).complete).toBe(true);
      for (const f of frames) {
        expect([f.gray?.width, f.gray?.height, f.gray?.data.length]).toEqual([40, 30, 40 * 30]);
        // Red (luma 76) then blue (29): each gray picture is of its own frame, on both sides of the switch.
        expect(Math.abs(mean(f.gray?.data ?? new Uint8Array(1)) - luma(f)), `frame at ${f.tMs}`).toBeLessThan(4);
      }
    }
    // No grayHeight, no gray picture; one taller than the frame is the frame's own height.
    const [plain] = await collect(readClipFrames(twoColour, { cameraId: 'c', endMs: 200 }));
    expect(plain?.gray).toBeUndefined();
    const [tall] = await collect(readClipFrames(twoColour, { cameraId: 'c', endMs: 200, grayHeight: 500 }));
    expect([tall?.gray?.width, tall?.gray?.height]).toEqual([160, 120]);
  });

  it('applies the rotation a phone records: a quarter-turned 320x240 clip gives 240x320 frames', async () => {
    const rotated = join(dir, 'portrait.mp4');
    rotateMp4(join(dir, 'a.mp4'), rotated);
    expect(await probeClip(rotated)).toMatchObject({ width: 240, height: 320 });
    const frames = await collect(readClipFrames(rotated, { cameraId: 'c', fps: 5, endMs: 1000 }));
    expect(frames).toHaveLength(5);
    expect([frames[0]?.width, frames[0]?.height, frames[0]?.rgb.length]).toEqual([240, 320, 240 * 320 * 3]);
    // Clip analysis reads with a gray picture (a filter graph of two outputs): the rotation applies there too.
    const withGray = await collect(readClipFrames(rotated, { cameraId: 'c', fps: 5, endMs: 1000, grayHeight: 100 }));
    expect(withGray.map((f, i) => f.rgb.equals(frames[i]?.rgb ?? Buffer.alloc(0)))).toEqual([true, true, true, true, true]);
    expect([withGray[0]?.gray?.width, withGray[0]?.gray?.height]).toEqual([75, 100]);
  });
});

describe('bad and hostile inputs', () => {
  it('refuses a zero-byte file, a text file, a missing file and an mp4 cut before its index, naming each', async () => {
    const empty = join(dir, 'empty.mp4');
    const text = join(dir, 'notes.mp4');
    writeFileSync(empty, '');
    writeFileSync(text, 'shopping list: milk, beans\n');
    const full = makeClip(dir, 'full.mp4', { seconds: 2, codec: H264 });
    const cut = join(dir, 'cut.mp4');
    writeFileSync(cut, readFileSync(full).subarray(0, 20_000));
    const expectations: Array<[string, RegExp]> = [
      [empty, /empty\.mp4: empty file/],
      [text, /notes\.mp4: not a video .* looks like text \("shopping list/],
      [join(dir, 'missing.mp4'), /missing\.mp4: cannot read the clip \(no such file\)/],
      [cut, /cut\.mp4: not a readable mp4 clip: moov atom not found/],
    ];
    for (const [path, message] of expectations) {
      await expect(probeClip(path)).rejects.toThrow(message);
      const reader = readClipFrames(path, { cameraId: 'c' });
      const error = await collect(reader).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InputError);
      expect((error as Error).message).toMatch(message);
      expect(await reader.result).toMatchObject({ frames: 0, complete: false, error: (error as Error).message });
    }
  });

  it('returns the frames of a clip truncated mid-stream, then says where and why it stopped', async () => {
    const full = makeClip(dir, 'faststart.mp4', { seconds: 4, codec: ['-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p'], extra: ['-movflags', '+faststart'] });
    const cut = join(dir, 'faststart-cut.mp4');
    const bytes = readFileSync(full);
    writeFileSync(cut, bytes.subarray(0, Math.floor(bytes.length * 0.6)));
    const reader = readClipFrames(cut, { cameraId: 'c', fps: 5 });
    const frames = await collect(reader);
    const result = await reader.result;
    expect(frames.length).toBeGreaterThan(3);
    expect(frames.length).toBeLessThan(19);
    expect(result).toMatchObject({ frames: frames.length, complete: false, stoppedAtMs: frames.at(-1)?.tMs });
    expect(result.error).toMatch(/ends early: \d+ of 20 frames/);
  });

  it('refuses files that are too big or too long before decoding', async () => {
    const path = join(dir, 'a.mp4');
    await expect(probeClip(path, { maxBytes: 1000 })).rejects.toThrow(/a\.mp4: \d+ bytes is over the limit of 1000 bytes/);
    await expect(collect(readClipFrames(path, { cameraId: 'c', limits: { maxDurationMs: 2000 } }))).rejects.toThrow(/3000 ms long, over the limit of 2000 ms/);
  });

  it('refuses a clip with no picture and a tiny file that declares a huge one', async () => {
    const audio = makeClip(dir, 'audio.m4a', { seconds: 1, source: 'sine=d=1', codec: ['-c:a', 'aac'] });
    const bomb = makeClip(dir, 'wide.gif', { seconds: 0.4, source: 'color=c=red:size=9000x4:rate=5' });
    await expect(probeClip(audio)).rejects.toThrow(/audio\.m4a: no video stream/);
    await expect(collect(readClipFrames(bomb, { cameraId: 'c' }))).rejects.toThrow(/wide\.gif: picture 9000x4 is larger than 8192 pixels on a side/);
  });

  it('refuses bad options at once', () => {
    expect(() => readClipFrames('x.mp4', { cameraId: 'c', fps: 0 })).toThrow(UsageError);
    expect(() => readClipFrames('x.mp4', { cameraId: 'c', startMs: 2000, endMs: 1000 })).toThrow(UsageError);
    expect(() => readClipFrames('x.mp4', { cameraId: '' })).toThrow(UsageError);
    expect(() => readClipFrames('x.mp4', { cameraId: 'c', limits: { stallMs: -1 } })).toThrow(UsageError);
    expect(() => readClipFrames('x.mp4', { cameraId: 'c', grayHeight: 0 })).toThrow(UsageError);
    expect(() => readClipFrames('x.mp4', { cameraId: 'c', grayHeight: 2.5 })).toThrow(UsageError);
  });

  describe('playlists disguised as mp4 cannot make ffmpeg open another file', () => {
    let victim: string;
    let concat: string;
    let hls: string;
    beforeAll(() => {
      victim = makeClip(dir, 'victim.mp4', { seconds: 1, codec: H264 });
      concat = join(dir, 'concat.mp4');
      writeFileSync(concat, 'ffconcat version 1.0\nfile victim.mp4\n');
      const segment = join(dir, 'seg0.ts');
      spawnSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-i', victim, '-c', 'copy', '-f', 'mpegts', '-y', segment]);
      hls = join(dir, 'hls.mp4');
      writeFileSync(hls, '#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:1\n#EXT-X-MEDIA-SEQUENCE:0\n#EXTINF:1.0,\nseg0.ts\n#EXT-X-ENDLIST\n');
    });

    it('the attack is real: plain ffmpeg decodes the sibling file through either playlist', () => {
      for (const path of [concat, hls]) {
        const plain = spawnSync('ffmpeg', ['-hide_banner', '-nostdin', '-loglevel', 'error', '-i', path, '-frames:v', '1', '-f', 'null', '-'], { timeout: 20_000 });
        expect(plain.status).toBe(0);
      }
    });

    it('the reader refuses both by content, naming the file', async () => {
      await expect(collect(readClipFrames(concat, { cameraId: 'c' }))).rejects.toThrow(/concat\.mp4: not a video .*"ffconcat version 1\.0"/);
      await expect(collect(readClipFrames(hls, { cameraId: 'c' }))).rejects.toThrow(/hls\.mp4: not a video .*"#EXTM3U"/);
    });

    it('even unsniffed, the input flags make ffmpeg refuse the demuxer before it opens the referenced file', () => {
      // The referenced file is a fifo with no writer: opening it would block until the timeout kills ffmpeg.
      const fifoConcat = join(dir, 'fifo-concat.mp4');
      spawnSync('mkfifo', [join(dir, 'trap.mp4')]);
      writeFileSync(fifoConcat, 'ffconcat version 1.0\nfile trap.mp4\n');
      for (const [path, demuxer] of [[concat, 'concat'], [hls, 'hls'], [fifoConcat, 'concat']] as const) {
        const run = spawnSync('ffmpeg', ['-hide_banner', '-nostdin', '-loglevel', 'error', ...safeInputArgs(), '-i', fileUrl(path), '-frames:v', '1', '-f', 'null', '-'], {
          timeout: 10_000,
          encoding: 'utf8',
        });
        expect(run.signal).toBeNull();
        expect(run.status).not.toBe(0);
        expect(run.stderr).toContain(`[${demuxer} @`);
        expect(run.stderr).toContain('Format not on whitelist');
      }
    });
  });
});

describe('ffmpeg never outlives a read', () => {
  let long: string;
  beforeAll(() => {
    long = makeClip(dir, 'long.mp4', { seconds: 20, width: 160, height: 120, codec: H264 });
  });

  it('breaking out after 3 frames kills and reaps ffmpeg', async () => {
    const reader = readClipFrames(long, { cameraId: 'c', fps: 5 });
    let pids: number[] = [];
    let seen = 0;
    for await (const _ of reader) {
      pids = childPids('ffmpeg');
      seen += 1;
      if (seen === 3) break;
    }
    expect(pids).toHaveLength(1);
    expect(processExists(pids[0] ?? 0)).toBe(false);
    expect(childPids('ffmpeg')).toEqual([]);
    expect(await reader.result).toEqual({ frames: 3, complete: false, stoppedAtMs: 400, decodeMs: expect.any(Number) });
  });

  // The limits leave room for ffmpeg to start on a busy machine (2 cores, many processes): the first frame of a
  // loaded run can take over a second, and the stall limit counts from the start too.
  it('a decoder that stops producing is killed after stallMs, and the frames before it are kept', async () => {
    const reader = readClipFrames(long, { cameraId: 'c', fps: 5, limits: { stallMs: 3000 } });
    let pid = 0;
    let seen = 0;
    for await (const _ of reader) {
      seen += 1;
      if (seen === 1) {
        pid = childPids('ffmpeg')[0] ?? 0;
        process.kill(pid, 'SIGSTOP');
      }
    }
    const result = await reader.result;
    expect(result.complete).toBe(false);
    expect(result.error).toBe('no frame came out for 3000 ms (stalled)');
    expect(result.frames).toBe(seen);
    expect(processExists(pid)).toBe(false);
  });

  it('a decode past timeoutMs is killed even when the stall limit is far away', async () => {
    const reader = readClipFrames(long, { cameraId: 'c', fps: 5, limits: { stallMs: 60_000, timeoutMs: 1500 } });
    let pid = 0;
    for await (const _ of reader) {
      if (pid === 0) {
        pid = childPids('ffmpeg')[0] ?? 0;
        process.kill(pid, 'SIGSTOP');
      }
    }
    expect((await reader.result).error).toBe('decoding took longer than the 1500 ms limit');
    expect(processExists(pid)).toBe(false);
  });

  it('a stall before the first frame is an InputError naming the file', async () => {
    await expect(collect(readClipFrames(long, { cameraId: 'c', limits: { stallMs: 1 } }))).rejects.toThrow(/long\.mp4: no frame came out for 1 ms/);
    expect(childPids('ffmpeg')).toEqual([]);
  });

  it('a slow consumer is not mistaken for a stall', async () => {
    const reader = readClipFrames(long, { cameraId: 'c', fps: 5, endMs: 3000, limits: { stallMs: 2000 } });
    let seen = 0;
    for await (const _ of reader) {
      seen += 1;
      if (seen <= 3) await new Promise((r) => setTimeout(r, 2500));
    }
    expect(await reader.result).toMatchObject({ frames: 15, complete: true });
  });

  it('an abort ends the iteration quietly and kills ffmpeg', async () => {
    const controller = new AbortController();
    const reader = readClipFrames(long, { cameraId: 'c', fps: 5, signal: controller.signal });
    let seen = 0;
    let pid = 0;
    for await (const _ of reader) {
      seen += 1;
      pid = childPids('ffmpeg')[0] ?? pid;
      if (seen === 2) controller.abort();
    }
    const result = await reader.result;
    expect(result).toMatchObject({ complete: false, error: 'aborted' });
    expect(result.frames).toBeGreaterThanOrEqual(2);
    expect(result.frames).toBeLessThan(10);
    expect(processExists(pid)).toBe(false);
  });

  it('a reader can be iterated only once', async () => {
    const reader = readClipFrames(long, { cameraId: 'c', endMs: 400 });
    await collect(reader);
    expect(() => reader[Symbol.asyncIterator]()).toThrow(UsageError);
  });
});

describe('RawFramePipe with a scripted child', () => {
  const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

  it('counts only the time the child could run towards timeoutMs, and still ends a long run', async () => {
    const began = performance.now();
    const pipe = new RawFramePipe({
      command: 'sh',
      args: ['-c', 'while :; do head -c 100 /dev/zero; sleep 0.05; done'],
      frameBytes: 100,
      stallMs: 5000,
      timeoutMs: 1200,
      maxQueued: 1,
    });
    for (let k = 0; k < 5; k++) {
      expect((await pipe.next())?.length).toBe(100);
      await sleep(400);
    }
    expect(pipe.end).toBeUndefined();
    while ((await pipe.next()) !== undefined);
    expect(pipe.end).toEqual({ kind: 'timeout', ms: 1200 });
    expect(performance.now() - began).toBeGreaterThan(2000 + 800);
    expect(childPids('sh')).toEqual([]);
  }, 15_000);

  it('pairs each frame with its fd 3 frame, whichever comes first, and hands out a frame whose pair never came', async () => {
    // Frame k of stdout is k repeated, and so is its fd 3 frame; the child writes fd 3 first for odd k, and a last stdout
    // frame without its pair.
    const script = 'for k in 1 2 3 4; do ' +
      'if [ $((k % 2)) -eq 1 ]; then printf "%010d" $k >&3; printf "%0100d" $k; else printf "%0100d" $k; sleep 0.05; printf "%010d" $k >&3; fi; done; ' +
      'printf "%0100d" 5';
    const pipe = new RawFramePipe({ command: 'sh', args: ['-c', script], frameBytes: 100, sideFrameBytes: 10, stallMs: 5000, timeoutMs: 5000, maxQueued: 1 });
    const got: Array<[string, string | undefined]> = [];
    for (let f = await pipe.next(); f !== undefined; f = await pipe.next()) got.push([f.toString().slice(-1), pipe.side?.toString().slice(-1)]);
    expect(got).toEqual([['1', '1'], ['2', '2'], ['3', '3'], ['4', '4'], ['5', undefined]]);
    expect(pipe.end).toEqual({ kind: 'exit', code: 0, signal: null });
  });

  it('ends a child whose fd 3 frame never comes after stallMs, instead of waiting for it for ever', async () => {
    // Three stdout frames (the queue fills and stdout is paused), no fd 3 frame, and a child that does not exit.
    const pipe = new RawFramePipe({ command: 'sh', args: ['-c', 'head -c 300 /dev/zero; exec sleep 30'], frameBytes: 100, sideFrameBytes: 10, stallMs: 800, timeoutMs: 60_000, maxQueued: 1 });
    const began = performance.now();
    const got: Array<Buffer | undefined> = [];
    for (let f = await pipe.next(); f !== undefined; f = await pipe.next()) got.push(pipe.side);
    expect(pipe.end).toEqual({ kind: 'stall', ms: 800 });
    expect(performance.now() - began).toBeLessThan(10_000);
    // What did arrive is handed out, without a gray picture.
    expect(got.length).toBeGreaterThan(0);
    expect(got.every((s) => s === undefined)).toBe(true);
    expect(childPids('sleep')).toEqual([]);
  }, 20_000);

  it('reports the bytes of a frame cut short by the child exiting', async () => {
    const pipe = new RawFramePipe({ command: 'sh', args: ['-c', 'head -c 250 /dev/zero; echo oops >&2; exit 3'], frameBytes: 100, stallMs: 5000, timeoutMs: 5000 });
    expect((await pipe.next())?.length).toBe(100);
    expect((await pipe.next())?.length).toBe(100);
    expect(await pipe.next()).toBeUndefined();
    expect(pipe.end).toEqual({ kind: 'exit', code: 3, signal: null });
    expect([pipe.partialBytes, pipe.stderrTail]).toEqual([50, 'oops']);
  });
});

const BOTTLE = footage('intel_bottle-detection.mp4');
const GIF = footage('intel_worker-zone-detection.gif');

describeFootage('clip frames from the Intel sample clips', [BOTTLE, GIF], () => {
  it.each([BOTTLE, GIF])('%s: frame count is duration x fps', async (path) => {
    const info = await probeClip(path);
    const reader = readClipFrames(path, { cameraId: 'real', fps: 5, maxWidth: 320 });
    let count = 0;
    let last: Frame | undefined;
    for await (const f of reader) {
      count += 1;
      last = f;
    }
    const expected = (info.durationMs / 1000) * 5;
    expect(Math.abs(count - expected)).toBeLessThanOrEqual(1);
    expect(last?.width).toBe(320);
    expect(last?.height).toBe(Math.round((info.height * 320) / info.width));
    expect(await reader.result).toMatchObject({ frames: count, complete: true });
  });
});
