// Model calls per camera-hour of the verify SOP (a gated scene question) on the generated demo and real clips.
// Run: npx tsx bench/verify-calls.bench.ts [--fps 2]   (one table row per clip; results go in BENCHMARKS.md)
//      npx tsx bench/verify-calls.bench.ts --long 30   (only long footage: the intel person clip looped to >= 30 min
//      with ffmpeg into a temp file, nothing committed)
//      npx tsx bench/verify-calls.bench.ts --only "intel person,store aisle"   (only the rows whose name contains one of
//      these, case-insensitive; the other clips are not made or analysed)
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { analyzeClip } from '../services/analysis/index.ts';
import { createVlmAgent } from '../services/agent/index.ts';
import { configFromObject } from '../services/core/config.ts';
import { generateSampleClip, SAMPLE_ZONES } from '../services/demo/index.ts';
import { loadSopText } from '../services/rules/sop-loader.ts';
import type { CompiledSop } from '../services/rules/compiled.ts';
import { startOpenAiDouble } from '../test/doubles/openai-server.ts';
import { optInLoopback } from '../test/doubles/outbound.ts';

// The model double listens on 127.0.0.1: opt in to loopback as an operator would for a local model.
optInLoopback();

const { values } = parseArgs({ options: { fps: { type: 'string', default: '2' }, long: { type: 'string' }, only: { type: 'string' } } });
const fps = Number(values.fps);
const media = resolve(import.meta.dirname, '../../shared/media');
const only = (values.only ?? '').split(',').map((w) => w.trim().toLowerCase()).filter((w) => w !== '');
/** A row is measured when no --only is given, or its name contains one of the words. */
const wanted = (name: string): boolean => only.length === 0 || only.some((w) => name.toLowerCase().includes(w));

const poly = (p: ReadonlyArray<readonly [number, number]>): string => `[${p.map(([x, y]) => `[${x}, ${y}]`).join(', ')}]`;
const WHOLE: ReadonlyArray<readonly [number, number]> = [[0, 0], [1, 0], [1, 1], [0, 1]];
/** The bench's verify SOP: someone in the zone for 2 s, then one scene question to the model. */
function verifySop(camera: string, zone: ReadonlyArray<readonly [number, number]>): CompiledSop[] {
  const text = `id: bench-verify\ntitle: Bench verify\nversion: 1\ncameras: [${camera}]\nzones:\n  ${camera}:\n    area: ${poly(zone)}\nrules:\n  - id: gloves\n    kind: forbidden\n    when: { person_in: area }\n    for: 2s\n    verify: { question: "Is every person in view wearing gloves on both hands?", expect: yes }\n`;
  const loaded = loadSopText(text, 'verify.yaml');
  if (!loaded.ok) throw new Error(loaded.errors.map((e) => e.message).join('; '));
  return [loaded.sop];
}

const dir = await mkdtemp(join(tmpdir(), 'sopwatch-bench-'));
const cases: Array<{ name: string; clip: string; sops: CompiledSop[] }> = [];
if (values.long !== undefined) {
  // Long footage without committing media: the 139.4 s person clip looped (stream copy) to at least --long minutes.
  const minutes = Number(values.long);
  const source = join(media, 'intel_one-by-one-person-detection.mp4');
  if (!existsSync(source) || !(minutes > 0)) throw new Error(`--long needs a positive number of minutes and ${source}`);
  const loops = Math.ceil((minutes * 60) / 139.4);
  const long = join(dir, 'intel-person-long.mp4');
  execFileSync('ffmpeg', ['-v', 'error', '-stream_loop', String(loops - 1), '-i', source, '-c', 'copy', long]);
  cases.push({ name: `intel person looped ${loops}x`, clip: long, sops: verifySop('cam-1', WHOLE) });
} else if (wanted('generated demo (one person, two sink visits)')) {
  const demo = await generateSampleClip(join(dir, 'demo.mp4'));
  cases.push({ name: 'generated demo (one person, two sink visits)', clip: demo.path, sops: verifySop('demo-1', SAMPLE_ZONES.sink) });
}
if (values.long === undefined && existsSync(media)) {
  if (wanted('four workers (ppe group photo, 4 s)')) {
    // Four workers standing still: the photo held for 4 s as a clip (aws-samples/amazon-rekognition-ppe, MIT-0).
    const group = join(dir, 'ppe-group.mp4');
    execFileSync('ffmpeg', ['-v', 'error', '-loop', '1', '-i', join(media, 'aws_ppe-image-group.jpg'), '-t', '4', '-r', '10', '-vf', 'scale=640:-2', '-pix_fmt', 'yuv420p', group]);
    cases.push({ name: 'four workers (ppe group photo, 4 s)', clip: group, sops: verifySop('cam-1', WHOLE) });
  }
  cases.push({ name: 'intel person (six visits, 139 s)', clip: join(media, 'intel_one-by-one-person-detection.mp4'), sops: verifySop('cam-1', WHOLE) });
  cases.push({ name: 'intel store aisle (shoppers, 4.5 s)', clip: join(media, 'intel_store-aisle-detection.gif'), sops: verifySop('cam-1', WHOLE) });
} else if (values.long === undefined) {
  console.log(`(${media} is absent: only the generated clip is measured)`);
}
const measured = cases.filter((c) => values.long !== undefined || wanted(c.name));
if (measured.length === 0) throw new Error(`--only ${values.only ?? ''} matches no row`);

const double = await startOpenAiDouble({ name: 'bench', script: [{ kind: 'answer', answer: 'yes', reason: 'frame 1: gloves on' }] });
console.log(`fps ${fps}; load average before: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
console.log('| clip | duration s | verify episodes (violations + reviews + passes) | model calls | HTTP requests | calls per camera-hour | detector calls | wall s |');
console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
try {
  for (const c of measured) {
    const before = double.log.length;
    const agent = createVlmAgent(configFromObject({ vlm: { providers: [{ id: 'bench', baseUrl: double.url, model: 'm', timeoutMs: 10_000, maxImages: 3, structuredOutput: 'json_schema' }] } }).vlm);
    const r = await analyzeClip({ clipPath: c.clip, sops: c.sops, fps, agent });
    const perHour = (r.stats.modelCalls / r.durationS) * 3600;
    const s = agent.stats();
    const wallS = (r.stats.wallMs / 1000).toFixed(0);
    console.log(`| ${c.name} | ${r.durationS.toFixed(1)} | ${s.verifies} | ${r.stats.modelCalls} | ${double.log.length - before} | ${perHour.toFixed(1)} | ${r.stats.detectorCalls ?? '?'} | ${wallS} |`);
  }
} finally {
  await double.close();
}
console.log(`load average after: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
