// What the API needs from the outside (database, queue, data directory) and its settings with their defaults.
import type { FastifyServerOptions } from 'fastify';
import type { MomentVideos, VideoWindow } from '../analysis/moment-video.ts';
import type { OutboundPolicy } from '../core/net-policy.ts';
import type { JobQueue } from '../core/queue/index.ts';
import type { SecretBox } from '../core/secrets.ts';
import type { Database } from '../core/storage/index.ts';

export interface ApiConfig {
  /** Largest clip upload, bytes. */
  maxUploadBytes: number;
  /** A resumable upload not finished this long after it started is deleted (its bytes and its record). */
  uploadExpiryMs: number;
  /**
   * An upload of a streamable format (MPEG-TS, raw H.264/H.265, FLV) is analysed as it arrives once this many bytes
   * are in (and again tried after each further this many, until its picture can be read).
   */
  streamStartBytes: number;
  /** A session ends this long after sign-in. */
  sessionTtlMs: number;
  /** `auto`: Secure cookies when the request came over TLS. */
  cookieSecure: 'auto' | 'always' | 'never';
  /** Bearer token for /metrics; metrics are refused while unset. */
  metricsToken?: string;
  /** Origin browsers use, when a proxy rewrites Host; state-changing requests from other origins are refused. */
  publicOrigin?: string;
  /**
   * Refuse requests whose Host is neither a loopback name nor the host of `publicOrigin` (DNS rebinding). `serve`
   * turns it on; off by default for tests that call the app directly.
   */
  hostCheck: boolean;
  /** Failed sign-ins allowed per IP and email within `loginWindowMs` (and 10x that per IP). */
  loginMaxFailures: number;
  loginWindowMs: number;
  /** /readyz gives up on a dependency after this long and answers 503. */
  readyTimeoutMs: number;
  /** Longest time to receive one request (uploads included). */
  requestTimeoutMs: number;
  /** How often live events are read from the database while someone listens. */
  feedIntervalMs: number;
  /** Where stream settings may point; default the environment's camera policy (SOPWATCH_CAMERA_NETWORKS). */
  cameraPolicy?: OutboundPolicy;
  /** The span, rate and size of videos around alerts; default DEFAULT_VIDEO_WINDOW. */
  video?: Partial<VideoWindow>;
  /** Frames per second of the worker's clip analysis (SOPWATCH_ANALYSIS_FPS): a dry run samples the clip alike. */
  analysisFps?: number;
}

export const defaultApiConfig: ApiConfig = {
  maxUploadBytes: 2 * 1024 ** 3,
  uploadExpiryMs: 24 * 3600_000,
  streamStartBytes: 1024 * 1024,
  sessionTtlMs: 12 * 3600_000,
  cookieSecure: 'auto',
  hostCheck: false,
  loginMaxFailures: 5,
  loginWindowMs: 15 * 60_000,
  readyTimeoutMs: 2_000,
  requestTimeoutMs: 30 * 60_000,
  feedIntervalMs: 1_000,
};

export interface ApiDeps {
  db: Database;
  queue: JobQueue;
  /** Uploads go to `<dataDir>/clips`, evidence is read from `<dataDir>/evidence`. */
  dataDir: string;
  config?: Partial<ApiConfig>;
  /** Seals camera passwords; default: the key file of `dataDir` (created on first use). `serve` passes its own. */
  secrets?: SecretBox;
  /** Fastify logger option; default off (the CLI turns it on). */
  logger?: FastifyServerOptions['logger'];
  /** Renders videos around alerts; default one with its own face finder, made on the first request. */
  videos?: MomentVideos;
}
