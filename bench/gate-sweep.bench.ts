// Runs clip analysis on the public clips and the generated demo clip with one gate setting and prints, per clip,
// detector calls, CPU seconds and the violations, so that gate settings can be compared on accuracy and cost.
// npx tsx bench/gate-sweep.bench.ts [--busy 400] [--watch 400] [--fps 5] [--clips person,bottles,demo] [--off]
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { analyzeClip } from '../services/analysis/index.ts';
import { generateSampleClip, sampleSop } from '../services/demo/index.ts';
import { loadSopDir, loadSopText } from '../services/rules/sop-loader.ts';
import type { CompiledSop } from '../services/rules/compiled.ts';

const { values } = parseArgs({
  options: {
    busy: { type: 'string' }, watch: { type: 'string' }, fps: { type: 'string', default: '5' },
    clips: { type: 'string', default: 'person,bottles,demo' }, off: { type: 'boolean', default: false },
  },
});
const root = resolve(import.meta.dirname, '..');
const media = resolve(root, '../shared/media');
const fixtures = join(root, 'test/fixtures/sop');

async function sopsOf(file: string): Promise<CompiledSop[]> {
  const { sops, errors } = await loadSopDir([join(fixtures, file)]);
  if (errors.length > 0) throw new Error(JSON.stringify(errors));
  return sops;
}

const clips: Record<string, () => Promise<{ path: string; sops: CompiledSop[] }>> = {
  person: async () => ({ path: join(media, 'intel_one-by-one-person-detection.mp4'), sops: await sopsOf('station-visit.yaml') }),
  bottles: async () => ({ path: join(media, 'intel_bottle-detection.mp4'), sops: await sopsOf('bottles.yaml') }),
  demo: async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sopwatch-sweep-'));
    const clip = await generateSampleClip(join(dir, 'sample.mp4'));
    const loaded = loadSopText(sampleSop(), 'sample.yaml');
    if (!loaded.ok) throw new Error('sample SOP');
    return { path: clip.path, sops: [loaded.sop] };
  },
};

const gate = {
  enabled: !values.off,
  ...(values.busy === undefined ? {} : { busyMs: Number(values.busy) }),
  ...(values.watch === undefined ? {} : { watchMs: Number(values.watch) }),
};
for (const name of (values.clips ?? '').split(',')) {
  const make = clips[name];
  if (!make) throw new Error(`unknown clip ${name}`);
  const { path, sops } = await make();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const r = await analyzeClip({ clipPath: path, sops, fps: Number(values.fps), gate });
  const cpu = process.cpuUsage(cpu0);
  const spans = r.violations.map((v) => `${v.kind} ${v.start.toFixed(1)}-${v.end.toFixed(1)}`).join('; ');
  const s = r.stats;
  console.log(`${name}\tcalls ${s.detectorCalls} ${JSON.stringify(s.detectorReasons)}\tmotion ${s.motionFrames}/${s.framesDecoded}\tdetMs ${s.detectMs}\tcpu ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s\twall ${((performance.now() - t0) / 1000).toFixed(1)} s\t${spans}`);
}
