// `sopwatch demo`: generates a sample clip from photos that npm installs, analyses it, and shows the violation.
import { parseArgs } from 'node:util';
import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { generateSampleClip, sampleSop } from '../demo/sample-clip.ts';
import { analyzeClip, formatReport } from '../analysis/index.ts';
import { loadSopDir } from '../rules/sop-loader.ts';
import { createProgressBar } from './progress.ts';
import { env } from '../core/env.ts';
import { UsageError } from '../core/errors.ts';

const HELP = `Usage: sopwatch demo [--out DIR] [--json]
       sopwatch demo --live [--seconds 45]

Makes a 40-second sample clip (a real photo of a person moving through a drawn kitchen: to the sink for
too short a hand wash, then for long enough), analyses it against a hand-washing SOP, and prints the
violation with its evidence (keyframes with faces blurred, a timeline strip). Nothing is downloaded.
--live: the live path instead: one simulated snapshot camera on 127.0.0.1 loops the same kitchen, the live
pipeline watches it with the same SOP for --seconds, and each violation is printed as it arrives.`;

export async function run(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      out: { type: 'string' }, json: { type: 'boolean', default: false }, live: { type: 'boolean', default: false },
      seconds: { type: 'string', default: '45' }, help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  if (values.live) {
    const seconds = Number(values.seconds);
    if (!Number.isFinite(seconds) || seconds < 5 || seconds > 3600) throw new UsageError(`--seconds must be 5..3600, got ${values.seconds}`);
    const { runLiveDemo } = await import('./demo-live.ts');
    const live = await runLiveDemo({ durationMs: seconds * 1000, out: process.stdout, err: process.stderr });
    if (live.violations === 0) {
      process.stderr.write('demo --live: expected a violation and found none: the camera, the detector or the rules are not working\n');
      return 1;
    }
    return 0;
  }
  const dir = resolve(values.out ?? join(env().dataDir, 'demo'));
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });

  process.stderr.write(`demo: generating the sample clip in ${dir}\n`);
  const clip = await generateSampleClip(join(dir, 'sample-kitchen.mp4'));
  const sopPath = join(dir, 'hand-wash-demo.yaml');
  await writeFile(sopPath, sampleSop());
  const loaded = await loadSopDir([sopPath]);
  if (loaded.errors.length > 0 || loaded.sops.length === 0) {
    for (const e of loaded.errors) process.stderr.write(`${e.file}:${e.line}:${e.column}: ${e.message}\n`);
    return 1;
  }

  const bar = createProgressBar('analyze', process.stderr);
  const result = await analyzeClip({
    clipPath: clip.path,
    sops: loaded.sops,
    evidenceDir: join(dir, 'evidence'),
    onProgress: (p) => bar.update(p.fraction, p.phase === 'detect' ? `${p.frames} frames` : p.phase, p.phase),
  });
  bar.done(`${result.frames} frames`);
  process.stdout.write(values.json ? `${JSON.stringify(result, null, 2)}\n` : `${formatReport(result)}\n`);

  const shared = resolve('..', 'shared', 'media', 'intel_one-by-one-person-detection.mp4');
  if (!values.json && existsSync(shared)) {
    process.stdout.write(
      `\nOn real footage: node bin/sopwatch.mjs analyze ${shared} --sop test/fixtures/sop/station-visit.yaml --evidence ${join(dir, 'real')}\n`,
    );
  }
  if (result.violations.length === 0) {
    process.stderr.write('demo: expected a violation in the sample clip and found none: the detector or the rules are not working\n');
    return 1;
  }
  return 0;
}
