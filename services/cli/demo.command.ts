// `sopwatch demo`: generates a sample clip from photos that npm installs, analyses it, and shows the violation.
import { parseArgs } from 'node:util';
import { existsSync } from 'node:fs';
import { copyFile, link, mkdir, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
// Only what comes before the detector threads start is imported here: the clip maker, the analysis and sharp load
// while the threads load their models (they start about 50 ms sooner).
import { sampleSop } from '../demo/sample-sop.ts';
import { modelNeedsFor } from '../analysis/detector-needs.ts';
import { FACE_FINDER_NEEDS } from '../analysis/face-needs.ts';
import { createDetector, DetectionCache, unionNeeds, type DetectionCacheStats } from '../detector/index.ts';
import { loadSopDir } from '../rules/sop-loader.ts';
import { env } from '../core/env.ts';
import { UsageError } from '../core/errors.ts';

const HELP = `Usage: sopwatch demo [--out DIR] [--json] [--fresh]
       sopwatch demo --live [--seconds 45]

Makes a 40-second sample clip (a real photo of a person moving through a drawn kitchen: to the sink for
too short a hand wash, then for long enough), analyses it against a hand-washing SOP, and prints the
violation with its evidence (keyframes with faces blurred, a timeline strip). Nothing is downloaded.
The clip and the detectors' answers on its exact pixels are kept under <data>/cache/demo and reused by the next
run (the rules, the evidence and the face blur still run); --fresh makes the clip again and detects everything.
--live: the live path instead: one simulated snapshot camera on 127.0.0.1 loops the same kitchen, the live
pipeline watches it with the same SOP for --seconds, and each violation is printed as it arrives.`;

export async function run(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      out: { type: 'string' }, json: { type: 'boolean', default: false }, live: { type: 'boolean', default: false },
      fresh: { type: 'boolean', default: false },
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
  const cacheDir = resolve(env().dataDir, 'cache', 'demo');
  await rm(dir, { recursive: true, force: true });
  if (values.fresh) await rm(cacheDir, { recursive: true, force: true });
  await Promise.all([mkdir(dir, { recursive: true }), mkdir(cacheDir, { recursive: true })]);

  const sopPath = join(dir, 'hand-wash-demo.yaml');
  await writeFile(sopPath, sampleSop());
  const loaded = await loadSopDir([sopPath]);
  if (loaded.errors.length > 0 || loaded.sops.length === 0) {
    for (const e of loaded.errors) process.stderr.write(`${e.file}:${e.line}:${e.column}: ${e.message}\n`);
    return 1;
  }

  // The detectors' answers on this clip's exact pixels (services/detector/detection-cache.ts): a rerun loads a model
  // only for pixels it has never seen. One file for the rules' detector, one for the face finder's (one thread each).
  const [detections, faceAnswers] = await Promise.all([
    DetectionCache.open(join(cacheDir, 'detections.json.gz')),
    DetectionCache.open(join(cacheDir, 'faces.json.gz'), { detector: { threads: 1 } }),
  ]);
  // With no answers kept the detector will run on every frame it is given: its models load while the rest of this
  // command loads and the clip is made, the face finder's with them (one pool of threads serves both, as views).
  const needs = modelNeedsFor(loaded.sops);
  const early = detections.stats().file === 'loaded' ? undefined : createDetector({ needs: unionNeeds(needs, FACE_FINDER_NEEDS) });
  const loading = Promise.all([import('../demo/clip-cache.ts'), import('../analysis/index.ts'), import('../analysis/face-finder.ts'), import('./progress.ts')]);
  const [made, started] = await Promise.allSettled([loading.then(async (modules) => ({ modules, kept: await modules[0].cachedSampleClip(cacheDir) })), early]);
  const detector = started.status === 'fulfilled' ? started.value : undefined;
  if (made.status === 'rejected' || started.status === 'rejected') {
    await detector?.close();
    throw made.status === 'rejected' ? made.reason : (started as PromiseRejectedResult).reason;
  }
  const { modules: [, { analyzeClip, formatReport }, { createFaceFinder }, { createProgressBar }], kept } = made.value;
  // In the output folder under its usual name (a hard link, else a copy): the report and the timeline name it.
  const clip = { ...kept, path: join(dir, 'sample-kitchen.mp4') };
  await link(kept.path, clip.path).catch(() => copyFile(kept.path, clip.path));
  process.stderr.write(`demo: ${kept.generated ? 'generated' : 'reusing'} the sample clip ${kept.path}\n`);

  const faces = createFaceFinder({ cache: faceAnswers, ...(detector === undefined ? {} : { shared: detector }) });
  const bar = createProgressBar('analyze', process.stderr);
  let result: Awaited<ReturnType<typeof analyzeClip>>;
  try {
    result = await analyzeClip({
      clipPath: clip.path,
      sops: loaded.sops,
      evidenceDir: join(dir, 'evidence'),
      detectionCache: detections,
      ...(detector === undefined ? {} : { detector: detector.view(needs) }),
      faces,
      onProgress: (p) => bar.update(p.fraction, p.phase === 'detect' ? `${p.frames} frames` : p.phase, p.phase),
    });
  } finally {
    await Promise.all([faces.close(), detector?.close()]);
  }
  bar.done(`${result.frames} frames`);
  // Saved after the run: an interrupted run keeps the previous answers.
  await Promise.all([detections.save(), faceAnswers.save()]);
  process.stdout.write(values.json ? `${JSON.stringify(result, null, 2)}\n` : `${formatReport(result)}\n`);
  if (!values.json) process.stdout.write(`${cacheLine(detections.stats(), faceAnswers.stats())}\n`);

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

/** Says how much of the detectors' work came from an earlier run, so that a fast rerun is not mistaken for a fast detector. */
function cacheLine(rules: DetectionCacheStats, faces: DetectionCacheStats): string {
  const part = (name: string, s: DetectionCacheStats): string => `${name} ${s.hits} of ${s.hits + s.misses}`;
  return `Answers reused from an earlier run on the same pixels: ${part('detector', rules)}, ${part('face finder', faces)} (--fresh detects everything again)`;
}
