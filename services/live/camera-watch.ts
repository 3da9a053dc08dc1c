// Watching one camera: its supervisor (frames, liveness, restarts) feeding its live pipeline (rules), wired so that
// an offline camera closes the rules at its last frame and its not-monitored span reaches the sink.
import type { CameraEvent, CameraHealth } from '../ingester/camera-health.ts';
import { CameraSupervisor, type SupervisorOptions } from '../ingester/camera-supervisor.ts';
import type { LiveFrame } from '../ingester/live-frame.ts';
import { LivePipeline, type LiveEvent, type LivePipelineOptions, type LivePipelineStats } from './live-pipeline.ts';

export type WatchEvent = LiveEvent | CameraEvent;

export interface CameraWatchOptions extends Omit<SupervisorOptions, 'onEvent'>, Omit<LivePipelineOptions, 'frames' | 'sink' | 'cameraId'> {
  sink: (event: WatchEvent) => void;
}

export interface CameraWatch {
  readonly cameraId: string;
  health(): CameraHealth;
  /** Shown in health: the camera clock minus ours. */
  setClockSkew(ms: number | undefined): void;
  stats(): LivePipelineStats;
  /** The newest frame the pipeline took. */
  latestFrame(): LiveFrame | undefined;
  /** Stops the camera (its ffmpeg ends), then lets the pipeline close its rules and send pending evidence. */
  stop(): Promise<void>;
}

export function startCameraWatch(o: CameraWatchOptions): CameraWatch {
  // The pipeline reads the supervisor's frames, and the supervisor tells the pipeline when the camera drops out.
  const late: { pipeline?: LivePipeline } = {};
  const supervisor = new CameraSupervisor({
    ...o,
    onEvent: (event) => {
      if (event.type === 'offline' && event.wasOnline) late.pipeline?.cameraOffline(event.lastFrameMs, event.reason);
      o.sink(event);
    },
  });
  const p = new LivePipeline({ ...o, frames: supervisor.frames, sink: (e) => o.sink(e) });
  late.pipeline = p;
  const running = p.run();
  supervisor.start();
  return {
    cameraId: o.cameraId,
    health: () => supervisor.health(),
    setClockSkew: (ms) => supervisor.setClockSkew(ms),
    stats: () => p.stats(),
    latestFrame: () => p.latestFrame(),
    stop: async () => {
      await supervisor.stop();
      await running;
    },
  };
}
