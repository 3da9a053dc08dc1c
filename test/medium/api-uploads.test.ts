// Clip uploads: a good clip is stored under a generated name and queued; every refusal has a clear status and leaves
// nothing on disk or in the database (declared size, real size, fake video, playlist, ffconcat, path traversal).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobName } from '../../services/core/jobs.ts';
import { apiFixture, USERS, type ApiFixture, type Session } from './api-fixture.ts';

let f: ApiFixture;
let manager: Session;
let work: string;
let clip: Buffer;

function multipart(filename: string, content: Buffer): { payload: Buffer; headers: Record<string, string> } {
  const boundary = '----sopwatch-test-boundary';
  const head = `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${filename}"\r\nContent-Type: video/mp4\r\n\r\n`;
  return {
    payload: Buffer.concat([Buffer.from(head), content, Buffer.from(`\r\n--${boundary}--\r\n`)]),
    headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
  };
}

/** Every file under <dataDir>/clips, temporary ones included. */
function filesUnderClips(): string[] {
  const root = join(f.dataDir, 'clips');
  if (!existsSync(root)) return [];
  return (readdirSync(root, { recursive: true }) as string[]).filter((p) => statSync(join(root, p)).isFile());
}

async function clipRows(): Promise<number> {
  const r = await f.db.query<{ n: number }>('SELECT count(*)::integer AS n FROM clips');
  return Number(r.rows[0]?.n);
}

function upload(filename: string, content: Buffer, extraHeaders: Record<string, string> = {}) {
  const body = multipart(filename, content);
  return f.call(manager, {
    method: 'POST',
    url: `/api/stores/${f.stores.a1}/clips?cameraId=${f.a1.cameraId}`,
    payload: body.payload,
    headers: { ...body.headers, ...extraHeaders },
  });
}

beforeAll(async () => {
  f = await apiFixture({ config: { maxUploadBytes: 512 * 1024 } });
  manager = await f.login(USERS.managerA);
  work = await mkdtemp(join(tmpdir(), 'sopwatch-upload-'));
  execFileSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'color=c=gray:s=160x120:d=1:r=5', '-pix_fmt', 'yuv420p', '-c:v', 'libx264', join(work, 'ok.mp4')]);
  clip = readFileSync(join(work, 'ok.mp4'));
});
afterAll(async () => {
  await f?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

describe('clip upload refusals leave nothing behind', () => {
  const refusals: Array<{ name: string; status: number; message: RegExp; file: () => { filename: string; content: Buffer } }> = [
    {
      name: 'a playlist disguised as .mp4',
      status: 415,
      message: /not a video/,
      file: () => ({ filename: 'shift.mp4', content: Buffer.from('#EXTM3U\n#EXT-X-MEDIA-SEQUENCE:0\n#EXTINF:1.0,\nother-store-clip.mp4\n#EXT-X-ENDLIST\n') }),
    },
    {
      name: 'an ffconcat script disguised as .mp4',
      status: 415,
      message: /not a video/,
      file: () => ({ filename: 'shift.mp4', content: Buffer.from('ffconcat version 1.0\nfile other-store-clip.mp4\n') }),
    },
    {
      name: 'a fake video (an mp4 header, then junk)',
      status: 415,
      message: /not a readable video/,
      file: () => ({ filename: 'shift.mp4', content: Buffer.concat([Buffer.from('0000001866747970697336d0000000069736f6d', 'hex'), Buffer.alloc(4096, 7)]) }),
    },
    { name: 'a path-traversal file name', status: 400, message: /without folders or "\.\."/, file: () => ({ filename: '../../../etc/cron.d/x.mp4', content: clip }) },
    { name: 'a Windows path file name', status: 400, message: /without folders/, file: () => ({ filename: '..\\..\\x.mp4', content: clip }) },
    { name: 'a file that is not a video type', status: 415, message: /not a video type/, file: () => ({ filename: 'notes.txt', content: Buffer.from('hello') }) },
    {
      // Within the multipart allowance of the declared size, so only the count while streaming can catch it.
      name: 'a file larger than the limit (counted while streaming)',
      status: 413,
      message: /larger than the limit/,
      file: () => ({ filename: 'big.mp4', content: Buffer.concat([clip, Buffer.alloc(522 * 1024 - clip.length)]) }),
    },
  ];

  for (const r of refusals) {
    it(`refuses ${r.name} with ${r.status}`, async () => {
      const before = await clipRows();
      const { filename, content } = r.file();
      const res = await upload(filename, content);
      expect(res.statusCode, res.body).toBe(r.status);
      expect((res.json<{ message: string }>()).message).toMatch(r.message);
      expect(res.body).not.toContain(f.dataDir);
      expect(filesUnderClips()).toEqual([]);
      expect(await clipRows()).toBe(before);
      expect(existsSync('/etc/cron.d/x.mp4')).toBe(false);
    });
  }

  it('refuses a declared 2 GB upload from its content-length, before reading the body', async () => {
    const before = await clipRows();
    const res = await upload('huge.mp4', clip, { 'content-length': String(2 * 1024 ** 3) });
    expect(res.statusCode).toBe(413);
    expect(res.headers.connection).toBe('close');
    expect(filesUnderClips()).toEqual([]);
    expect(await clipRows()).toBe(before);
  });

  it('answers a real HTTP client declaring 2 GB at once, without waiting for the body', async () => {
    const address = await f.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = new URL(address);
    const reply = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(port), '127.0.0.1');
      let data = '';
      const timer = setTimeout(() => reject(new Error(`no answer within 5 s: ${data}`)), 5_000);
      socket.on('data', (d: Buffer) => { data += d.toString(); });
      socket.on('close', () => { clearTimeout(timer); resolve(data); });
      socket.on('error', reject);
      socket.write(
        `POST /api/stores/${f.stores.a1}/clips?cameraId=${f.a1.cameraId} HTTP/1.1\r\nHost: 127.0.0.1\r\n` +
          `Cookie: sopwatch_session=${manager.cookie}\r\nX-CSRF-Token: ${manager.csrf}\r\n` +
          `Content-Type: multipart/form-data; boundary=x\r\nContent-Length: ${2 * 1024 ** 3}\r\n\r\n--x\r\n`,
      );
    });
    expect(reply).toMatch(/^HTTP\/1\.1 413/);
    expect(filesUnderClips()).toEqual([]);
  });
});

describe('a good clip', () => {
  it('is stored under a generated name, recorded, and queued for analysis', async () => {
    const res = await upload('Morning shift (1).mp4', clip);
    expect(res.statusCode, res.body).toBe(202);
    const body = res.json<{ clip: { id: string; filename: string; status: string; bytes: number; sha256: string }; queued: boolean }>();
    expect(body.queued).toBe(true);
    expect(body.clip).toMatchObject({ filename: 'Morning shift (1).mp4', status: 'accepted', bytes: clip.length });
    expect(filesUnderClips()).toEqual([`${body.clip.id}.mp4`]);
    expect(readFileSync(join(f.dataDir, 'clips', `${body.clip.id}.mp4`)).equals(clip)).toBe(true);
    // The hash is the uploaded file's own, not merely something shaped like a hash.
    expect(body.clip.sha256).toBe(createHash('sha256').update(clip).digest('hex'));
    expect(JSON.stringify(res.json())).not.toContain(f.dataDir);
    expect((await f.queue.counts(JobName.ClipAnalyse)).waiting).toBe(1);
    const got = await f.call(manager, { method: 'GET', url: `/api/clips/${body.clip.id}` });
    expect(got.json()).toMatchObject({ id: body.clip.id, status: 'accepted', progress: 0 });
  });

  it('needs a camera of the store', async () => {
    const body = multipart('x.mp4', clip);
    const res = await f.call(manager, { method: 'POST', url: `/api/stores/${f.stores.a1}/clips?cameraId=nope`, payload: body.payload, headers: body.headers });
    expect(res.statusCode).toBe(404);
  });
});
