// What the evidence of a clip costs beside its analysis: CPU seconds of this process (the detector's worker threads
// included) for the analysis alone, then for the analysis with keyframes and timeline written (faces scrubbed and
// checked). Clips: the ppe group photo held 3 s (one violation, four people; needs ../shared/media) and the generated
// demo kitchen (40 s). CPU time, not wall time, so that the figure holds on a busy machine.
// Run: npx tsx bench/evidence.bench.ts
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { analyzeClip, modelNeedsFor } from '../services/analysis/index.ts';
import { generateSampleClip, SAMPLE_CAMERA_ID, sampleSop } from '../services/demo/index.ts';
import { createDetector } from '../services/detector/index.ts';
import { loadSopText } from '../services/rules/sop-loader.ts';
import { floorSopYaml } from '../test/fixtures/floor-sop.ts';

const GROUP = join(import.meta.dirname, '..', '..', 'shared', 'media', 'aws_ppe-image-group.jpg');

const cpuS = (since: NodeJS.CpuUsage): number => {
  const u = process.cpuUsage(since);
  return (u.user + u.system) / 1e6;
};

async function measure(name: string, clipPath: string, yaml: string, cameraId: string): Promise<void> {
  const loaded = loadSopText(yaml, 'bench.yaml');
  if (!loaded.ok) throw new Error(loaded.errors.map((e) => e.message).join('; '));
  const sops = [loaded.sop];
  const detector = await createDetector({ needs: modelNeedsFor(sops), threads: 1 });
  const dir = mkdtempSync(join(tmpdir(), 'sopwatch-evidence-bench-'));
  try {
    // A first run warms the detector, so that neither measured run pays for loading it.
    await analyzeClip({ clipPath, sops, cameraId, fps: 2, detector });
    let at = process.cpuUsage();
    const plain = await analyzeClip({ clipPath, sops, cameraId, fps: 2, detector });
    const analysisS = cpuS(at);
    at = process.cpuUsage();
    const withEvidence = await analyzeClip({ clipPath, sops, cameraId, fps: 2, detector, evidenceDir: join(dir, 'evidence') });
    const bothS = cpuS(at);
    const keyframes = withEvidence.violations.reduce((n, v) => n + v.evidence.length, 0);
    console.log(`| ${name} | ${plain.violations.length} | ${keyframes} | ${analysisS.toFixed(1)} | ${bothS.toFixed(1)} | ${(bothS - analysisS).toFixed(1)} |`);
  } finally {
    await detector.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const work = mkdtempSync(join(tmpdir(), 'sopwatch-evidence-clips-'));
try {
  console.log('| clip | violations | keyframes | analysis CPU s | analysis + evidence CPU s | evidence CPU s |');
  console.log('| --- | --- | --- | --- | --- | --- |');
  if (existsSync(GROUP)) {
    const group = join(work, 'group.mp4');
    execFileSync('ffmpeg', ['-v', 'error', '-y', '-loop', '1', '-i', GROUP, '-t', '3', '-r', '5', '-vf', 'scale=640:-2', '-pix_fmt', 'yuv420p', group]);
    await measure('ppe group photo, 3 s', group, floorSopYaml('bench-1'), 'bench-1');
  } else {
    console.log(`| ppe group photo | skipped: ${GROUP} absent | | | | |`);
  }
  const demo = join(work, 'demo.mp4');
  await generateSampleClip(demo);
  await measure('demo kitchen, 40 s', demo, sampleSop(), SAMPLE_CAMERA_ID);
} finally {
  rmSync(work, { recursive: true, force: true });
}
