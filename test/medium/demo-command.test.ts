// `sopwatch demo` twice in a fresh data folder, as a user runs it: the first run makes the clip and runs the detectors,
// the second reuses the kept clip and answers and loads no model, and both write the same evidence, byte for byte,
// with no face left for the face detector to find. Real ffmpeg, real models, the real command.
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { createDetector } from '../../services/detector/index.ts';

const run = promisify(execFile);
const root = join(import.meta.dirname, '..', '..');
const data = mkdtempSync(join(tmpdir(), 'sopwatch-demo-command-'));
afterAll(() => rmSync(data, { recursive: true, force: true }));

async function demo(): Promise<{ stdout: string; stderr: string; evidence: Map<string, Buffer> }> {
  const { stdout, stderr } = await run(process.execPath, [join(root, 'bin', 'sopwatch.mjs'), 'demo'], {
    cwd: root,
    env: { ...process.env, SOPWATCH_DATA_DIR: data },
    maxBuffer: 16 * 1024 * 1024,
  });
  const dir = join(data, 'demo', 'evidence');
  return { stdout, stderr, evidence: new Map(readdirSync(dir).map((f) => [f, readFileSync(join(dir, f))])) };
}

/** "detector 52 of 52" -> [52, 52] */
function reused(stdout: string, what: string): [number, number] {
  const m = new RegExp(`${what} (\\d+) of (\\d+)`).exec(stdout);
  if (m === null) throw new Error(`no "${what} N of M" in:\n${stdout}`);
  return [Number(m[1]), Number(m[2])];
}

describe('sopwatch demo, run twice', () => {
  it('reuses the clip and every answer the second time, and writes the same evidence with no face in it', async () => {
    const first = await demo();
    expect(first.stderr).toContain('demo: generated the sample clip');
    expect(first.stdout).toMatch(/1 violation:\n\s+0:\d\d\.\d–0:\d\d\.\d\s+\[high\] demo-kitchen\/hand-wash\s+too_short/);
    const [firstHits, firstAsked] = reused(first.stdout, 'detector');
    expect(firstAsked).toBeGreaterThan(10);
    expect(firstHits).toBeLessThan(firstAsked / 2);

    const second = await demo();
    expect(second.stderr).toContain('demo: reusing the sample clip');
    expect(second.stdout).toContain('on cache (');
    const [hits, asked] = reused(second.stdout, 'detector');
    expect([hits, asked]).toEqual([firstAsked, firstAsked]);
    // The person at the sink was checked by the pose model on the shared pool, and the rerun (the cache's answers) checks
    // the same frames with the same outcome.
    const checks = (out: string): string | undefined => /persons checked by the pose model in (\d+), still there in (\d+)/.exec(out)?.slice(1).join('/');
    expect(Number(checks(first.stdout)?.split('/')[1] ?? 0)).toBeGreaterThan(3);
    expect(checks(second.stdout)).toBe(checks(first.stdout));
    const [faceHits, faceAsked] = reused(second.stdout, 'face finder');
    expect(faceAsked).toBeGreaterThan(0);
    expect(faceHits).toBe(faceAsked);
    // The violation and its evidence are those of the first run.
    const line = (s: string): string | undefined => s.split('\n').find((l) => l.includes('too_short'));
    expect(line(second.stdout)).toBe(line(first.stdout));
    expect([...second.evidence.keys()].sort()).toEqual([...first.evidence.keys()].sort());
    expect(second.evidence.size).toBe(4);
    for (const [name, bytes] of first.evidence) expect(second.evidence.get(name)?.equals(bytes), name).toBe(true);

    const faces = await createDetector({ needs: { faces: true, persons: false, pose: false, hands: false, objects: false }, threads: 1 });
    try {
      for (const [name, bytes] of second.evidence) {
        const { data: rgb, info } = await sharp(bytes).removeAlpha().raw().toBuffer({ resolveWithObject: true });
        const found = await faces.detect({ cameraId: 'evidence', index: 0, tMs: 0, width: info.width, height: info.height, rgb });
        expect(found.items.filter((i) => i.kind === 'face'), name).toEqual([]);
      }
    } finally {
      await faces.close();
    }
  }, 600_000);
});
