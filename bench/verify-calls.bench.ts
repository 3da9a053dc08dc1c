// Model calls per camera-hour of the verify SOP (a gated scene question) on the generated demo and real clips.
// Run: npx tsx bench/verify-calls.bench.ts [--fps 2]   (one table row per clip; results go in BENCHMARKS.md)
//      npx tsx bench/verify-calls.bench.ts --long 30   (only long footage: the intel person clip looped to >= 30 min
//      with ffmpeg into a temp file, nothing committed)
//      npx tsx bench/verify-calls.bench.ts --only "intel person,store aisle"   (only the rows whose name contains one of
//      these, case-insensitive; the other clips are not made or analysed)
//      npx tsx bench/verify-calls.bench.ts --quiet-hour 4 --fps 1   (only a quiet store's hour: the demo kitchen empty but
//      for 4 visits of the demo's 40 s walk (two sink stays each), evenly spread, generated into a temp file)
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { analyzeClip } from '../services/analysis/index.ts';
import { createVlmAgent } from '../services/agent/index.ts';
import { configFromObject } from '../services/core/config.ts';
import { composeFrame, generateSampleClip, sampleMaterial, SAMPLE_DURATION_MS, SAMPLE_ZONES } from '../services/demo/index.ts';
import { decoder } from '../services/ingester/index.ts';
import { loadSopText } from '../services/rules/sop-loader.ts';
import type { CompiledSop } from '../services/rules/compiled.ts';
import { startOpenAiDouble } from '../test/doubles/openai-server.ts';
import { optInLoopback } from '../test/doubles/outbound.ts';

// The model double listens on 127.0.0.1: opt in to loopback as an operator would for a local model.
optInLoopback();

const { values } = parseArgs({ options: { fps: { type: 'string', default: '2' }, long: { type: 'string' }, only: { type: 'string' }, 'quiet-hour': { type: 'string' } } });
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

/**
 * One hour of the demo kitchen at `fps` (640x360): empty, but for `visits` runs of the demo clip's 40 s (walk in, wash,
 * prep table, wash again, walk out) starting at evenly spread times. Every frame gets ±2 levels of sensor noise (seeded),
 * so that no two visits are the same pixels (a real camera never repeats itself; identical crops would be answered
 * from the answer cache). Encoded by ffmpeg into `out`.
 */
async function quietHour(out: string, visits: number, atFps: number): Promise<void> {
  const width = 640;
  const height = 360;
  const hourMs = 3_600_000;
  const starts = Array.from({ length: visits }, (_, i) => Math.round(((i + 0.5) * hourMs) / visits));
  const { background, photo } = await sampleMaterial(width, height);
  const empty = composeFrame(background, photo, 0, width, height);
  const child = spawn(decoder().ffmpeg, [
    '-hide_banner', '-loglevel', 'error', '-nostdin', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-s', `${width}x${height}`, '-r', String(atFps), '-i', '-',
    '-c:v', 'libx264', '-preset', 'veryfast', '-crf', '20', '-pix_fmt', 'yuv420p', '-g', String(Math.max(1, atFps * 10)), '-threads', '1', '-y', out,
  ], { stdio: ['pipe', 'ignore', 'inherit'] });
  const exited = once(child, 'close');
  const frames = Math.round((hourMs * atFps) / 1000);
  // One long strip of noise; each frame takes its own window of it (cheap enough for an hour of frames).
  const shifts = 10_007;
  const noise = new Int8Array(width * height * 3 + shifts);
  let seed = 7;
  for (let j = 0; j < noise.length; j++) {
    seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
    noise[j] = Math.floor((seed / 2_147_483_648) * 5) - 2;
  }
  for (let i = 0; i < frames; i++) {
    const tMs = Math.round((i * 1000) / atFps);
    const start = starts.find((s) => tMs >= s && tMs < s + SAMPLE_DURATION_MS);
    const frame = Buffer.from(start === undefined ? empty : composeFrame(background, photo, tMs - start, width, height));
    const pixels = new Uint8ClampedArray(frame.buffer, frame.byteOffset, frame.length);
    const off = (i * 7_919) % shifts;
    for (let j = 0; j < pixels.length; j++) pixels[j] = (pixels[j] ?? 0) + (noise[off + j] ?? 0);
    if (!child.stdin.write(frame)) await once(child.stdin, 'drain');
  }
  child.stdin.end();
  const [code] = (await exited) as [number | null];
  if (code !== 0) throw new Error(`ffmpeg exited ${code} making the quiet hour`);
}

const dir = await mkdtemp(join(tmpdir(), 'sopwatch-bench-'));
const cases: Array<{ name: string; clip: string; sops: CompiledSop[] }> = [];
if (values['quiet-hour'] !== undefined) {
  const visits = Number(values['quiet-hour']);
  if (!(Number.isInteger(visits) && visits >= 0 && visits <= 60)) throw new Error('--quiet-hour needs a number of visits, 0-60');
  const clip = join(dir, 'quiet-hour.mp4');
  const madeAt = Date.now();
  await quietHour(clip, visits, fps);
  console.log(`quiet hour: ${visits} visits, made in ${((Date.now() - madeAt) / 1000).toFixed(0)} s`);
  cases.push({ name: `quiet hour (demo kitchen, ${visits} visits)`, clip, sops: verifySop('demo-1', SAMPLE_ZONES.sink) });
} else if (values.long !== undefined) {
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
const clipsToo = values.long === undefined && values['quiet-hour'] === undefined;
if (clipsToo && existsSync(media)) {
  if (wanted('four workers (ppe group photo, 4 s)')) {
    // Four workers standing still: the photo held for 4 s as a clip (aws-samples/amazon-rekognition-ppe, MIT-0).
    const group = join(dir, 'ppe-group.mp4');
    execFileSync('ffmpeg', ['-v', 'error', '-loop', '1', '-i', join(media, 'aws_ppe-image-group.jpg'), '-t', '4', '-r', '10', '-vf', 'scale=640:-2', '-pix_fmt', 'yuv420p', group]);
    cases.push({ name: 'four workers (ppe group photo, 4 s)', clip: group, sops: verifySop('cam-1', WHOLE) });
  }
  cases.push({ name: 'intel person (six visits, 139 s)', clip: join(media, 'intel_one-by-one-person-detection.mp4'), sops: verifySop('cam-1', WHOLE) });
  cases.push({ name: 'intel store aisle (shoppers, 4.5 s)', clip: join(media, 'intel_store-aisle-detection.gif'), sops: verifySop('cam-1', WHOLE) });
} else if (clipsToo) {
  console.log(`(${media} is absent: only the generated clip is measured)`);
}
const measured = cases.filter((c) => !clipsToo || wanted(c.name));
if (measured.length === 0) throw new Error(`--only ${values.only ?? ''} matches no row`);

const double = await startOpenAiDouble({ name: 'bench', script: [{ kind: 'answer', answer: 'yes', reason: 'frame 1: gloves on' }] });
console.log(`fps ${fps}; load average before: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
console.log('| clip | duration s | verify episodes (violations + reviews + passes) | answered from the cache | reused (unchanged scene) | model calls | HTTP requests | calls per camera-hour | detector calls | wall s |');
console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
try {
  for (const c of measured) {
    const before = double.log.length;
    const agent = createVlmAgent(configFromObject({ vlm: { providers: [{ id: 'bench', baseUrl: double.url, model: 'm', timeoutMs: 10_000, maxImages: 3, structuredOutput: 'json_schema' }] } }).vlm);
    const r = await analyzeClip({ clipPath: c.clip, sops: c.sops, fps, agent });
    const perHour = (r.stats.modelCalls / r.durationS) * 3600;
    const s = agent.stats();
    const wallS = (r.stats.wallMs / 1000).toFixed(0);
    console.log(`| ${c.name} | ${r.durationS.toFixed(1)} | ${s.verifies} | ${s.cacheHits} | ${s.reused} | ${r.stats.modelCalls} | ${double.log.length - before} | ${perHour.toFixed(1)} | ${r.stats.detectorCalls ?? '?'} | ${wallS} |`);
  }
} finally {
  await double.close();
}
const cpu = process.cpuUsage();
// Worker threads (the detector) count in this process's CPU time; ffmpeg children do not.
console.log(`load average after: ${loadavg().map((l) => l.toFixed(2)).join(' ')}; CPU of this process ${((cpu.user + cpu.system) / 1e6).toFixed(0)} s`);
