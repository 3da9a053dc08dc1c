// The application config file (sopwatch.yaml): one strict TypeBox schema, loaded once, errors as file:line:col.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { isMap, isScalar, LineCounter, parseDocument, stringify, type Document } from 'yaml';
import { env } from './env.ts';
import { InputError, UsageError } from './errors.ts';

const strict = { additionalProperties: false } as const;

export const STRUCTURED_OUTPUT = ['json_schema', 'json_object', 'none'] as const;
export type StructuredOutput = (typeof STRUCTURED_OUTPUT)[number];

export const VlmProviderSchema = Type.Object({
  id: Type.String({ pattern: '^[a-z0-9][a-z0-9_-]*$', description: 'Short name of this provider, [a-z0-9_-]; it appears in `decidedBy` as vlm:<id>/<model>.' }),
  baseUrl: Type.String({ pattern: '^https?://[^\\s]+$', description: 'OpenAI-compatible base URL; requests go to {baseUrl}/chat/completions.' }),
  model: Type.String({ minLength: 1, description: 'Model name sent in every request (pin a dated snapshot where the vendor offers one).' }),
  apiKeyEnv: Type.Optional(Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]*$', description: 'Name of the environment variable that holds the API key. The key itself never goes in this file. Omit for keyless local servers.' })),
  timeoutMs: Type.Integer({ minimum: 100, default: 20_000, description: 'Give up on one request after this many milliseconds.' }),
  maxImages: Type.Integer({ minimum: 1, default: 3, description: 'Most images this model accepts in one request; fewer keyframes are sent, evenly spread.' }),
  structuredOutput: Type.Union(STRUCTURED_OUTPUT.map((v) => Type.Literal(v)), { default: 'json_schema', description: 'How to ask for JSON: json_schema (strict schema), json_object, or none (prompt only).' }),
  pricePerMTokIn: Type.Number({ minimum: 0, default: 0, description: 'USD per million input tokens (images included).' }),
  pricePerMTokOut: Type.Number({ minimum: 0, default: 0, description: 'USD per million output tokens.' }),
  region: Type.Optional(Type.String({ minLength: 1, description: 'Where this endpoint processes data (e.g. cn, us, eu, local): shown in reports and privacy exports.' })),
  imageTokens: Type.Integer({ minimum: 1, default: 1_100, description: 'Upper estimate of the input tokens one image costs on this model, used to reserve budget before a call.' }),
  maxTokens: Type.Integer({ minimum: 16, default: 400, description: 'max_tokens of the answer; bounds the output cost of a call.' }),
}, { ...strict, description: 'One OpenAI-compatible vision model endpoint.' });
export type VlmProviderConfig = Static<typeof VlmProviderSchema>;

export const VlmConfigSchema = Type.Object({
  providers: Type.Array(VlmProviderSchema, { default: [], description: 'Providers, tried in this order.' }),
  budget: Type.Object({
    dailyUsd: Type.Number({ minimum: 0, default: 5, description: 'Most USD spent on model calls per UTC day, all stores together.' }),
    perStore: Type.Number({ minimum: 0, default: 1, description: 'Most USD spent on model calls per UTC day for one store.' }),
  }, { ...strict, default: {}, description: 'Daily spending caps; a call that would not fit is not made and the answer is unsure.' }),
  confirmFailWith: Type.Optional(Type.String({ minLength: 1, description: 'Provider id that must agree before a failing answer counts; disagreement makes the answer unsure.' })),
  cache: Type.Object({
    maxEntries: Type.Integer({ minimum: 0, default: 1_000, description: 'Answers kept in memory for identical questions on identical crops (0 turns the cache off).' }),
  }, { ...strict, default: {} }),
  breaker: Type.Object({
    failures: Type.Integer({ minimum: 1, default: 3, description: 'Consecutive failures that open a provider\'s circuit.' }),
    coolDownMs: Type.Integer({ minimum: 0, default: 30_000, description: 'How long an open circuit waits before letting one probe through.' }),
  }, { ...strict, default: {} }),
  retryAfterMaxMs: Type.Integer({ minimum: 0, default: 5_000, description: 'Longest retry-after a rate-limited provider is waited for; longer means move to the next provider.' }),
}, { ...strict, default: {}, description: 'Vision-language model access.' });
export type VlmConfig = Static<typeof VlmConfigSchema>;

export const SopwatchConfigSchema = Type.Object({
  vlm: VlmConfigSchema,
}, { ...strict, default: {}, description: 'sopwatch.yaml' });
export type SopwatchConfig = Static<typeof SopwatchConfigSchema>;

/** A config file that breaks the schema; `problems` lists every one as `file:line:col: message`. */
export class ConfigError extends InputError {
  constructor(readonly problems: string[], options?: { cause?: unknown }) {
    super(problems.join('\n'), options);
  }
}

/** The config used when no file exists: every default, no providers. */
export function defaultConfig(): SopwatchConfig {
  return Value.Default(SopwatchConfigSchema, {}) as SopwatchConfig;
}

function pointerToPath(pointer: string): string[] {
  return pointer.split('/').slice(1).map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function segmentKey(seg: string): string | number {
  return /^\d+$/.test(seg) ? Number(seg) : seg;
}

/** Offset of the YAML node a schema path names: the key for an unknown property, else the nearest existing node. */
function offsetOf(doc: Document, path: string[], pointAtKey: boolean): number {
  if (pointAtKey && path.length > 0) {
    const parent = doc.getIn(path.slice(0, -1).map(segmentKey), true);
    if (isMap(parent)) {
      const pair = parent.items.find((p) => isScalar(p.key) && String(p.key.value) === path[path.length - 1]);
      if (pair && isScalar(pair.key) && pair.key.range) return pair.key.range[0];
    }
  }
  for (let n = path.length; n >= 0; n--) {
    const node = n === 0 ? doc.contents : doc.getIn(path.slice(0, n).map(segmentKey), true);
    const range = (node as { range?: [number, number, number] } | null)?.range;
    if (range) return range[0];
  }
  return 0;
}

function semanticProblems(config: SopwatchConfig): Array<{ path: string[]; message: string }> {
  const out: Array<{ path: string[]; message: string }> = [];
  const seen = new Set<string>();
  config.vlm.providers.forEach((p, i) => {
    if (seen.has(p.id)) out.push({ path: ['vlm', 'providers', String(i), 'id'], message: `duplicate provider id "${p.id}"` });
    seen.add(p.id);
  });
  const confirm = config.vlm.confirmFailWith;
  if (confirm !== undefined) {
    if (!seen.has(confirm)) {
      out.push({ path: ['vlm', 'confirmFailWith'], message: `unknown provider id "${confirm}" (known: ${[...seen].join(', ') || 'none'})` });
    } else if (config.vlm.providers.length < 2) {
      out.push({ path: ['vlm', 'confirmFailWith'], message: 'confirmFailWith needs a second provider: a failing answer must be confirmed by a different model' });
    }
  }
  return out;
}

/** Parses and validates the text of a config file; `file` only names it in messages. */
export function parseConfig(text: string, file: string): SopwatchConfig {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number, message: string): string => {
    const { line, col } = lineCounter.linePos(offset);
    return `${file}:${line}:${col}: ${message}`;
  };
  if (doc.errors.length > 0) throw new ConfigError(doc.errors.map((e) => at(e.pos[0], e.message)));
  const raw: unknown = doc.toJS() ?? {};
  const value = Value.Default(SopwatchConfigSchema, structuredClone(raw));
  const problems: string[] = [];
  const missing = new Set<string>();
  for (const e of Value.Errors(SopwatchConfigSchema, value)) {
    const path = pointerToPath(e.path);
    if (missing.has(e.path)) continue;
    if (e.message === 'Expected required property') {
      missing.add(e.path);
      const where = path.slice(0, -1).join('.') || '(top level)';
      problems.push(at(offsetOf(doc, path.slice(0, -1), false), `${where}: missing required key "${path[path.length - 1] ?? ''}"`));
      continue;
    }
    const unknownKey = e.message === 'Unexpected property';
    const key = path[path.length - 1] ?? '';
    const hint = unknownKey && /key|secret|token/i.test(key) ? ' (secrets are never written here: name an environment variable in apiKeyEnv)' : '';
    const literals = (e.schema.anyOf as Array<{ const?: unknown }> | undefined)?.map((s) => s.const);
    const detail = literals?.every((l) => typeof l === 'string') ? `must be one of ${literals.join(', ')}` : e.message.toLowerCase();
    const message = unknownKey ? `unknown key "${key}"${hint}` : `${path.join('.') || '(top level)'}: ${detail}`;
    problems.push(at(offsetOf(doc, path, unknownKey), message));
  }
  if (problems.length > 0) throw new ConfigError(problems);
  const config = value as SopwatchConfig;
  const semantic = semanticProblems(config);
  if (semantic.length > 0) throw new ConfigError(semantic.map((p) => at(offsetOf(doc, p.path, false), p.message)));
  return config;
}

/** Validates a config given as an object (tests, programmatic use), with the same checks and defaults as a file. */
export function configFromObject(raw: unknown, source = '(config object)'): SopwatchConfig {
  return parseConfig(stringify(raw ?? {}), source);
}

/**
 * Loads sopwatch.yaml: `path` (from --config) wins over SOPWATCH_CONFIG, then ./sopwatch.yaml.
 * A file named explicitly must exist; the default file may be absent (defaults, no providers).
 */
export async function loadConfig(path?: string): Promise<SopwatchConfig> {
  const named = path ?? env().configPath;
  const file = named ?? 'sopwatch.yaml';
  if (!existsSync(file)) {
    if (named !== undefined) throw new UsageError(`config file not found: ${file}`);
    return defaultConfig();
  }
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new InputError(`cannot read config file ${file}`, { cause: err });
  }
  return parseConfig(text, file);
}
