// The decoder on a machine without ffmpeg: resolution order (SOPWATCH_FFMPEG, the PATH, the npm-shipped binaries), and
// `sopwatch doctor` and `sopwatch analyze` run in a child whose PATH has no ffmpeg, so the npm binaries do the work.
import { execFile } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveDecoder } from '../../services/ingester/decoder.ts';
import { describeDecoder, parseDemuxers } from '../../services/ingester/decoder-report.ts';
import { H264, makeClip, tempDir } from '../fixtures/media.ts';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../..');
const CLI = join(ROOT, 'bin/sopwatch.mjs');
// The per-platform package's binary (node_modules/@ffmpeg-installer/linux-x64/ffmpeg here).
const NPM_FFMPEG = (createRequire(import.meta.url)('@ffmpeg-installer/ffmpeg') as { path: string }).path;
const NPM_FFPROBE = (createRequire(import.meta.url)('@ffprobe-installer/ffprobe') as { path: string }).path;
const { dir, remove } = tempDir('decoder');
afterAll(remove);
const EMPTY = join(dir, 'empty-bin');
mkdirSync(EMPTY);

/** The environment of a child on a bare machine: nothing on the PATH (node itself is started by its full path). */
function bareEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, PATH: EMPTY, SOPWATCH_DATA_DIR: join(dir, 'data') };
  delete env.SOPWATCH_FFMPEG;
  delete env.SOPWATCH_FFPROBE;
  return env;
}

describe('resolution order', () => {
  it('the system ffmpeg when it is on the PATH', () => {
    expect(resolveDecoder({ searchPath: `${EMPTY}:/usr/bin` })).toEqual({ ffmpeg: '/usr/bin/ffmpeg', ffprobe: '/usr/bin/ffprobe', ffmpegSource: 'system', ffprobeSource: 'system' });
  });

  it('the npm-shipped binaries when the PATH has none', () => {
    expect(resolveDecoder({ searchPath: EMPTY })).toEqual({ ffmpeg: NPM_FFMPEG, ffprobe: NPM_FFPROBE, ffmpegSource: 'npm', ffprobeSource: 'npm' });
  });

  it('SOPWATCH_FFMPEG / SOPWATCH_FFPROBE win over both', () => {
    expect(resolveDecoder({ searchPath: '/usr/bin', ffmpegPath: NPM_FFMPEG, ffprobePath: '/opt/none/ffprobe' })).toEqual({
      ffmpeg: NPM_FFMPEG, ffprobe: '/opt/none/ffprobe', ffmpegSource: 'env', ffprobeSource: 'env',
    });
  });

  it('a wrong explicit path is reported, not silently replaced', async () => {
    const report = await describeDecoder({ ffmpeg: '/opt/none/ffmpeg', ffprobe: '/opt/none/ffprobe', ffmpegSource: 'env', ffprobeSource: 'env' });
    expect(report.ok).toBe(false);
    expect(report.ffmpeg.error).toMatch(/ENOENT/);
    expect(report.formats.every((f) => !f.supported)).toBe(true);
  });

  it('reads demuxer lists with several names per line', () => {
    const names = parseDemuxers(' D  mov,mp4,m4a,3gp,3g2,mj2 QuickTime / MOV\n DE mpegts          MPEG-TS\n  E mp4             MP4 muxer only?\n');
    expect([...names]).toEqual(['mov', 'mp4', 'm4a', '3gp', '3g2', 'mj2', 'mpegts']);
  });
});

describe('with no ffmpeg on the PATH', () => {
  it('sopwatch doctor names the npm binaries, their versions and every accepted format', async () => {
    const { stdout } = await run(process.execPath, [CLI, 'doctor', '--json'], { cwd: ROOT, env: bareEnv(), timeout: 60_000 });
    const report = JSON.parse(stdout) as Awaited<ReturnType<typeof describeDecoder>>;
    expect(report.ffmpeg).toMatchObject({ path: NPM_FFMPEG, source: 'npm', version: expect.stringMatching(/^ffmpeg version /) as string });
    expect(report.ffprobe).toMatchObject({ path: NPM_FFPROBE, source: 'npm', version: expect.stringMatching(/^ffprobe version /) as string });
    expect(report.formats.filter((f) => !f.supported)).toEqual([]);
    expect(report.ok).toBe(true);
  });

  it('sopwatch analyze decodes an MPEG-TS clip with the npm binaries (ffprobe crashing on TS falls back to ffmpeg)', async () => {
    const clip = makeClip(dir, 'shift.ts', { seconds: 2, width: 160, height: 120, rate: 10, codec: H264, extra: ['-f', 'mpegts'] });
    const { stdout } = await run(process.execPath, [
      CLI, 'analyze', clip, '--sop', join(ROOT, 'test/fixtures/sop/station-visit.yaml'), '--fps', '2', '--json', '--quiet',
    ], { cwd: ROOT, env: bareEnv(), timeout: 300_000 });
    const result = JSON.parse(stdout) as { frames: number; durationS: number; complete?: boolean };
    expect(result.frames).toBe(4);
    expect(result.durationS).toBe(2);
  }, 320_000);
});
