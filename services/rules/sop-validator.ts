// The SOP schema's ajv validator (every error, each with the schema and the data it is about). Compiling it costs ajv
// about 0.1 s of one core at the start of every command that reads an SOP file, and there it holds up the detector
// threads (the models they load depend on the rules). So the compiled code is kept: ajv's standalone output, a module
// under node_modules/.cache/sopwatch (beside the command's bundles) named by a hash of ajv's version, the options and the
// schema, loaded from there in about 5 ms. Where that folder cannot be written, the validator is compiled in memory.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Ajv, type Options, type ValidateFunction } from 'ajv';
// The same copy of ajv as the compiler's (the command's bundle inlines ajv): a module of CommonJS, whose function both
// loaders hand over as `default` of what they import.
import standalone from 'ajv/dist/standalone/index.js';
import { cacheDir } from '../../bin/bundle.mjs';
import { sopJsonSchema } from './sop-file.schema.ts';

const load = createRequire(import.meta.url);
const OPTIONS: Options = { allErrors: true, strict: true, verbose: true };
/** The project's cache folder, beside the bundles. */
export const VALIDATOR_CACHE_DIR = cacheDir();
const PREFIX = 'sop-validator.';

export interface SopValidator {
  validate: ValidateFunction;
  /** `cache`: loaded from the kept module; `compiled`: compiled now and kept; `memory`: compiled now, not kept. */
  from: 'cache' | 'compiled' | 'memory';
  /** The kept module's path (whether or not it could be written). */
  path: string;
}

/**
 * The validator of the SOP schema, from `dir` when a module compiled for the same schema, ajv and options is kept
 * there, else compiled now and kept there (written whole or not at all), in place of any kept for another schema. A kept
 * module that does not load is compiled again. `dir` must lie inside the project, where the module finds ajv's run-time helpers.
 */
export function loadSopValidator(dir = VALIDATOR_CACHE_DIR): SopValidator {
  const schema = sopJsonSchema();
  const { version } = load('ajv/package.json') as { version: string };
  const key = createHash('sha256').update(JSON.stringify([version, OPTIONS, schema])).digest('hex').slice(0, 16);
  const name = `${PREFIX}${key}.cjs`;
  const path = join(dir, name);
  if (existsSync(path)) {
    try {
      const kept = load(path) as ValidateFunction | { default?: ValidateFunction };
      const validate = typeof kept === 'function' ? kept : kept.default;
      if (typeof validate === 'function') return { validate, from: 'cache', path };
    } catch {
      // Compiled again below, and the kept module replaced.
    }
  }
  const ajv = new Ajv({ ...OPTIONS, code: { source: true } });
  const validate = ajv.compile(schema);
  const temp = join(dir, `.${name}.${process.pid}.${randomBytes(4).toString('hex')}`);
  try {
    mkdirSync(dir, { recursive: true });
    writeFileSync(temp, standalone.default(ajv, validate));
    renameSync(temp, path);
    pruneOthers(dir, name);
    return { validate, from: 'compiled', path };
  } catch {
    try {
      rmSync(temp, { force: true });
    } catch {
      // Nothing was written there either.
    }
    return { validate, from: 'memory', path };
  }
}

/** Removes validators kept for other schemas (a process running one has it loaded already); what cannot go stays. */
function pruneOthers(dir: string, keep: string): void {
  for (const f of readdirSync(dir)) {
    if (!f.startsWith(PREFIX) || !f.endsWith('.cjs') || f === keep) continue;
    try {
      rmSync(join(dir, f), { force: true });
    } catch {
      // Left for the next compile.
    }
  }
}
