// Uploads of recorder exports through the API: each accepted format is stored under its sniffed container; anything else
// gets a 415 that lists what is accepted, and leaves nothing behind.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { H264, makeClip, tempDir } from '../fixtures/media.ts';
import { imkhHeader, writeDav } from '../fixtures/recorder-files.ts';
import { apiFixture, USERS, type ApiFixture, type Session } from './api-fixture.ts';

let f: ApiFixture;
let manager: Session;
const { dir, remove } = tempDir('upload-formats');

function multipart(filename: string, content: Buffer, fields: Record<string, string> = {}): { payload: Buffer; headers: Record<string, string> } {
  const boundary = '----sopwatch-formats-boundary';
  const parts = Object.entries(fields).map(([k, v]) => Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`));
  const head = `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${filename}"\r\nContent-Type: application/octet-stream\r\n\r\n`;
  return {
    payload: Buffer.concat([...parts, Buffer.from(head), content, Buffer.from(`\r\n--${boundary}--\r\n`)]),
    headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
  };
}

function upload(filename: string, content: Buffer) {
  const body = multipart(filename, content);
  return f.call(manager, { method: 'POST', url: `/api/stores/${f.stores.a1}/clips?cameraId=${f.a1.cameraId}`, payload: body.payload, headers: body.headers });
}

function filesUnderClips(): string[] {
  const root = join(f.dataDir, 'clips');
  if (!existsSync(root)) return [];
  return (readdirSync(root, { recursive: true }) as string[]).filter((p) => statSync(join(root, p)).isFile());
}

beforeAll(async () => {
  f = await apiFixture({ config: { maxUploadBytes: 2 * 1024 * 1024 } });
  manager = await f.login(USERS.managerA);
});
afterAll(async () => {
  await f?.close();
  remove();
});

describe('recorder exports are accepted', () => {
  const small = { seconds: 1, width: 160, height: 120 };
  const cases: Array<{ filename: string; container: string; make: () => Buffer }> = [
    { filename: 'NVR export.avi', container: 'avi', make: () => readFileSync(makeClip(dir, 'a.avi', { ...small, codec: H264 })) },
    { filename: 'cam1.ts', container: 'ts', make: () => readFileSync(makeClip(dir, 'a.ts', { ...small, codec: H264, extra: ['-f', 'mpegts'] })) },
    {
      // Hikvision names its PS exports .mp4: the content, not the name, decides.
      filename: 'ch01_20241203143000.mp4',
      container: 'ps',
      make: () => Buffer.concat([imkhHeader(), readFileSync(makeClip(dir, 'hik.mpg', { ...small, codec: H264, extra: ['-f', 'mpeg'] }))]),
    },
    { filename: 'dahua.dav', container: 'dav', make: () => readFileSync(writeDav(dir, 'a.dav', 1, { fps: 10, start: { year: 2024, month: 12, day: 3, hour: 14, minute: 30, second: 0 } })) },
    { filename: 'raw.264', container: 'h264', make: () => readFileSync(makeClip(dir, 'a.h264', { ...small, codec: H264, extra: ['-f', 'h264'] })) },
    { filename: 'cam.flv', container: 'flv', make: () => readFileSync(makeClip(dir, 'a.flv', { ...small, codec: H264, extra: ['-f', 'flv'] })) },
  ];
  it.each(cases)('$filename is stored as .$container', async ({ filename, container, make }) => {
    const content = make();
    const res = await upload(filename, content);
    expect(res.statusCode, res.body).toBe(202);
    const body = res.json<{ clip: { id: string; filename: string; bytes: number } }>();
    expect(body.clip).toMatchObject({ filename, bytes: content.length });
    expect(filesUnderClips()).toContain(`${body.clip.id}.${container}`);
  });
});

describe('anything else is a 415 that lists the accepted formats', () => {
  const refusals: Array<{ name: string; filename: string; content: Buffer; message: RegExp }> = [
    { name: 'an HLS playlist named .ts', filename: 'live.ts', content: Buffer.from('#EXTM3U\n#EXTINF:1.0,\nhttp://127.0.0.1/x.ts\n'), message: /accepted \(mp4, mov, mkv, webm, gif, avi, mpeg-ts, .*flv\); playlists, scripts/ },
    { name: 'a concat list named .dav', filename: 'x.dav', content: Buffer.from('ffconcat version 1.0\nfile /etc/passwd\n'), message: /accepted \(mp4, .*dahua dav.*\)/ },
    { name: 'a script named .avi', filename: 'x.avi', content: Buffer.from('#!/bin/sh\necho hi\n'), message: /playlists, scripts and text renamed to a video name are refused/ },
    { name: 'a Hikvision private stream', filename: 'hik.mp4', content: Buffer.concat([Buffer.from('4HKH'), Buffer.alloc(4096, 1)]), message: /Hikvision private-format stream/ },
  ];
  it.each(refusals)('$name', async ({ filename, content, message }) => {
    const before = filesUnderClips();
    const res = await upload(filename, content);
    expect(res.statusCode, res.body).toBe(415);
    expect(res.json<{ message: string }>().message).toMatch(message);
    expect(filesUnderClips()).toEqual(before);
  });

  it('a file name no recorder writes is refused before its bytes are read', async () => {
    const res = await upload('run.sh', Buffer.from('#!/bin/sh\n'));
    expect(res.statusCode).toBe(415);
    expect(res.json<{ message: string }>().message).toMatch(/avi, ts, mts, m2ts, mpg, mpeg, ps, vob, dav, h264/);
  });
});
