// CLI entry: parses the first words of the command line and hands over to one command module.
import { SopwatchError } from '../core/errors.ts';

type CommandModule = { run(args: string[]): Promise<number> };

const COMMANDS: Record<string, { summary: string; load: () => Promise<CommandModule> }> = {
  sop: { summary: 'sop validate|explain|schema: check SOP files and explain them', load: () => import('./sop.command.ts') },
  analyze: { summary: 'analyze <clip> --sop <file|dir>: check a recorded clip against SOP rules', load: () => import('./analyze.command.ts') },
  eval: { summary: 'eval <labels file|folder>: precision and recall of the rules on labelled clips', load: () => import('./eval.command.ts') },
  demo: { summary: 'demo: analyse a generated sample clip and show a violation with evidence', load: () => import('./demo.command.ts') },
  vlm: { summary: 'vlm check: ask each configured model provider a tiny known question', load: () => import('./vlm.command.ts') },
  cameras: { summary: 'cameras discover|check|watch: find ONVIF cameras, test them, watch them live', load: () => import('./cameras.command.ts') },
  simulate: { summary: 'simulate --cameras N: fake ONVIF/RTSP cameras on 127.0.0.1 looping the demo clip', load: () => import('./simulate.command.ts') },
  serve: { summary: 'serve [--port 8080]: the HTTP API and the clip analysis worker', load: () => import('./serve.command.ts') },
  store: { summary: 'store export|delete --store ID: a store\'s data on request (export bundle, deletion)', load: () => import('./store.command.ts') },
  secrets: { summary: 'secrets status|rotate-key|new-key: the key sealing stored camera passwords, and its rotation', load: () => import('./secrets.command.ts') },
  doctor: { summary: 'doctor: which ffmpeg/ffprobe runs, its version, and the clip formats it reads', load: () => import('./doctor.command.ts') },
  user: { summary: 'user add|list|disable: accounts (owner, manager, auditor)', load: () => import('./user.command.ts') },
};

function usage(): string {
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  sopwatch ${name.padEnd(8)} ${c.summary}`);
  return ['Usage:', ...lines, '', 'Run `sopwatch <command> --help` for details.'].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage() + '\n');
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`sopwatch: unknown command "${name}"\n\n${usage()}\n`);
    return 2;
  }
  try {
    const mod = await command.load();
    return await mod.run(rest);
  } catch (err) {
    if (err instanceof SopwatchError) {
      process.stderr.write(`sopwatch ${name}: ${err.message}\n`);
      return err.exitCode;
    }
    throw err;
  }
}
