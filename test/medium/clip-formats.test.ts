// Recorder formats on real ffmpeg: each accepted container, generated (ffmpeg) or built from its layout (DAV, Hikvision IMKH),
// is sniffed from its bytes, probed and decoded with its demuxer forced; playlists, scripts and unknown bytes are refused by name.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { InputError } from '../../services/core/errors.ts';
import { probeClip, readClipFrames } from '../../services/ingester/index.ts';
import { H264, hasEncoder, makeClip, tempDir } from '../fixtures/media.ts';
import { imkhHeader, writeDav } from '../fixtures/recorder-files.ts';

const { dir, remove } = tempDir('formats');
afterAll(remove);

const ACCEPTED = /accepts \(mp4, mov, mkv, webm, gif, avi, mpeg-ts, mpeg-ps \(incl\. Hikvision IMKH\), dahua dav, raw h264\/h265, flv\)/;

async function decodeAll(path: string): Promise<{ tMs: number[]; complete: boolean }> {
  const reader = readClipFrames(path, { cameraId: 'cam', fps: 5, maxWidth: 160 });
  const tMs: number[] = [];
  for await (const f of reader) {
    expect([f.width, f.height, f.rgb.length]).toEqual([160, 120, 160 * 120 * 3]);
    tMs.push(f.tMs);
  }
  return { tMs, complete: (await reader.result).complete };
}

interface Case {
  name: string;
  container: string;
  codec: string;
  /** Raw elementary streams carry no duration. */
  durationMs?: number;
  make: () => string;
}

const cases: Case[] = [
  { name: 'AVI (H.264)', container: 'avi', codec: 'h264', durationMs: 3000, make: () => makeClip(dir, 'a.avi', { seconds: 3, codec: H264 }) },
  { name: 'AVI (MPEG-4 part 2)', container: 'avi', codec: 'mpeg4', durationMs: 3000, make: () => makeClip(dir, 'b.avi', { seconds: 3, codec: ['-c:v', 'mpeg4'] }) },
  { name: 'MPEG-TS', container: 'ts', codec: 'h264', durationMs: 3000, make: () => makeClip(dir, 'a.ts', { seconds: 3, codec: H264, extra: ['-f', 'mpegts'] }) },
  { name: 'MPEG-PS (H.264)', container: 'ps', codec: 'h264', durationMs: 3000, make: () => makeClip(dir, 'a.mpg', { seconds: 3, codec: H264, extra: ['-f', 'mpeg'] }) },
  { name: 'MPEG-PS (MPEG-2, .vob)', container: 'ps', codec: 'mpeg2video', make: () => makeClip(dir, 'a.vob', { seconds: 3, codec: ['-c:v', 'mpeg2video'], extra: ['-f', 'vob'] }) },
  {
    name: 'Hikvision export: IMKH header + MPEG-PS, named .mp4',
    container: 'ps',
    codec: 'h264',
    durationMs: 3000,
    make: () => {
      const ps = readFileSync(makeClip(dir, 'hik-body.mpg', { seconds: 3, codec: H264, extra: ['-f', 'mpeg'] }));
      const path = join(dir, 'ch01_20241203143000.mp4');
      writeFileSync(path, Buffer.concat([imkhHeader(), ps]));
      return path;
    },
  },
  {
    name: 'Dahua DAV (DHAV frames around H.264)',
    container: 'dav',
    codec: 'h264',
    make: () => writeDav(dir, 'a.dav', 3, { fps: 25, start: { year: 2024, month: 12, day: 3, hour: 14, minute: 30, second: 0 } }),
  },
  { name: 'raw H.264', container: 'h264', codec: 'h264', make: () => makeClip(dir, 'a.h264', { seconds: 3, codec: H264, extra: ['-f', 'h264'] }) },
  { name: 'FLV', container: 'flv', codec: 'h264', durationMs: 3000, make: () => makeClip(dir, 'a.flv', { seconds: 3, codec: H264, extra: ['-f', 'flv'] }) },
];
if (hasEncoder('libx265')) {
  cases.push({
    name: 'raw H.265',
    container: 'h265',
    codec: 'hevc',
    make: () => makeClip(dir, 'a.h265', { seconds: 3, codec: ['-c:v', 'libx265', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-x265-params', 'log-level=error'], extra: ['-f', 'hevc'] }),
  });
}

describe('each recorder format is sniffed, probed and decoded', () => {
  it.each(cases)('$name', async ({ container, codec, durationMs, make }) => {
    const path = make();
    const info = await probeClip(path);
    expect(info).toMatchObject({ container, codec, width: 320, height: 240 });
    if (durationMs !== undefined) expect(info.durationMs).toBe(durationMs);
    const { tMs, complete } = await decodeAll(path);
    expect(complete).toBe(true);
    // 3 s at 5 fps: 15 frames on the 200 ms grid (the DAV clock has whole seconds, so its stream may end a frame early).
    expect(tMs.length).toBeGreaterThanOrEqual(14);
    expect(tMs.length).toBeLessThanOrEqual(15);
    expect(tMs).toEqual(Array.from({ length: tMs.length }, (_, k) => k * 200));
  });

  it('the Hikvision header is skipped, not decoded: the picture matches the plain PS stream', async () => {
    const plain = join(dir, 'hik-body.mpg');
    const wrapped = join(dir, 'ch01_20241203143000.mp4');
    const first = async (p: string): Promise<Buffer> => {
      for await (const f of readClipFrames(p, { cameraId: 'c', fps: 1, maxWidth: 160, endMs: 1000 })) return f.rgb;
      throw new Error('no frame');
    };
    expect((await first(wrapped)).equals(await first(plain))).toBe(true);
  });
});

describe('refusals name what is accepted', () => {
  const refused: Array<{ name: string; bytes: Buffer; message: RegExp }> = [
    { name: 'an HLS playlist', bytes: Buffer.from('#EXTM3U\n#EXTINF:1.0,\nfile:/etc/passwd\n'), message: ACCEPTED },
    { name: 'an ffconcat list', bytes: Buffer.from('ffconcat version 1.0\nfile /etc/passwd\n'), message: ACCEPTED },
    { name: 'a shell script', bytes: Buffer.from('#!/bin/sh\nrm -rf /\n'), message: ACCEPTED },
    { name: 'random bytes', bytes: Buffer.from(Array.from({ length: 1024 }, (_, i) => (i * 7919) % 251)), message: ACCEPTED },
    { name: 'a Hikvision private stream (4HKH)', bytes: Buffer.concat([Buffer.from('4HKH'), Buffer.alloc(2000, 3)]), message: /Hikvision private-format stream.*export it again as "PS" or "MP4"/ },
    { name: 'an IMKH header before no PS or TS stream', bytes: Buffer.concat([imkhHeader(1), Buffer.alloc(2000, 9)]), message: /IMKH header is neither MPEG-PS nor MPEG-TS/ },
  ];
  it.each(refused)('$name', async ({ bytes, message }) => {
    const path = join(dir, 'refused.mp4');
    writeFileSync(path, bytes);
    const err = await probeClip(path).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toMatch(message);
  });

  it('the name means nothing: MPEG-TS bytes named .m3u8 are read as MPEG-TS', async () => {
    // A real TS file whose name ends in .m3u8: content decides, and the demuxer is forced to mpegts.
    const ts = makeClip(dir, 'looks.m3u8', { seconds: 1, codec: H264, extra: ['-f', 'mpegts'] });
    expect((await probeClip(ts)).container).toBe('ts');
  });

  it('a TS file with a truncated tail still decodes what it holds', async () => {
    const ts = readFileSync(join(dir, 'a.ts'));
    const cut = join(dir, 'cut.ts');
    writeFileSync(cut, ts.subarray(0, Math.floor(ts.length / 2)));
    const { tMs } = await decodeAll(cut);
    expect(tMs.length).toBeGreaterThan(3);
  });
});

it('ffmpeg on this machine has every demuxer the sniffer can choose', () => {
  const list = execFileSync('ffmpeg', ['-hide_banner', '-demuxers'], { encoding: 'utf8' });
  for (const d of ['mov', 'matroska', 'gif', 'avi', 'mpegts', 'mpeg', 'dhav', 'h264', 'hevc', 'flv']) expect(list).toMatch(new RegExp(`\\s${d}[\\s,]`));
});
