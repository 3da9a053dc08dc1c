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
  baseUrl: Type.String({ pattern: '^https?://[^\\s]+$', description: 'OpenAI-compatible base URL; requests go to {baseUrl}/chat/completions (Azure OpenAI: the resource endpoint, see azure).' }),
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
  azure: Type.Optional(Type.Object({
    deployment: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$', description: 'The deployment name chosen in Azure (it picks the model; `model` is still sent and shown in decidedBy).' }),
    apiVersion: Type.String({ pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}(-preview)?$', description: 'The api-version query parameter, e.g. 2024-10-21.' }),
  }, {
    ...strict,
    description: 'Azure OpenAI: baseUrl is the resource endpoint (https://<resource>.openai.azure.com); requests go to ' +
      '{baseUrl}/openai/deployments/{deployment}/chat/completions?api-version={apiVersion} with the key in the api-key header, never in Authorization.',
  })),
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
  reuse: Type.Object({
    maxEntries: Type.Integer({ minimum: 0, default: 256, description: 'Scenes remembered, one per rule and camera, to reuse the answer while nothing changes (0 turns reuse off).' }),
    maxAgeMs: Type.Integer({ minimum: 0, maximum: 600_000, default: 180_000, description: 'A reused answer is never older than this (footage time) from the question the model answered; at most 10 minutes.' }),
    maxBoxShift: Type.Number({ minimum: 0, maximum: 0.2, default: 0.03, description: 'Largest move of a subject\'s box edge (share of the image) that counts as not moved.' }),
    maxPixelDiff: Type.Number({ minimum: 0, maximum: 64, default: 6, description: 'Largest mean gray-level difference (0-255) of the keyframes\' 16x16 thumbnails that counts as the same picture.' }),
  }, { ...strict, default: {}, description: 'An unchanged scene (same subjects, nothing moved, nearly the same pixels) reuses the rule\'s last answer instead of asking again.' }),
  breaker: Type.Object({
    failures: Type.Integer({ minimum: 1, default: 3, description: 'Consecutive failures that open a provider\'s circuit.' }),
    coolDownMs: Type.Integer({ minimum: 0, default: 30_000, description: 'How long an open circuit waits before letting one probe through.' }),
  }, { ...strict, default: {} }),
  retryAfterMaxMs: Type.Integer({ minimum: 0, default: 5_000, description: 'Longest retry-after a rate-limited provider is waited for; longer means move to the next provider.' }),
}, { ...strict, default: {}, description: 'Vision-language model access.' });
export type VlmConfig = Static<typeof VlmConfigSchema>;

const EnvName = (description: string) => Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]*$', description });
const Severity = (options: { default: string; description?: string }) => Type.Union([Type.Literal('low'), Type.Literal('medium'), Type.Literal('high')], options);
export const NOTIFY_CHANNEL_TYPES = ['webhook', 'wecom', 'dingtalk', 'feishu', 'slack', 'email'] as const;
export const NOTIFY_EVENTS = ['violation', 'escalation', 'digest'] as const;
export const NOTIFY_LANGUAGES = ['en', 'zh-CN'] as const;
export type NotifyLanguage = (typeof NOTIFY_LANGUAGES)[number];
const Language = (options: { default?: NotifyLanguage; description: string }) => Type.Union(NOTIFY_LANGUAGES.map((v) => Type.Literal(v)), options);
// A header value or an address: never a line break, so nothing can be injected into a mail header.
const MailAddress = Type.String({ pattern: '^[^\\s<>@]+@[^\\s<>@]+$', description: 'A plain address: name@example.com.' });

export const NotifyChannelSchema = Type.Object({
  id: Type.String({ pattern: '^[a-z0-9][a-z0-9_-]*$', description: 'Short name of this channel, [a-z0-9_-]; outbox rows and logs name it.' }),
  type: Type.Union(NOTIFY_CHANNEL_TYPES.map((v) => Type.Literal(v)), { description: 'webhook (plain JSON), wecom (企业微信 group bot), dingtalk, feishu (Feishu/Lark bot), slack (incoming webhook) or email (SMTP).' }),
  urlEnv: Type.Optional(EnvName('Name of the environment variable holding the webhook URL (its token is a secret, so the URL never goes in this file). Required for every type but email.')),
  secretEnv: Type.Optional(EnvName('dingtalk, feishu: name of the environment variable holding the signing secret ("加签"); omit when the bot has none.')),
  feishuMsgType: Type.Union([Type.Literal('interactive'), Type.Literal('text')], { default: 'interactive', description: 'feishu: a card (interactive) or plain text.' }),
  stores: Type.Array(Type.String({ minLength: 1 }), { default: ['*'], description: 'Store ids or names this channel serves; "*" for every store.' }),
  minSeverity: Severity({ default: 'medium', description: 'Violations below this severity are not sent here (digests still count them).' }),
  events: Type.Array(Type.Union(NOTIFY_EVENTS.map((v) => Type.Literal(v))), { default: ['violation', 'digest'], minItems: 1, description: 'What this channel receives: violation (one message each), escalation (high severity left unreviewed; an owner\'s channel), digest (one summary per shift).' }),
  timeoutMs: Type.Integer({ minimum: 100, default: 10_000, description: 'Give up on one delivery after this many milliseconds.' }),
  onUnknownOutcome: Type.Optional(Type.Union([Type.Literal('resend'), Type.Literal('give_up')], { description: 'When a delivery may or may not have arrived (timeout, crash): resend with the same idempotency key, or give up to avoid a duplicate. Default: resend for webhook (receivers can dedupe on Idempotency-Key), give_up for the chat bots and email.' })),
  email: Type.Optional(Type.Object({
    host: Type.String({ minLength: 1, description: 'SMTP server host.' }),
    port: Type.Integer({ minimum: 1, maximum: 65_535, default: 587 }),
    security: Type.Union([Type.Literal('starttls'), Type.Literal('tls'), Type.Literal('none')], { default: 'starttls', description: 'starttls (port 587, required), tls (port 465) or none (a local relay; AUTH is then refused except on loopback).' }),
    userEnv: Type.Optional(EnvName('Name of the environment variable holding the SMTP user name.')),
    passwordEnv: Type.Optional(EnvName('Name of the environment variable holding the SMTP password.')),
    from: MailAddress,
    to: Type.Array(MailAddress, { minItems: 1, description: 'Recipients (a store or owner mailbox; not named employees).' }),
    helo: Type.String({ pattern: '^[A-Za-z0-9.-]+$', default: 'sopwatch.localdomain', description: 'Name sent in EHLO.' }),
  }, { ...strict, description: 'email: the SMTP server and the envelope.' })),
}, { ...strict, description: 'One place notifications go.' });
export type NotifyChannelConfig = Static<typeof NotifyChannelSchema>;

export const NotifyConfigSchema = Type.Object({
  dashboardUrl: Type.Optional(Type.String({ pattern: '^https?://[^\\s]+$', description: 'Base URL of the dashboard; messages link to {dashboardUrl}/violations/{id}.' })),
  pollMs: Type.Integer({ minimum: 100, default: 10_000, description: 'How often new violations, escalations, digests and due retries are looked for.' }),
  lookbackMs: Type.Integer({ minimum: 1_000, default: 3_600_000, description: 'Violations older than this when first seen are left to the digest (no burst after a long stop).' }),
  cooldownMs: Type.Integer({ minimum: 0, default: 900_000, description: 'After a message for one rule on one camera, others like it wait this long; those held back are counted into the next message and the digest.' }),
  leaseMs: Type.Integer({ minimum: 1_000, default: 120_000, description: 'A message still "sending" after this long was interrupted (a crash); see onUnknownOutcome.' }),
  maxAttempts: Type.Integer({ minimum: 1, default: 8, description: 'Deliveries tried before a message is marked failed.' }),
  backoffMs: Type.Integer({ minimum: 0, default: 30_000, description: 'Wait before the first retry; doubled on every further one.' }),
  maxBackoffMs: Type.Integer({ minimum: 0, default: 3_600_000, description: 'Longest wait between retries.' }),
  escalation: Type.Object({
    afterMs: Type.Integer({ minimum: 1_000, default: 1_800_000, description: 'A violation at or above minSeverity still unreviewed this long after it was recorded is escalated.' }),
    minSeverity: Severity({ default: 'high' }),
  }, { ...strict, default: {}, description: 'Escalation to the channels whose events include "escalation".' }),
  language: Language({ default: 'en', description: 'The language of messages: en (English) or zh-CN (Simplified Chinese); a store may set its own.' }),
  digestGraceMs: Type.Integer({ minimum: 0, default: 7_200_000, description: 'A shift that ended longer ago than this when first noticed gets no digest (after a long stop).' }),
  stores: Type.Array(Type.Object({
    store: Type.String({ minLength: 1, description: 'Store id or name.' }),
    shiftEnds: Type.Array(Type.String({ pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$' }), { default: [], description: 'Local times (HH:MM, the store\'s time zone) at which a shift ends and its digest is sent.' }),
    language: Type.Optional(Language({ description: 'The language of this store\'s messages (default: notify.language).' })),
  }, strict), { default: [], description: 'Per-store settings.' }),
  channels: Type.Array(NotifyChannelSchema, { default: [], description: 'Where notifications go.' }),
}, { ...strict, default: {}, description: 'Telling managers without the dashboard: chat bots, webhooks, e-mail. Secrets only by environment variable name.' });
export type NotifyConfig = Static<typeof NotifyConfigSchema>;

export const SopwatchConfigSchema = Type.Object({
  vlm: VlmConfigSchema,
  notify: NotifyConfigSchema,
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
    out.push(...azureProblems(p).map(([key, message]) => ({ path: ['vlm', 'providers', String(i), key], message })));
  });
  const confirm = config.vlm.confirmFailWith;
  if (confirm !== undefined) {
    if (!seen.has(confirm)) {
      out.push({ path: ['vlm', 'confirmFailWith'], message: `unknown provider id "${confirm}" (known: ${[...seen].join(', ') || 'none'})` });
    } else if (config.vlm.providers.length < 2) {
      out.push({ path: ['vlm', 'confirmFailWith'], message: 'confirmFailWith needs a second provider: a failing answer must be confirmed by a different model' });
    }
  }
  out.push(...notifyProblems(config.notify));
  return out;
}

/** An Azure OpenAI provider: the resource endpoint as baseUrl (the path and query are built), a key for the api-key header. */
function azureProblems(p: VlmProviderConfig): Array<[key: string, message: string]> {
  if (p.azure === undefined) {
    return /\/openai\/deployments\//i.test(p.baseUrl)
      ? [['baseUrl', 'an Azure OpenAI deployment URL: set baseUrl to the resource endpoint (https://<resource>.openai.azure.com) and add azure: { deployment, apiVersion }']]
      : [];
  }
  const out: Array<[string, string]> = [];
  let url: URL | undefined;
  try {
    url = new URL(p.baseUrl);
  } catch {
    out.push(['baseUrl', `baseUrl "${p.baseUrl}" is not a URL`]);
  }
  if (url !== undefined && (url.pathname.replace(/\/+$/, '') !== '' || url.search !== '')) {
    out.push(['baseUrl', `with azure, baseUrl is the resource endpoint only (${url.protocol}//${url.host}); the /openai/deployments/... path and api-version are built from azure`]);
  }
  if (p.apiKeyEnv === undefined) out.push(['azure', 'an Azure OpenAI provider needs apiKeyEnv: its key is sent in the api-key header']);
  return out;
}

const HTTP_CHANNELS = new Set(['webhook', 'wecom', 'dingtalk', 'feishu', 'slack']);

function notifyProblems(notify: NotifyConfig): Array<{ path: string[]; message: string }> {
  const out: Array<{ path: string[]; message: string }> = [];
  const ids = new Set<string>();
  notify.channels.forEach((c, i) => {
    const at = (key: string): string[] => ['notify', 'channels', String(i), key];
    if (ids.has(c.id)) out.push({ path: at('id'), message: `duplicate channel id "${c.id}"` });
    ids.add(c.id);
    if (HTTP_CHANNELS.has(c.type) && c.urlEnv === undefined) out.push({ path: at('type'), message: `a ${c.type} channel needs urlEnv (the environment variable holding its URL)` });
    if (c.type === 'email' && c.email === undefined) out.push({ path: at('type'), message: 'an email channel needs an email block (host, from, to)' });
    if (c.type !== 'email' && c.email !== undefined) out.push({ path: at('email'), message: `email settings on a ${c.type} channel` });
    if (c.secretEnv !== undefined && c.type !== 'dingtalk' && c.type !== 'feishu') out.push({ path: at('secretEnv'), message: `${c.type} has no signing secret; secretEnv is for dingtalk and feishu` });
    if (c.email !== undefined && (c.email.userEnv === undefined) !== (c.email.passwordEnv === undefined)) out.push({ path: at('email'), message: 'give both userEnv and passwordEnv, or neither' });
  });
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
