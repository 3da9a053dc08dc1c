// Where the cold demo's time goes, stage by stage (no kept clip, no kept detector answers): module import, clip
// generation, the rules' detector load, the face finder's load (FACES_EARLY=1 loads it before the analysis; otherwise
// it loads when the first thumbnail or keyframe needs it), the analysis (detection, evidence beside it and after it).
// Wall and CPU seconds of this process with its worker threads (ffmpeg's CPU is not in it).
// Run: npx tsx bench/demo-stages.bench.ts
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const t0 = performance.now();
const c0 = process.cpuUsage();
const rows: Array<[string, number, number]> = [];
let lastT = t0;
let lastC = c0;
const mark = (name: string): void => {
  const now = performance.now();
  const cpu = process.cpuUsage();
  rows.push([name, (now - lastT) / 1000, (cpu.user - lastC.user + cpu.system - lastC.system) / 1e6]);
  lastT = now;
  lastC = cpu;
};

const { analyzeClip, modelNeedsFor } = await import('../services/analysis/index.ts');
const { createFaceFinder } = await import('../services/analysis/face-finder.ts');
const { generateSampleClip, sampleSop } = await import('../services/demo/index.ts');
const { createDetector } = await import('../services/detector/index.ts');
const { loadSopText } = await import('../services/rules/sop-loader.ts');
mark('import modules');

const dir = mkdtempSync(join(tmpdir(), 'sopwatch-demo-stages-'));
try {
  const clip = await generateSampleClip(join(dir, 'clip.mp4'));
  mark('generate clip (ffmpeg CPU not counted)');
  const loaded = loadSopText(sampleSop(), 'demo.yaml');
  if (!loaded.ok) throw new Error(loaded.errors.map((e) => e.message).join('; '));
  const detector = await createDetector({ needs: modelNeedsFor([loaded.sop]) });
  mark(`load the rules' detector (${detector.threads} threads)`);
  const faces = createFaceFinder();
  if (process.env.FACES_EARLY === '1') {
    await faces.warm();
    mark('load the face finder (look + check)');
  }
  const r = await analyzeClip({ clipPath: clip.path, sops: [loaded.sop], detector, faces, evidenceDir: join(dir, 'evidence') });
  const s = r.stats;
  mark(`analyse: ${s.detectorCalls} detector calls, evidence work ${((s.evidenceMs ?? 0) / 1000).toFixed(1)} s, after detection ${((s.evidenceAfterMs ?? 0) / 1000).toFixed(1)} s`);
  console.log(`violations: ${r.violations.map((v) => `${v.start}-${v.end} ${v.kind}`).join(', ')}; evidence errors: ${r.evidence.errors.length}`);
  await Promise.all([detector.close(), faces.close()]);
  mark('close');
} finally {
  rmSync(dir, { recursive: true, force: true });
}
const cpu = process.cpuUsage(c0);
console.log('| stage | wall s | CPU s |\n| --- | --- | --- |');
for (const [name, w, c] of rows) console.log(`| ${name} | ${w.toFixed(2)} | ${c.toFixed(2)} |`);
console.log(`| total | ${((performance.now() - t0) / 1000).toFixed(2)} | ${((cpu.user + cpu.system) / 1e6).toFixed(2)} |`);
