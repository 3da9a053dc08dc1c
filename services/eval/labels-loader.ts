// Loads labels files: YAML with positions -> one TypeBox schema -> the clip, the SOP and the labels, or every problem as file:line:col.
import { existsSync } from 'node:fs';
import { readFile, readdir, stat } from 'node:fs/promises';
import { dirname, extname, isAbsolute, join, resolve } from 'node:path';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { env } from '../core/env.ts';
import type { CompiledSop } from '../rules/compiled.ts';
import { loadSopFile, type SopError } from '../rules/sop-loader.ts';
import { TYPE_WORDS, toPath } from '../rules/sop-schema-check.ts';
import { didYouMean } from '../rules/sop-suggest.ts';
import { readYaml, type DataPath, type Problem, type YamlSource } from '../rules/sop-yaml.ts';
import { LabelsFile } from './labels-file.schema.ts';

/** Which violation kinds each rule kind raises (a label of another kind could never be found). */
export const KINDS_OF: Record<string, readonly string[]> = {
  duration: ['too_short', 'too_long'],
  forbidden: ['forbidden', 'verify_failed'],
  required: ['gap'],
  sequence: ['missing_step', 'out_of_order', 'timeout', 'verify_failed'],
};

export interface LoadedLabels {
  file: string;
  /** Absolute path of the clip. */
  clipPath: string;
  sop: CompiledSop;
  labels: LabelsFile;
}

export type LabelsLoad = { ok: true; value: LoadedLabels; errors: [] } | { ok: false; file: string; errors: SopError[] };

let validator: ValidateFunction | undefined;
function validate(): ValidateFunction {
  validator ??= new Ajv({ allErrors: true, strict: true, verbose: true }).compile(LabelsFile);
  return validator;
}

/** The media root clips are also looked up in: `SOPWATCH_MEDIA`, else `../shared/media` from the working directory. */
export function mediaRoot(): string {
  return resolve(env().mediaDir ?? '../shared/media');
}

/** Checks a labels file's text; `loadLabelsFile` also resolves the clip and loads the SOP. */
export function checkLabelsText(text: string, file: string): { data?: LabelsFile; yaml: YamlSource; errors: SopError[] } {
  const yaml = readYaml(String(text));
  const place = (p: Problem): SopError => ({ file, ...yaml.locate(p.path, p.at), message: p.message, path: dotted(p.path) });
  if (yaml.syntaxErrors.length > 0) return { yaml, errors: yaml.syntaxErrors.map((e) => ({ file, ...e })) };
  const check = validate();
  if (!check(yaml.data)) return { yaml, errors: sorted((check.errors ?? []).map((e) => place(translate(e)))) };
  const data = yaml.data as LabelsFile;
  const problems: Problem[] = [];
  data.violations.forEach((v, i) => {
    if (v.end <= v.start) problems.push({ path: ['violations', i, 'end'], message: `label ${i + 1} ends (${v.end} s) before it starts (${v.start} s)` });
  });
  return problems.length > 0 ? { yaml, errors: sorted(problems.map(place)) } : { data, yaml, errors: [] };
}

export async function loadLabelsFile(file: string, media = mediaRoot()): Promise<LabelsLoad> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    return { ok: false, file, errors: [{ file, line: 1, column: 1, message: `cannot read the file (${(err as NodeJS.ErrnoException).code ?? String(err)})` }] };
  }
  const { data, yaml, errors } = checkLabelsText(text, file);
  if (!data) return { ok: false, file, errors };
  const at = (path: DataPath, message: string): SopError => ({ file, ...yaml.locate(path), message, path: dotted(path) });
  const here = dirname(file);
  const candidates = isAbsolute(data.clip) ? [data.clip] : [resolve(here, data.clip), resolve(media, data.clip)];
  const clipPath = candidates.find((c) => existsSync(c));
  if (clipPath === undefined) {
    return { ok: false, file, errors: [at(['clip'], `clip not found: looked for ${candidates.join(' and ')} (set SOPWATCH_MEDIA to the media folder)`)] };
  }
  const sopLoad = await loadSopFile(resolve(here, data.sop));
  if (!sopLoad.ok) {
    return { ok: false, file, errors: [at(['sop'], `the SOP file is not usable: ${sopLoad.errors.map((e) => `${e.file}:${e.line}:${e.column}: ${e.message}`).join('; ')}`)] };
  }
  const sop = sopLoad.sop;
  const problems: SopError[] = [];
  data.violations.forEach((v, i) => {
    const rule = sop.rules.find((r) => r.id === v.rule);
    if (!rule) {
      problems.push(at(['violations', i, 'rule'], `SOP "${sop.id}" has no rule "${v.rule}"${didYouMean(v.rule, sop.rules.map((r) => r.id))}`));
    } else if (!(KINDS_OF[rule.kind] ?? []).includes(v.kind)) {
      problems.push(at(['violations', i, 'kind'], `a ${rule.kind} rule never raises "${v.kind}"; use one of ${(KINDS_OF[rule.kind] ?? []).join(', ')}`));
    }
  });
  if (problems.length > 0) return { ok: false, file, errors: sorted(problems) };
  return { ok: true, value: { file, clipPath, sop, labels: data }, errors: [] };
}

/** Labels files given directly, and the `.yaml`/`.yml` files directly inside folders (sorted). */
export async function labelsFiles(paths: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const path of paths) {
    if ((await stat(path)).isDirectory()) {
      const names = (await readdir(path)).filter((n) => ['.yaml', '.yml'].includes(extname(n).toLowerCase())).sort();
      out.push(...names.map((n) => join(path, n)));
    } else {
      out.push(path);
    }
  }
  return out;
}

function nameOf(path: DataPath): string {
  const last = path[path.length - 1];
  if (last === undefined) return 'the file';
  if (typeof last === 'number') return `label ${last + 1}`;
  return `"${last}"`;
}

function translate(e: ErrorObject): Problem {
  const path = toPath(e.instancePath);
  const params = e.params as Record<string, unknown>;
  const name = nameOf(path);
  switch (e.keyword) {
    case 'additionalProperties': {
      const extra = String(params.additionalProperty);
      const known = Object.keys((e.parentSchema as { properties?: object } | undefined)?.properties ?? {});
      return { path: [...path, extra], at: 'key', message: `unknown key "${extra}"${didYouMean(extra, known)}` };
    }
    case 'required':
      return { path, message: path.length === 0 ? `missing required key "${String(params.missingProperty)}" at the top of the file` : `${name} is missing required key "${String(params.missingProperty)}"` };
    case 'type':
      if (path.length === 0) return { path, message: 'a labels file must be a YAML mapping with clip, sop and violations' };
      return { path, message: `${name} must be ${TYPE_WORDS[String(params.type)] ?? String(params.type)}` };
    case 'enum':
      return { path, message: `unknown violation kind ${JSON.stringify(e.data)}${didYouMean(String(e.data), (params.allowedValues as unknown[]).map(String))}` };
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
      return { path, message: `${name} must be ${e.keyword === 'maximum' ? 'at most' : e.keyword === 'minimum' ? 'at least' : 'more than'} ${String(params.limit)}` };
    case 'minLength':
      return { path, message: `${name} must not be empty` };
    default:
      return { path, message: `${name} ${e.message ?? 'is not valid'}` };
  }
}

function sorted(errors: SopError[]): SopError[] {
  const seen = new Set<string>();
  return errors
    .filter((e) => {
      const k = `${e.line}:${e.column}:${e.message}`;
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    })
    .sort((a, b) => a.line - b.line || a.column - b.column);
}

function dotted(path: DataPath): string {
  return path.map((s, i) => (typeof s === 'number' ? `[${s}]` : i === 0 ? s : `.${s}`)).join('');
}
