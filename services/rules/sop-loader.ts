// Loads SOP files: YAML with positions -> schema and semantic checks -> CompiledSop, or every problem as file:line:col.
import { readFile, readdir, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import type { CompiledSop } from './compiled.ts';
import { semanticProblems } from './sop-checks.ts';
import { compileSop } from './sop-compiler.ts';
import type { SopFile } from './sop-file.schema.ts';
import { schemaProblems } from './sop-schema-check.ts';
import { readYaml, type Position } from './sop-yaml.ts';

export interface SopError {
  file: string;
  line: number;
  column: number;
  message: string;
  /** Dotted key path of the offending value (`rules[0].when.person_in`), when known. */
  path?: string;
}

/** The outcome for one file: a compiled SOP, or the reasons it was refused (never both). */
export type SopLoad =
  | { ok: true; file: string; id: string; idAt: Position; sop: CompiledSop; errors: [] }
  | { ok: false; file: string; id?: string; idAt?: Position; errors: SopError[] };

export interface SopDirLoad {
  sops: CompiledSop[];
  errors: SopError[];
  /** One entry per file read, in the order read (paths sorted within each directory). */
  files: SopLoad[];
}

const SOP_EXTENSIONS = new Set(['.yaml', '.yml']);

export function formatSopError(e: SopError): string {
  return `${e.file}:${e.line}:${e.column}: ${e.message}`;
}

/** Loads one SOP from text. Never throws: every problem is an error in the result. */
export function loadSopText(text: string, sourceName: string): SopLoad {
  try {
    return loadUnsafe(String(text), sourceName);
  } catch (err) {
    // A bug of ours must not stop the other files or the pipeline; it is still reported, at the top.
    const message = `internal error while loading: ${err instanceof Error ? err.message : String(err)}`;
    return { ok: false, file: sourceName, errors: [{ file: sourceName, line: 1, column: 1, message }] };
  }
}

function loadUnsafe(text: string, file: string): SopLoad {
  const yaml = readYaml(text);
  if (yaml.syntaxErrors.length > 0) {
    return { ok: false, file, errors: sortErrors(yaml.syntaxErrors.map((e) => ({ file, ...e }))) };
  }
  const data = yaml.data;
  const rawId = typeof data === 'object' && data !== null ? (data as { id?: unknown }).id : undefined;
  const id = typeof rawId === 'string' ? rawId : undefined;
  const idAt = id === undefined ? undefined : yaml.locate(['id']);
  const problems = [...schemaProblems(data), ...semanticProblems(data)];
  if (problems.length > 0) {
    const errors = problems.map((p): SopError => ({ file, ...yaml.locate(p.path, p.at), message: p.message, path: dotted(p.path) }));
    return { ok: false, file, ...(id === undefined ? {} : { id, idAt }), errors: sortErrors(errors) };
  }
  const sop = compileSop(data as SopFile, file);
  return { ok: true, file, id: sop.id, idAt: idAt ?? { line: 1, column: 1 }, sop, errors: [] };
}

export async function loadSopFile(path: string): Promise<SopLoad> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code ?? (err instanceof Error ? err.message : String(err));
    return { ok: false, file: path, errors: [{ file: path, line: 1, column: 1, message: `cannot read the file (${reason})` }] };
  }
  return loadSopText(text, path);
}

/**
 * Loads files and the `.yaml`/`.yml` files directly inside directories. A bad file is refused whole and
 * never stops the others; when two files share an id, the first in path order is kept.
 */
export async function loadSopDir(paths: string[]): Promise<SopDirLoad> {
  const files: SopLoad[] = [];
  for (const path of await expand(paths, files)) files.push(await loadSopFile(path));
  const owners = new Map<string, SopLoad & { ok: true }>();
  for (const [i, load] of files.entries()) {
    if (!load.ok) continue;
    const first = owners.get(load.id);
    if (!first) {
      owners.set(load.id, load);
      continue;
    }
    const where = `${first.file}:${first.idAt.line}:${first.idAt.column}`;
    const error = { file: load.file, ...load.idAt, message: `duplicate SOP id "${load.id}": already used by ${where}`, path: 'id' };
    files[i] = { ok: false, file: load.file, id: load.id, idAt: load.idAt, errors: [error] };
  }
  return {
    sops: files.flatMap((f) => (f.ok ? [f.sop] : [])),
    errors: files.flatMap((f) => f.errors),
    files,
  };
}

/** Paths to files; a path that cannot be read becomes a refused entry in `files`. */
async function expand(paths: string[], files: SopLoad[]): Promise<string[]> {
  const out: string[] = [];
  for (const path of paths) {
    try {
      if ((await stat(path)).isDirectory()) {
        const names = (await readdir(path)).filter((n) => SOP_EXTENSIONS.has(extname(n).toLowerCase())).sort();
        out.push(...names.map((n) => join(path, n)));
      } else {
        out.push(path);
      }
    } catch (err) {
      const reason = (err as NodeJS.ErrnoException).code ?? String(err);
      files.push({ ok: false, file: path, errors: [{ file: path, line: 1, column: 1, message: `cannot read (${reason})` }] });
    }
  }
  return out;
}

function sortErrors(errors: SopError[]): SopError[] {
  const seen = new Set<string>();
  return errors
    .filter((e) => {
      const k = formatSopError(e);
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    })
    .sort((a, b) => a.line - b.line || a.column - b.column);
}

function dotted(path: ReadonlyArray<string | number>): string {
  return path.map((s, i) => (typeof s === 'number' ? `[${s}]` : i === 0 ? s : `.${s}`)).join('');
}
