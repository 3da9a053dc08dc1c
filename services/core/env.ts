// The process environment, parsed once into a typed object. Nothing else reads process.env.
import { UsageError } from './errors.ts';
import { parseSecretKey } from './secrets.ts';
import { DEFAULT_CAMERA_NETWORKS, parseCidrList, type Cidr, type OutboundPolicy } from './net-policy.ts';

export interface Env {
  /** Path of sopwatch.yaml (`--config` wins over this). */
  configPath?: string;
  /** Path of a cameras.yaml (`SOPWATCH_CAMERAS`) whose cameras `sopwatch serve` watches, matched to store cameras by name. */
  camerasPath?: string;
  /** PostgreSQL URL; the embedded database is used when absent. */
  databaseUrl?: string;
  /** Redis URL; jobs run in-process when absent. */
  redisUrl?: string;
  /** Where the embedded database, uploads and evidence live. */
  dataDir: string;
  /** TF.js backend: `auto` (tfjs-node when it loads, else wasm), `wasm`, `node`, `cpu`. */
  tfjsBackend: 'auto' | 'wasm' | 'node' | 'cpu';
  /** Detector worker threads; default: one per core, at most 2. */
  detectorThreads: number;
  /**
   * Start detector threads from an esbuild bundle of their TypeScript (`SOPWATCH_BUNDLE`, default on; `0` runs them
   * through tsx, with the sources' own line numbers in stack traces).
   */
  bundleWorkers: boolean;
  /** Roles this process runs: api, worker. */
  roles: Array<'api' | 'worker'>;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  isCi: boolean;
  /** Largest clip upload `sopwatch serve` accepts, in bytes; default 2 GiB. */
  maxUploadBytes: number;
  /** Bearer token that `/metrics` requires; metrics are refused to everyone while it is unset. */
  metricsToken?: string;
  /** Session cookie `Secure` flag: `auto` sets it when the request came over TLS. */
  cookieSecure: 'auto' | 'always' | 'never';
  /** The origin browsers use to reach the API (`https://sop.example.com`) when a proxy rewrites Host. */
  publicOrigin?: string;
  /** BullMQ job lock (`SOPWATCH_JOB_LOCK_MS`): a dead worker's job runs again about this long after it died. */
  jobLockMs?: number;
  /** BullMQ stalled-job check interval (`SOPWATCH_JOB_STALLED_CHECK_MS`). */
  jobStalledCheckMs?: number;
  /** First retry delay of a failed job (`SOPWATCH_JOB_BACKOFF_MS`); doubled on each further retry. */
  jobBackoffMs?: number;
  /** A clip unfinished and untouched this long is queued again by the reconciler (`SOPWATCH_RECONCILE_IDLE_MS`). */
  reconcileIdleMs?: number;
  /** How often the reconciler looks (`SOPWATCH_RECONCILE_INTERVAL_MS`). */
  reconcileIntervalMs?: number;
  /**
   * Key that seals the secrets stored in the database (camera passwords), from `SOPWATCH_SECRET_KEY` (32 bytes, base64
   * or hex). Unset: a key file `secret.key` (mode 0600) in the data directory, created on first start.
   */
  secretKey?: Buffer;
  /** The next key, for `sopwatch secrets rotate-key` when the key comes from the environment (`SOPWATCH_NEW_SECRET_KEY`). */
  newSecretKey?: Buffer;
  /** Frames per second `sopwatch serve` analyses uploaded clips at (`SOPWATCH_ANALYSIS_FPS`, 0 < fps <= 60); default 5. */
  analysisFps?: number;
  /** Folder `sopwatch eval` also looks for labelled clips in (`SOPWATCH_MEDIA`); default `../shared/media`. */
  mediaDir?: string;
  /** Where cameras may be (`SOPWATCH_CAMERA_NETWORKS`, CIDR list); default the private ranges. Loopback only when listed explicitly. */
  cameraNetworks: Cidr[];
  /** Non-public networks webhooks and model endpoints may reach (`SOPWATCH_OUTBOUND_ALLOW`); default none. */
  outboundAllow: Cidr[];
}

function positiveInt(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${name} must be a positive integer, got "${raw}"`);
  return n;
}

function cidrs(name: string, raw: string | undefined, fallback: string): Cidr[] {
  try {
    return parseCidrList(raw === undefined || raw.trim() === '' ? fallback : raw, name);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

function oneOf<T extends string>(name: string, raw: string | undefined, allowed: readonly T[], fallback: T): T {
  if (raw === undefined || raw === '') return fallback;
  if ((allowed as readonly string[]).includes(raw)) return raw as T;
  throw new UsageError(`${name} must be one of ${allowed.join(', ')}, got "${raw}"`);
}

/** An origin as browsers send it (`https://sop.example.com`, `http://10.0.0.5:8080`): scheme, host, port, nothing else. */
function publicOrigin(raw: string): string {
  let url: URL | undefined;
  try {
    url = new URL(raw);
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '' || !/^[^/]*\/\/[^/]+\/?$/.test(raw)) {
    throw new UsageError(`SOPWATCH_PUBLIC_ORIGIN must be an origin such as https://sop.example.com (scheme, host, optional port; no path), got "${raw}"`);
  }
  return url.origin;
}

export function parseEnv(source: NodeJS.ProcessEnv = process.env): Env {
  const roles = (source.SOPWATCH_ROLES ?? 'api,worker')
    .split(',')
    .map((r) => r.trim())
    .filter((r) => r !== '');
  for (const r of roles) {
    if (r !== 'api' && r !== 'worker' && r !== 'all') throw new UsageError(`SOPWATCH_ROLES: unknown role "${r}" (api, worker, all)`);
  }
  const env: Env = {
    dataDir: source.SOPWATCH_DATA_DIR ?? '.data',
    tfjsBackend: oneOf('SOPWATCH_TFJS_BACKEND', source.SOPWATCH_TFJS_BACKEND, ['auto', 'wasm', 'node', 'cpu'] as const, 'auto'),
    detectorThreads: positiveInt('SOPWATCH_DETECTOR_THREADS', source.SOPWATCH_DETECTOR_THREADS, 2),
    bundleWorkers: oneOf('SOPWATCH_BUNDLE', source.SOPWATCH_BUNDLE, ['1', '0'] as const, '1') === '1',
    roles: roles.includes('all') ? ['api', 'worker'] : (roles as Array<'api' | 'worker'>),
    logLevel: oneOf('SOPWATCH_LOG_LEVEL', source.SOPWATCH_LOG_LEVEL, ['debug', 'info', 'warn', 'error'] as const, 'info'),
    isCi: source.CI === 'true',
    maxUploadBytes: positiveInt('SOPWATCH_MAX_UPLOAD_BYTES', source.SOPWATCH_MAX_UPLOAD_BYTES, 2 * 1024 ** 3),
    cookieSecure: oneOf('SOPWATCH_COOKIE_SECURE', source.SOPWATCH_COOKIE_SECURE, ['auto', 'always', 'never'] as const, 'auto'),
    cameraNetworks: cidrs('SOPWATCH_CAMERA_NETWORKS', source.SOPWATCH_CAMERA_NETWORKS, DEFAULT_CAMERA_NETWORKS),
    outboundAllow: cidrs('SOPWATCH_OUTBOUND_ALLOW', source.SOPWATCH_OUTBOUND_ALLOW, ''),
  };
  if (source.SOPWATCH_METRICS_TOKEN) env.metricsToken = source.SOPWATCH_METRICS_TOKEN;
  if (source.SOPWATCH_PUBLIC_ORIGIN) env.publicOrigin = publicOrigin(source.SOPWATCH_PUBLIC_ORIGIN);
  if (source.SOPWATCH_SECRET_KEY) env.secretKey = parseSecretKey(source.SOPWATCH_SECRET_KEY, 'SOPWATCH_SECRET_KEY');
  if (source.SOPWATCH_NEW_SECRET_KEY) env.newSecretKey = parseSecretKey(source.SOPWATCH_NEW_SECRET_KEY, 'SOPWATCH_NEW_SECRET_KEY');
  if (source.SOPWATCH_CONFIG) env.configPath = source.SOPWATCH_CONFIG;
  if (source.SOPWATCH_CAMERAS) env.camerasPath = source.SOPWATCH_CAMERAS;
  if (source.SOPWATCH_MEDIA) env.mediaDir = source.SOPWATCH_MEDIA;
  if (source.DATABASE_URL) env.databaseUrl = source.DATABASE_URL;
  if (source.REDIS_URL) env.redisUrl = source.REDIS_URL;
  // Unset means the built-in defaults (queue settings, reconciler): these exist for operators and chaos tests.
  const optionalMs = (name: string): number | undefined => (source[name] ? positiveInt(name, source[name], 1) : undefined);
  const jobLockMs = optionalMs('SOPWATCH_JOB_LOCK_MS');
  if (jobLockMs !== undefined) env.jobLockMs = jobLockMs;
  const jobStalledCheckMs = optionalMs('SOPWATCH_JOB_STALLED_CHECK_MS');
  if (jobStalledCheckMs !== undefined) env.jobStalledCheckMs = jobStalledCheckMs;
  const jobBackoffMs = optionalMs('SOPWATCH_JOB_BACKOFF_MS');
  if (jobBackoffMs !== undefined) env.jobBackoffMs = jobBackoffMs;
  const reconcileIdleMs = optionalMs('SOPWATCH_RECONCILE_IDLE_MS');
  if (reconcileIdleMs !== undefined) env.reconcileIdleMs = reconcileIdleMs;
  const reconcileIntervalMs = optionalMs('SOPWATCH_RECONCILE_INTERVAL_MS');
  if (reconcileIntervalMs !== undefined) env.reconcileIntervalMs = reconcileIntervalMs;
  if (source.SOPWATCH_ANALYSIS_FPS) {
    const fps = Number(source.SOPWATCH_ANALYSIS_FPS);
    if (!(fps > 0 && fps <= 60)) throw new UsageError(`SOPWATCH_ANALYSIS_FPS must be a number in (0, 60], got "${source.SOPWATCH_ANALYSIS_FPS}"`);
    env.analysisFps = fps;
  }
  return env;
}

/** The outbound-connection policies of an environment: cameras (inside the camera networks) and services (webhooks, models). */
export function outboundPolicies(e: Pick<Env, 'cameraNetworks' | 'outboundAllow'> = env()): { camera: OutboundPolicy; service: OutboundPolicy } {
  return {
    camera: { purpose: 'camera', setting: 'SOPWATCH_CAMERA_NETWORKS', allow: e.cameraNetworks },
    service: { purpose: 'service', setting: 'SOPWATCH_OUTBOUND_ALLOW', allow: e.outboundAllow },
  };
}

/**
 * The camera policy of this process's environment with loopback added to SOPWATCH_CAMERA_NETWORKS: for the demos
 * and the simulator, whose cameras run on 127.0.0.1 and which opt in to them explicitly, as an operator would.
 */
export function loopbackDemoCameraPolicy(source: NodeJS.ProcessEnv = process.env): OutboundPolicy {
  const listed = source.SOPWATCH_CAMERA_NETWORKS ?? DEFAULT_CAMERA_NETWORKS;
  return outboundPolicies(parseEnv({ ...source, SOPWATCH_CAMERA_NETWORKS: `${listed},127.0.0.1/32` })).camera;
}

let cached: Env | undefined;
/** The environment of this process, parsed on first use. */
export function env(): Env {
  cached ??= parseEnv();
  return cached;
}

/**
 * The value of a secret (an API key) held in the environment variable `name`, or undefined when unset or empty.
 * Config files name the variable, never the secret; this is the one place its value is read.
 */
export function secretFromEnv(name: string, source: NodeJS.ProcessEnv = process.env): string | undefined {
  const value = source[name];
  return value === undefined || value === '' ? undefined : value;
}

/** Where the decoder may come from: explicit paths (`SOPWATCH_FFMPEG`, `SOPWATCH_FFPROBE`) and the PATH searched for the system's. */
export interface DecoderEnv {
  ffmpegPath?: string;
  ffprobePath?: string;
  searchPath: string;
}

/** Read apart from `parseEnv` so that a bad unrelated variable never stops decoding. */
export function decoderEnv(source: NodeJS.ProcessEnv = process.env): DecoderEnv {
  const out: DecoderEnv = { searchPath: source.PATH ?? '' };
  if (source.SOPWATCH_FFMPEG) out.ffmpegPath = source.SOPWATCH_FFMPEG;
  if (source.SOPWATCH_FFPROBE) out.ffprobePath = source.SOPWATCH_FFPROBE;
  return out;
}
