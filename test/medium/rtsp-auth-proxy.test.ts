// The camera password never reaches a command line: ffmpeg reads a password-protected RTSP camera (GStreamer's RTSP
// server with Digest auth, real ffmpeg) through the loopback auth proxy; frames arrive, and while they do, no
// /proc/*/cmdline (nor ffmpeg's environment) on this machine holds the password in any form.
import { readdir, readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RtspFrameSource } from '../../services/ingester/rtsp-frame-source.ts';
import { RtspServerProcess, rtspServerAvailable } from '../../services/simulate/rtsp-server.ts';
import { defaults, loopback } from '../doubles/outbound.ts';

const PASSWORD = 'Pr0xy:s3cret@cam/9';
const hasGst = rtspServerAvailable();
let server: RtspServerProcess | undefined;

beforeAll(async () => {
  if (hasGst) server = await RtspServerProcess.start({ mounts: [{ name: 'cam' }], fps: 5, username: 'admin', password: PASSWORD });
});

afterAll(async () => {
  await server?.stop();
});

/** Every process's command line (and ffmpeg's environment) that contains a form of the secret. */
async function leaks(secret: string, envOf: number[]): Promise<string[]> {
  const forms = [secret, encodeURIComponent(secret), Buffer.from(`admin:${secret}`).toString('base64')];
  const found: string[] = [];
  for (const pid of (await readdir('/proc')).filter((n) => /^\d+$/.test(n))) {
    const files = [`/proc/${pid}/cmdline`, ...(envOf.includes(Number(pid)) ? [`/proc/${pid}/environ`] : [])];
    for (const file of files) {
      const text = await readFile(file, 'latin1').catch(() => '');
      if (forms.some((f) => text.includes(f))) found.push(`${file}: ${text.replace(/\0/g, ' ').slice(0, 200)}`);
    }
  }
  return found;
}

/** The ffmpeg processes this process started, with their command lines. */
async function ffmpegChildren(): Promise<Array<{ pid: number; cmd: string }>> {
  const text = await readFile(`/proc/${process.pid}/task/${process.pid}/children`, 'utf8').catch(() => '');
  const out: Array<{ pid: number; cmd: string }> = [];
  for (const pid of text.split(/\s+/).filter((s) => s !== '').map(Number)) {
    const cmd = (await readFile(`/proc/${pid}/cmdline`, 'latin1').catch(() => '')).split('\0');
    if (cmd[0]?.endsWith('ffmpeg') === true) out.push({ pid, cmd: cmd.join(' ') });
  }
  return out;
}

describe.skipIf(!hasGst)('RTSP through the loopback auth proxy (needs /usr/bin/python3 with GStreamer RTSP server)', () => {
  it('streams frames from a Digest-protected camera while no command line holds the password', async () => {
    const url = server?.url('cam') ?? '';
    const source = new RtspFrameSource({ url, username: 'admin', password: PASSWORD, fps: 2, maxWidth: 320, policy: loopback.camera });
    const frames: Buffer[] = [];
    const session = source.open({ onFrame: (jpeg) => frames.push(jpeg) });
    const deadline = Date.now() + 30_000;
    while (frames.length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(frames.length).toBeGreaterThanOrEqual(3);
    expect(frames[0]?.subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]));
    // ffmpeg runs now, as a child of this process: its command line names only the proxy on 127.0.0.1.
    const ffmpeg = await ffmpegChildren();
    expect(ffmpeg).toHaveLength(1);
    expect(ffmpeg[0]?.cmd).toMatch(/-i rtsp:\/\/127\.0\.0\.1:\d+\/cam /);
    expect(ffmpeg[0]?.cmd).not.toContain(`:${server?.port ?? 0}/`);
    // The camera double itself holds the password (its own environment); every command line and ffmpeg's environment do not.
    expect(await leaks(PASSWORD, ffmpeg.map((c) => c.pid))).toEqual([]);
    await session.stop();
    expect(await session.ended).toEqual({ reason: 'stopped', stopped: true });
  });

  it('ends with an authentication reason, without the password, when the password is wrong', async () => {
    const source = new RtspFrameSource({ url: server?.url('cam') ?? '', username: 'admin', password: 'N0t-the-0ne!', fps: 2, policy: loopback.camera });
    const session = source.open({ onFrame: () => undefined });
    const end = await Promise.race([session.ended, new Promise<undefined>((r) => setTimeout(() => r(undefined), 20_000))]);
    await session.stop();
    expect(end?.reason).toMatch(/authentication failed: the camera refused the credentials/);
    expect(end?.reason).not.toContain('N0t-the-0ne!');
  });

  it('does not even start ffmpeg for a camera the policy refuses', async () => {
    const source = new RtspFrameSource({ url: server?.url('cam') ?? '', username: 'admin', password: PASSWORD, fps: 2, policy: defaults.camera });
    const session = source.open({ onFrame: () => undefined });
    const end = await session.ended;
    expect(end.stopped).toBe(false);
    expect(end.reason).toMatch(/127\.0\.0\.1 is a loopback address/);
    expect(await ffmpegChildren()).toEqual([]);
  });
});
