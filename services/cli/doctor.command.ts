// `sopwatch doctor`: which decoder runs (system, SOPWATCH_FFMPEG or the npm-shipped one), its version, and the formats it reads.
import { parseArgs } from 'node:util';
import { decoderLines, describeDecoder } from '../ingester/decoder-report.ts';

const HELP = `Usage: sopwatch doctor [--json]

Says which ffmpeg and ffprobe sopwatch runs and where they come from: SOPWATCH_FFMPEG/SOPWATCH_FFPROBE when set,
else the system's on the PATH, else the binaries shipped in the @ffmpeg-installer/@ffprobe-installer npm packages;
their versions; and which of the accepted clip formats their demuxers read.
Exit status: 0 when both run and read every accepted format, 1 otherwise.`;

export async function run(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { json: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false } } });
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  const report = await describeDecoder();
  process.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : `${decoderLines(report).join('\n')}\n`);
  return report.ok ? 0 : 1;
}
