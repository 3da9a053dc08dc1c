// `sopwatch sop validate|explain|schema`: check SOP files, explain them in plain English, emit the JSON Schema.
import { writeFile } from 'node:fs/promises';
import { InputError } from '../core/errors.ts';
import { sopJsonSchemaText } from '../rules/sop-file.schema.ts';
import { explainSop } from '../rules/sop-explain.ts';
import { formatSopError, loadSopDir, loadSopFile } from '../rules/sop-loader.ts';

const USAGE = `Usage:
  sopwatch sop validate [--json] <file or dir>...   check SOP files (a dir: its .yaml/.yml files)
  sopwatch sop explain <file>                       say in plain English what each rule flags
  sopwatch sop schema [--out FILE]                  print (or write) the JSON Schema of SOP files

Run \`sopwatch sop <subcommand> --help\` for details.`;

const HELP: Record<string, string> = {
  validate: `Usage: sopwatch sop validate [--json] <file or dir>...

Checks every SOP file given, and every .yaml/.yml file directly inside each directory.
Every problem of a file is listed as file:line:column: message on stderr; a bad file is
refused whole and does not stop the others. Two files with the same id: the first in path
order is kept, the other refused.

  --json   print { files: [{ file, ok, id, errors: [{ line, column, message }] }] } on stdout

Exit status: 0 all files valid, 1 some file refused, 2 usage error.`,
  explain: `Usage: sopwatch sop explain <file>

Prints what each rule of the SOP file flags, where, for how long, how serious it is, and
which steps ask the vision-language model what, so that it can be checked before going live.

Exit status: 0 explained, 1 the file has errors (listed on stderr), 2 usage error.`,
  schema: `Usage: sopwatch sop schema [--out FILE]

Prints the JSON Schema (draft-07) of SOP files, or writes it to FILE. Editors use it for
completion and checks: put "# yaml-language-server: $schema=./sop.schema.json" at the top.

Exit status: 0 done, 2 usage error.`,
};

const isHelp = (a: string): boolean => a === '--help' || a === '-h';

function usageError(message: string, sub?: string): number {
  process.stderr.write(`sopwatch sop: ${message}\n\n${sub ? (HELP[sub] ?? USAGE) : USAGE}\n`);
  return 2;
}

export async function run(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === undefined || isHelp(sub) || sub === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return sub === undefined ? 2 : 0;
  }
  if (rest.some(isHelp) && HELP[sub] !== undefined) {
    process.stdout.write(`${HELP[sub]}\n`);
    return 0;
  }
  switch (sub) {
    case 'validate':
      return validate(rest);
    case 'explain':
      return explain(rest);
    case 'schema':
      return schema(rest);
    default:
      return usageError(`unknown subcommand "${sub}"`);
  }
}

async function validate(args: string[]): Promise<number> {
  const json = args.includes('--json');
  const paths = args.filter((a) => a !== '--json');
  const flag = paths.find((a) => a.startsWith('-'));
  if (flag !== undefined) return usageError(`unknown option "${flag}"`, 'validate');
  if (paths.length === 0) return usageError('give at least one file or directory', 'validate');
  const result = await loadSopDir(paths);
  if (result.files.length === 0) return usageError(`no .yaml or .yml files in ${paths.join(', ')}`, 'validate');
  for (const e of result.errors) process.stderr.write(`${formatSopError(e)}\n`);
  const refused = result.files.filter((f) => !f.ok).length;
  if (json) {
    const files = result.files.map((f) => ({
      file: f.file,
      ok: f.ok,
      id: f.id ?? null,
      errors: f.errors.map((e) => ({ line: e.line, column: e.column, message: e.message })),
    }));
    process.stdout.write(`${JSON.stringify({ files }, null, 2)}\n`);
  } else {
    for (const f of result.files) {
      if (f.ok) process.stdout.write(`ok       ${f.file} (${f.id}: ${f.sop.rules.length} rule${f.sop.rules.length === 1 ? '' : 's'})\n`);
      else process.stdout.write(`refused  ${f.file} (${f.errors.length} problem${f.errors.length === 1 ? '' : 's'})\n`);
    }
    const n = result.files.length;
    process.stdout.write(`${n} file${n === 1 ? '' : 's'}: ${n - refused} valid, ${refused} refused\n`);
  }
  return refused > 0 ? 1 : 0;
}

async function explain(args: string[]): Promise<number> {
  const flag = args.find((a) => a.startsWith('-'));
  if (flag !== undefined) return usageError(`unknown option "${flag}"`, 'explain');
  const [path, ...extra] = args;
  if (path === undefined || extra.length > 0) return usageError('give exactly one SOP file', 'explain');
  const load = await loadSopFile(path);
  if (!load.ok) {
    for (const e of load.errors) process.stderr.write(`${formatSopError(e)}\n`);
    return 1;
  }
  process.stdout.write(explainSop(load.sop));
  return 0;
}

async function schema(args: string[]): Promise<number> {
  let out: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i] ?? '';
    if (a === '--out') {
      out = args[++i];
      if (out === undefined || out.startsWith('-')) return usageError('--out needs a file name', 'schema');
    } else if (a.startsWith('--out=')) {
      out = a.slice('--out='.length);
    } else {
      return usageError(`unexpected argument "${a}"`, 'schema');
    }
  }
  const text = sopJsonSchemaText();
  if (out === undefined) {
    process.stdout.write(text);
    return 0;
  }
  try {
    await writeFile(out, text);
  } catch (err) {
    throw new InputError(`write the schema to ${out}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  process.stdout.write(`wrote ${out}\n`);
  return 0;
}
