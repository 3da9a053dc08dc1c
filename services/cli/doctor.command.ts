// `sopwatch doctor`: which decoder runs (system, SOPWATCH_FFMPEG or the npm-shipped one), its version, and the formats it
// reads; and whether the detector threads start from their bundle.
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { detectorThreadEntry } from '../detector/index.ts';
import { decoderLines, describeDecoder } from '../ingester/decoder-report.ts';

const HELP = `Usage: sopwatch doctor [--json]

Says which ffmpeg and ffprobe sopwatch runs and where they come from: SOPWATCH_FFMPEG/SOPWATCH_FFPROBE when set,
else the system's on the PATH, else the binaries shipped in the @ffmpeg-installer/@ffprobe-installer npm packages;
their versions; and which of the accepted clip formats their demuxers read. Also where the detector threads start
from: their esbuild bundle, or through the TypeScript loader (slower to start; SOPWATCH_BUNDLE=0 or no bundle made).
Exit status: 0 when both run and read every accepted format, 1 otherwise.`;

export async function run(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { json: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false } } });
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  const [report, entry] = await Promise.all([describeDecoder(), detectorThreadEntry()]);
  const detectorThreads = { bundled: entry.bundled, entry: fileURLToPath(entry.url) };
  const threadsLine = `detector threads: ${entry.bundled ? 'start from their bundle' : 'start through the TypeScript loader (no bundle: slower to start)'} — ${detectorThreads.entry}`;
  process.stdout.write(values.json ? `${JSON.stringify({ ...report, detectorThreads }, null, 2)}\n` : `${[...decoderLines(report), threadsLine].join('\n')}\n`);
  return report.ok ? 0 : 1;
}
