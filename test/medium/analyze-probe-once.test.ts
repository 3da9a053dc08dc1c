// Clip analysis asks ffprobe about a clip once for its streams and once for its packets' times (damage), never a
// second time for the decoder: the decoder takes the analysis's probe (ClipReadOptions.info), a clip still arriving
// too. Counted with a SOPWATCH_FFPROBE that logs each run and then runs the real ffprobe; set before this file's first
// decoder use.
import { appendFileSync, chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { analyzeClip } from '../../services/analysis/index.ts';
import { generateSampleClip, sampleSop } from '../../services/demo/index.ts';
import { createDetector } from '../../services/detector/index.ts';
import { endArrival, writeArrival } from '../../services/ingester/index.ts';
import { loadSopText } from '../../services/rules/sop-loader.ts';

const dir = mkdtempSync(join(tmpdir(), 'sopwatch-probe-once-'));
const log = join(dir, 'ffprobe.log');
const realFfprobe = execFileSync('sh', ['-c', 'command -v ffprobe'], { encoding: 'utf8' }).trim();
const wrapper = join(dir, 'ffprobe');
writeFileSync(wrapper, `#!/bin/sh\necho "$*" >> '${log}'\nexec '${realFfprobe}' "$@"\n`);
chmodSync(wrapper, 0o755);
process.env.SOPWATCH_FFPROBE = wrapper;
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const runs = (): string[] => readFileSync(log, 'utf8').trim().split('\n').filter((l) => l !== '');
/** ffprobe's runs since the log was emptied: for a clip's streams, and for its packets' times. */
const probes = (): { streams: number; packets: number } => {
  const all = runs();
  const packets = all.filter((a) => a.includes('-show_entries packet=')).length;
  return { streams: all.length - packets, packets };
};

describe('clip analysis and ffprobe', () => {
  it('probes the clip once and scans its packets once; the decoder does not probe again', async () => {
    const clip = await generateSampleClip(join(dir, 'sample.mp4'));
    const loaded = loadSopText(sampleSop(), 'sample.yaml');
    if (!loaded.ok) throw new Error('the sample SOP does not load');
    const detector = await createDetector({ needs: { persons: true, pose: false, hands: false, objects: false, faces: false }, threads: 1 });
    writeFileSync(log, '');
    try {
      const result = await analyzeClip({ clipPath: clip.path, sops: [loaded.sop], detector, fps: 1 });
      expect(result.complete).toBe(true);
      expect(result.frames).toBe(40);
      // No evidence and no model to ask: no frame is kept (nor encoded) for keyframes.
      expect(result.stats.framesKept).toBe(0);
      expect(result.stats.motionFromDecoder).toBe(40);
    } finally {
      await detector.close();
    }
    expect(probes()).toEqual({ streams: 1, packets: 1 });
  }, 120_000);

  it('a clip still arriving: probed once at the start and once whole, its packets scanned once whole', async () => {
    const mp4 = join(dir, 'arriving.mp4');
    await generateSampleClip(mp4);
    const ts = join(dir, 'arriving.ts');
    execFileSync('ffmpeg', ['-v', 'error', '-i', mp4, '-t', '12', '-c', 'copy', '-f', 'mpegts', '-y', join(dir, 'whole.ts')]);
    const whole = readFileSync(join(dir, 'whole.ts'));
    const cut = Math.floor(whole.length * 0.6);
    writeFileSync(ts, whole.subarray(0, cut));
    await writeArrival(ts, { state: 'arriving', uploadId: 'u1', totalBytes: whole.length, expiresAt: new Date(Date.now() + 3_600_000).toISOString() });
    const loaded = loadSopText(sampleSop(), 'sample.yaml');
    if (!loaded.ok) throw new Error('the sample SOP does not load');
    const detector = await createDetector({ needs: { persons: true, pose: false, hands: false, objects: false, faces: false }, threads: 1 });
    writeFileSync(log, '');
    try {
      const analysis = analyzeClip({ clipPath: ts, sops: [loaded.sop], detector, fps: 1 });
      // The rest arrives once the analysis has probed what came first.
      while (!readFileSync(log, 'utf8').includes('-show_streams')) await new Promise((r) => setTimeout(r, 20));
      appendFileSync(ts, whole.subarray(cut));
      await endArrival(ts);
      const result = await analysis;
      expect(result.complete).toBe(true);
      expect(result.frames).toBe(12);
    } finally {
      await detector.close();
    }
    expect(probes()).toEqual({ streams: 2, packets: 1 });
  }, 120_000);
});
