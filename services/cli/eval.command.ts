// `sopwatch eval <labels file or folder>`: analyses labelled clips and prints found / missed / extra, precision and recall per rule.
import { parseArgs } from 'node:util';
import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import { UsageError } from '../core/errors.ts';
import { formatSopError } from '../rules/sop-loader.ts';
import { DEFAULT_TOLERANCE_S, evalClip, evalReport, formatEval, labelsFiles, loadLabelsFile, type ClipEval, type LoadedLabels } from '../eval/index.ts';
import { createProgressBar } from './progress.ts';

const HELP = `Usage: sopwatch eval <labels file|folder> [...] [options]

Analyses each labelled clip with its SOP file and compares what was found with the violations a person
saw: found, missed and extra, precision and recall, per rule and in total.

A labels file (YAML) names the clip (relative to the file, or else to SOPWATCH_MEDIA, default
../shared/media), the SOP file (relative to the file), optionally camera and fps, and the violations:
  violations:
    - { rule: visit-min, kind: too_short, start: 6, end: 19 }
    - { rule: visit-min, kind: too_short, start: 75, end: 86, may: true }   # counted neither way

Options:
  --tolerance S   how far each edge of a detection may be from the label's (seconds, default ${DEFAULT_TOLERANCE_S})
  --json          print one JSON document instead of the table
  --quiet         no progress bar

Exit 0 when every clip was scored, 1 when a labels file or an analysis failed, 2 on bad usage.`;

export async function run(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      tolerance: { type: 'string' },
      json: { type: 'boolean', default: false },
      quiet: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  if (positionals.length === 0) throw new UsageError(`give at least one labels file or folder\n\n${HELP}`);
  for (const p of positionals) if (!existsSync(p)) throw new UsageError(`no such labels file or folder: ${p}`);
  const toleranceS = values.tolerance === undefined ? DEFAULT_TOLERANCE_S : Number(values.tolerance);
  if (!Number.isFinite(toleranceS) || toleranceS < 0 || toleranceS > 600) throw new UsageError(`--tolerance must be a number of seconds between 0 and 600, got "${values.tolerance}"`);

  const files = await labelsFiles(positionals);
  if (files.length === 0) throw new UsageError('no labels files (.yaml) found');
  const loaded: LoadedLabels[] = [];
  let failed = false;
  for (const file of files) {
    const load = await loadLabelsFile(file);
    if (load.ok) loaded.push(load.value);
    else {
      failed = true;
      for (const e of load.errors) process.stderr.write(`${formatSopError(e)}\n`);
    }
  }
  const clips: ClipEval[] = [];
  for (const [i, l] of loaded.entries()) {
    const bar = createProgressBar(`eval ${i + 1}/${loaded.length} ${basename(l.clipPath)}`, process.stderr, values.quiet);
    try {
      const clip = await evalClip(l, toleranceS, {
        onProgress: (p) => bar.update(p.fraction, p.phase === 'detect' ? `${p.frames} frames, ${(p.tMs / 1000).toFixed(0)} s` : p.phase, p.phase),
      });
      bar.done(`${clip.frames} frames`);
      clips.push(clip);
    } catch (err) {
      failed = true;
      process.stderr.write(`sopwatch eval: ${l.file}: ${err instanceof Error ? err.message : String(err)}\n`);
    }
  }
  const report = evalReport(clips, toleranceS);
  process.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatEval(report)}\n`);
  return failed ? 1 : 0;
}
