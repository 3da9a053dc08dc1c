// `sopwatch analyze <clip> --sop <file|dir>`: checks a recorded clip against SOP rules and reports with evidence.
import { parseArgs } from 'node:util';
import { existsSync } from 'node:fs';
import { UsageError } from '../core/errors.ts';
import { analyzeClip, formatReport } from '../analysis/index.ts';
import { loadSopDir } from '../rules/sop-loader.ts';
import { createProgressBar } from './progress.ts';
import { agentFromConfig } from './agent-from-config.ts';

const HELP = `Usage: sopwatch analyze <clip> --sop <file|dir> [--sop ...] [options]

Checks a recorded clip (mp4, mov, mkv, webm, gif, avi, MPEG-TS, MPEG-PS incl. Hikvision, Dahua .dav, raw H.264/H.265, flv) against SOP rules.

Options:
  --sop PATH        SOP file or folder of SOP files (repeatable; required)
  --camera ID       which camera's zones apply (needed when the files have zones for several)
  --fps N           frames analysed per second (default 5)
  --start-at ISO    wall-clock time of the clip's first frame, so that schedules apply
  --evidence DIR    write keyframes (faces blurred) and a timeline strip there
  --config FILE     sopwatch.yaml with vision-model providers for verify steps
  --json            print one JSON document instead of the report
  --quiet           no progress bar

Exit 0 when the analysis ran (with or without violations), 1 when it could not, 2 on bad usage.`;

export async function run(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      sop: { type: 'string', multiple: true },
      camera: { type: 'string' },
      fps: { type: 'string' },
      'start-at': { type: 'string' },
      evidence: { type: 'string' },
      config: { type: 'string' },
      json: { type: 'boolean', default: false },
      quiet: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  const clip = positionals[0];
  if (clip === undefined || positionals.length > 1) throw new UsageError(`give exactly one clip\n\n${HELP}`);
  if (!existsSync(clip)) throw new UsageError(`no such clip: ${clip}`);
  if (!values.sop || values.sop.length === 0) throw new UsageError(`--sop is required\n\n${HELP}`);
  const fps = values.fps === undefined ? 5 : Number(values.fps);
  if (!Number.isFinite(fps) || fps <= 0 || fps > 30) throw new UsageError(`--fps must be a number between 0 and 30, got "${values.fps}"`);
  let startAtMs: number | undefined;
  if (values['start-at'] !== undefined) {
    startAtMs = Date.parse(values['start-at']);
    if (Number.isNaN(startAtMs)) throw new UsageError(`--start-at must be an ISO-8601 time, got "${values['start-at']}"`);
  }

  const loaded = await loadSopDir(values.sop);
  for (const e of loaded.errors) process.stderr.write(`${e.file}:${e.line}:${e.column}: ${e.message}\n`);
  if (loaded.sops.length === 0) {
    process.stderr.write('sopwatch analyze: no valid SOP file to check the clip against\n');
    return 1;
  }
  if (loaded.errors.length > 0) process.stderr.write(`(files with errors were skipped; ${loaded.sops.length} valid file(s) used)\n`);

  const agent = await agentFromConfig(values.config);
  const bar = createProgressBar('analyze', process.stderr, values.quiet);
  const result = await analyzeClip({
    clipPath: clip,
    sops: loaded.sops,
    ...(values.camera !== undefined ? { cameraId: values.camera } : {}),
    fps,
    ...(startAtMs !== undefined ? { startAtMs } : {}),
    ...(values.evidence !== undefined ? { evidenceDir: values.evidence } : {}),
    ...(agent ? { agent } : {}),
    onProgress: (p) => bar.update(p.fraction, p.phase === 'detect' ? `${p.frames} frames, ${(p.tMs / 1000).toFixed(0)} s` : p.phase, p.phase),
  });
  bar.done(`${result.frames} frames`);
  process.stdout.write(values.json ? `${JSON.stringify(result, null, 2)}\n` : `${formatReport(result)}\n`);
  return 0;
}
