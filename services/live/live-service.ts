// The live service of one process: which cameras it watches (all of them, or a fair share leased in Redis),
// a camera watch for each, one shared detector, and one sink for verdicts, evidence, health and lease events.
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { secretFromEnv } from '../core/env.ts';
import type { Detector } from '../detector/index.ts';
import type { CameraHealth } from '../ingester/camera-health.ts';
import type { LiveFrame } from '../ingester/live-frame.ts';
import type { OutboundPolicy } from '../core/net-policy.ts';
import type { CompiledSop } from '../rules/compiled.ts';
import type { CameraConfig, LiveConfig } from './camera-config.ts';
import { LeaseDistributor, LocalDistributor, type DistributorEvent } from './camera-distributor.ts';
import { RedisLeaseStore } from './camera-lease.ts';
import { cameraSourceFactory } from './camera-source.ts';
import { mainEvidenceFor, type MainEvidence } from './main-evidence.ts';
import { startCameraWatch, type CameraWatch, type WatchEvent } from './camera-watch.ts';
import type { LivePipelineStats, LiveVerify } from './live-pipeline.ts';

export type LiveServiceEvent = WatchEvent | DistributorEvent;

export interface LiveServiceOptions {
  config: LiveConfig;
  sops: CompiledSop[];
  detector: Pick<Detector, 'detect' | 'keypointsAt'>;
  sink: (event: LiveServiceEvent) => void;
  /** With Redis, cameras are leased so that each is watched by one worker; without, this process watches all. */
  redis?: Redis;
  leasePrefix?: string;
  workerId?: string;
  /** The password of a camera; default: the environment variable its `passwordEnv` names. */
  passwordOf?: (camera: CameraConfig) => string | undefined;
  /** Answers `verify` questions (see LivePipelineOptions.verify). */
  verify?: LiveVerify;
  /** Where cameras may be; default the environment's camera policy (SOPWATCH_CAMERA_NETWORKS). */
  outbound?: OutboundPolicy;
  /** Where main-stream recordings for evidence go (a folder per watched camera); default the system's temporary folder. */
  mainRecordDir?: string;
  /** A main-stream recording could not start or stopped, redacted, once per new reason (for the server log). */
  onRecordingProblem?: (message: string) => void;
}

export class LiveService {
  readonly workerId: string;
  private readonly watches = new Map<string, CameraWatch>();
  private readonly recordings = new Map<string, MainEvidence>();
  private readonly distributor: LeaseDistributor | LocalDistributor;

  constructor(private readonly o: LiveServiceOptions) {
    this.workerId = o.workerId ?? `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
    const cameraIds = o.config.cameras.map((c) => c.id);
    const start = (cameraId: string): { stop(): Promise<void> } => this.watch(cameraId);
    this.distributor =
      o.redis === undefined
        ? new LocalDistributor({ cameraIds, start })
        : new LeaseDistributor({ workerId: this.workerId, cameraIds, store: new RedisLeaseStore(o.redis, o.leasePrefix), ttlMs: o.config.leaseTtlMs, start, onEvent: (e) => o.sink(e) });
  }

  async start(): Promise<void> {
    await this.distributor.start();
  }

  async stop(): Promise<void> {
    await this.distributor.stop();
  }

  /** Cameras this process watches now. */
  watching(): string[] {
    return this.distributor.watching();
  }

  health(): CameraHealth[] {
    return [...this.watches.values()].map((w) => w.health());
  }

  /** Per watched camera: its pipeline's counters (frames analysed, errors, mean lag). */
  stats(): Array<{ cameraId: string } & LivePipelineStats> {
    return [...this.watches.values()].map((w) => ({ cameraId: w.cameraId, ...w.stats() }));
  }

  /** Per watched camera recording its main stream for evidence: state, segments and bytes held, restarts, last problem. */
  mainRecordings(): Array<{ cameraId: string } & ReturnType<MainEvidence['stats']>> {
    return [...this.recordings.entries()].map(([cameraId, m]) => ({ cameraId, ...m.stats() }));
  }

  /** The newest frame analysed on a watched camera (undefined when this process does not watch it). */
  latestFrame(cameraId: string): LiveFrame | undefined {
    return this.watches.get(cameraId)?.latestFrame();
  }

  private watch(cameraId: string): { stop(): Promise<void> } {
    const cam = this.o.config.cameras.find((c) => c.id === cameraId);
    if (cam === undefined) throw new Error(`unknown camera ${cameraId}`);
    const cfg = this.o.config;
    const password = this.o.passwordOf !== undefined ? this.o.passwordOf(cam) : cam.passwordEnv === undefined ? undefined : secretFromEnv(cam.passwordEnv);
    let watch: CameraWatch | undefined;
    // The factory first runs after the watch has started, so `watch` is set by then.
    const source = cameraSourceFactory(cam, password, { onClockSkew: (ms) => watch?.setClockSkew(ms), ...(this.o.outbound === undefined ? {} : { outbound: this.o.outbound }) });
    const main = mainEvidenceFor(cam, password, {
      windowMs: cfg.mainWindowMs,
      maxBytes: cfg.mainMaxBytes,
      ...(this.o.mainRecordDir === undefined ? {} : { dir: this.o.mainRecordDir }),
      ...(this.o.outbound === undefined ? {} : { outbound: this.o.outbound }),
      ...(this.o.onRecordingProblem === undefined ? {} : { onProblem: this.o.onRecordingProblem }),
    });
    const recording = main?.start().catch((err: unknown) => this.o.onRecordingProblem?.(`camera ${cam.id}: cannot record the main stream: ${(err as Error).message}`));
    watch = startCameraWatch({
      cameraId: cam.id,
      cameraTags: cam.tags,
      source,
      expectedFps: cam.fps,
      stallMs: cfg.stallMs,
      startTimeoutMs: cfg.startTimeoutMs,
      backoff: { initialMs: cfg.backoffInitialMs, maxMs: cfg.backoffMaxMs },
      stableMs: cfg.stableMs,
      ...(password === undefined ? {} : { secrets: [password] }),
      sops: this.o.sops,
      detector: this.o.detector,
      evidence: { beforeMs: cfg.evidenceBeforeMs, afterMs: cfg.evidenceAfterMs },
      gapMs: cfg.stallMs,
      ...(this.o.verify === undefined ? {} : { verify: this.o.verify }),
      ...(main === undefined ? {} : { mainStream: main }),
      sink: (e) => this.o.sink(e),
    });
    this.watches.set(cameraId, watch);
    if (main !== undefined) this.recordings.set(cameraId, main);
    return {
      stop: async () => {
        this.watches.delete(cameraId);
        this.recordings.delete(cameraId);
        await watch?.stop();
        watch = undefined;
        // After the pipeline: its last evidence may still read the recording.
        await recording;
        await main?.stop();
      },
    };
  }
}
