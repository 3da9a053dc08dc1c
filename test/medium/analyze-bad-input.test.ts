// `sopwatch analyze` on bad input: each case ends with a clear message and a non-zero exit, and writes nothing.
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, statSync, writeFileSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { H264, makeClip, tempDir } from '../fixtures/media.ts';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../..');
const SOP = join(ROOT, 'test/fixtures/sop/station-visit.yaml');

async function analyze(clip: string, evidence: string): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run('node', [join(ROOT, 'bin/sopwatch.mjs'), 'analyze', clip, '--sop', SOP, '--evidence', evidence, '--quiet'], {
      cwd: ROOT,
      timeout: 60_000,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('sopwatch analyze refuses bad clips clearly', () => {
  const tmp = tempDir('bad-input');
  afterAll(() => tmp.remove());

  it('a concat playlist renamed .mp4: refused, and the file it names is never opened', async () => {
    // The playlist points at a fifo: if ffmpeg opened it, it would block and the command would time out.
    const fifo = join(tmp.dir, 'secret.fifo');
    execFileSync('mkfifo', [fifo]);
    const clip = join(tmp.dir, 'playlist.mp4');
    writeFileSync(clip, `ffconcat version 1.0\nfile '${fifo}'\n`);
    const evidence = join(tmp.dir, 'ev-playlist');
    const r = await analyze(clip, evidence);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('playlist.mp4');
    expect(r.stderr.toLowerCase()).toMatch(/not a video|unsupported|not a supported|refused|container/);
    expect(existsSync(evidence)).toBe(false);
  });

  it('a zero-byte file', async () => {
    const clip = join(tmp.dir, 'empty.mp4');
    writeFileSync(clip, '');
    const evidence = join(tmp.dir, 'ev-empty');
    const r = await analyze(clip, evidence);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/empty/i);
    expect(existsSync(evidence)).toBe(false);
  });

  it('a text file named .mp4', async () => {
    const clip = join(tmp.dir, 'notes.mp4');
    writeFileSync(clip, 'shift notes: the milk fridge was at 6 degrees\n'.repeat(20));
    const evidence = join(tmp.dir, 'ev-text');
    const r = await analyze(clip, evidence);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('notes.mp4');
    expect(existsSync(evidence)).toBe(false);
  });

  it('a truncated mp4 (index at the end, cut off)', async () => {
    const full = makeClip(tmp.dir, 'full.mp4', { seconds: 3, width: 160, height: 120, codec: H264 });
    const bytes = readFileSync(full);
    const clip = join(tmp.dir, 'truncated.mp4');
    writeFileSync(clip, bytes.subarray(0, Math.floor(bytes.length / 2)));
    expect(statSync(clip).size).toBeLessThan(bytes.length);
    const evidence = join(tmp.dir, 'ev-truncated');
    const r = await analyze(clip, evidence);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('truncated.mp4');
    expect(r.stderr.toLowerCase()).toMatch(/moov|truncated|corrupt|incomplete|cut/);
    expect(existsSync(evidence)).toBe(false);
  });
});
