// Clip analysis speed and model calls per camera-hour, on the generated demo clip and (when present) ../shared/media.
// Run: npx tsx bench/analyze.bench.ts [--fps 5]     (prints one table row per clip; results go in BENCHMARKS.md)
import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { analyzeClip } from '../services/analysis/index.ts';
import { createVlmAgent } from '../services/agent/index.ts';
import { configFromObject } from '../services/core/config.ts';
import { generateSampleClip, sampleSop, SAMPLE_ZONES } from '../services/demo/index.ts';
import { loadSopDir, loadSopText } from '../services/rules/sop-loader.ts';
import type { CompiledSop } from '../services/rules/compiled.ts';
import { startOpenAiDouble } from '../test/doubles/openai-server.ts';
import { optInLoopback } from '../test/doubles/outbound.ts';

// The model double listens on 127.0.0.1: opt in to loopback as an operator would for a local model.
optInLoopback();

const { values } = parseArgs({ options: { fps: { type: 'string', default: '5' } } });
const fps = Number(values.fps);
const media = resolve(import.meta.dirname, '../../shared/media');
const fixtures = resolve(import.meta.dirname, '../test/fixtures/sop');

function one(text: string, name: string): CompiledSop[] {
  const loaded = loadSopText(text, name);
  if (!loaded.ok) throw new Error(`${name}: ${loaded.errors.map((e) => e.message).join('; ')}`);
  return [loaded.sop];
}

const poly = (p: ReadonlyArray<readonly [number, number]>): string => `[${p.map(([x, y]) => `[${x}, ${y}]`).join(', ')}]`;
/** The demo SOP plus a verify rule, to count the model calls the detector lets through. */
const verifySop = `id: bench-verify\ntitle: Bench verify\nversion: 1\ncameras: [demo-1]\nzones:\n  demo-1:\n    sink: ${poly(SAMPLE_ZONES.sink)}\nrules:\n  - id: gloves\n    kind: forbidden\n    when: { person_in: sink }\n    for: 2s\n    verify: { question: "Gloves on both hands?", expect: yes }\n`;

const dir = await mkdtemp(join(tmpdir(), 'sopwatch-bench-'));
const demo = await generateSampleClip(join(dir, 'demo.mp4'));
const cases: Array<{ name: string; clip: string; sops: CompiledSop[]; verify?: boolean }> = [
  { name: 'generated demo (hand wash)', clip: demo.path, sops: one(sampleSop(), 'demo.yaml') },
  { name: 'generated demo + verify rule', clip: demo.path, sops: one(verifySop, 'verify.yaml'), verify: true },
];
if (existsSync(media)) {
  cases.push({ name: 'intel person (station visits)', clip: join(media, 'intel_one-by-one-person-detection.mp4'), sops: (await loadSopDir([join(fixtures, 'station-visit.yaml')])).sops });
  cases.push({ name: 'intel bottles (count)', clip: join(media, 'intel_bottle-detection.mp4'), sops: (await loadSopDir([join(fixtures, 'bottles.yaml')])).sops });
} else {
  console.log(`(${media} is absent: only the generated clip is measured)`);
}

const double = await startOpenAiDouble({ name: 'bench', script: [{ kind: 'answer', answer: 'yes', reason: 'frame 1: gloves on' }] });
console.log(`fps ${fps}; load average before: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
console.log('| clip | duration s | frames | wall s | x real time | detector ms/frame (sum over threads) | peak RSS MiB | violations | model calls | calls per camera-hour |');
console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
try {
  for (const c of cases) {
    let peak = process.memoryUsage().rss;
    const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 200);
    const agent = c.verify
      ? createVlmAgent(configFromObject({ vlm: { providers: [{ id: 'bench', baseUrl: double.url, model: 'm', timeoutMs: 10_000, maxImages: 3, structuredOutput: 'json_schema' }] } }).vlm)
      : undefined;
    const r = await analyzeClip({ clipPath: c.clip, sops: c.sops, fps, ...(agent ? { agent } : {}) });
    clearInterval(timer);
    const perHour = (r.stats.modelCalls / r.durationS) * 3600;
    console.log(
      `| ${c.name} | ${r.durationS.toFixed(1)} | ${r.frames} | ${(r.stats.wallMs / 1000).toFixed(1)} | ${r.stats.realtimeFactor} | ${(r.stats.detectMs / Math.max(1, r.frames)).toFixed(0)} | ${(peak / 2 ** 20).toFixed(0)} | ${r.violations.length} | ${r.stats.modelCalls} | ${perHour.toFixed(0)} |`,
    );
  }
} finally {
  await double.close();
}
console.log(`load average after: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
