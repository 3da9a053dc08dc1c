// Per-camera figures for /metrics (state, frame rates, drops, reconnects, model calls per camera-hour), from what each
// camera's worker last reported.
import type { Database } from '../core/storage/index.ts';
import { CameraStatusRepository } from '../core/storage/camera-status.repository.ts';
import { STALE_REPORT_MS } from './camera-views.ts';

export interface MetricFamily {
  name: string;
  type: 'gauge' | 'counter';
  help: string;
  samples: Array<[Record<string, string>, number]>;
}

const STATES = ['starting', 'online', 'offline', 'backoff', 'stopped', 'unknown'] as const;

export async function cameraMetrics(db: Database): Promise<MetricFamily[]> {
  const rows = await new CameraStatusRepository(db).allStatuses();
  const fam = (name: string, type: MetricFamily['type'], help: string): MetricFamily => ({ name, type, help, samples: [] });
  const up = fam('sopwatch_camera_up', 'gauge', '1 when the camera gives frames to a worker that reported it within 30 s.');
  const state = fam('sopwatch_camera_state', 'gauge', 'The camera\'s state (1 for the current one).');
  const fpsIn = fam('sopwatch_camera_fps_in', 'gauge', 'Frames per second arriving from the camera (last 10 s).');
  const fpsOut = fam('sopwatch_camera_fps_out', 'gauge', 'Frames per second taken by the analysis (last 10 s).');
  const dropped = fam('sopwatch_camera_dropped_frames_total', 'counter', 'Frames dropped because the analysis was behind (since the watch started).');
  const reconnects = fam('sopwatch_camera_reconnects_last_hour', 'gauge', 'Stream restarts in the last hour.');
  const stalls = fam('sopwatch_camera_stalls_last_hour', 'gauge', 'Streams found stalled in the last hour.');
  // The frame stage (services/frames): what was decoded, what moved near the zones, what the detector saw and cost.
  const stageFams = [
    ['frames', fam('sopwatch_camera_frames_decoded_total', 'counter', 'Frames decoded and handed to the frame stage (since the watch started).')],
    ['motionFrames', fam('sopwatch_camera_motion_frames_total', 'counter', 'Frames with motion near the SOP zones.')],
    ['detectorCalls', fam('sopwatch_camera_detector_calls_total', 'counter', 'Frames the detector ran on (the rest carried the last detections forward).')],
    ['detectorMs', fam('sopwatch_camera_detector_ms_total', 'counter', 'Detector time, ms, summed over calls.')],
    ['checks', fam('sopwatch_camera_person_checks_total', 'counter', 'Frames where the pose model checked persons already found instead of a detector call.')],
  ] as const;
  // The rules' questions to the vision model (services/live/live-pipeline.ts stats), since the watch started.
  const modelFams = [
    ['watchedMs', fam('sopwatch_camera_watched_seconds_total', 'counter', 'Camera time watched by the rules, s (since the watch started).'), 1 / 1000],
    ['questions', fam('sopwatch_camera_verify_questions_total', 'counter', 'Verify questions asked (one per gated episode).'), 1],
    ['modelCalls', fam('sopwatch_camera_model_calls_total', 'counter', 'Vision-model HTTP calls those questions took.'), 1],
    ['reusedAnswers', fam('sopwatch_camera_model_answers_reused_total', 'counter', 'Answers reused from an earlier question about the same, unchanged scene.'), 1],
    ['modelCostUsd', fam('sopwatch_camera_model_cost_usd_total', 'counter', 'What the model calls cost, USD.'), 1],
    ['modelCallsPerCameraHour', fam('sopwatch_camera_model_calls_per_camera_hour', 'gauge', 'Model calls per hour of camera time watched.'), 1],
  ] as const;
  for (const r of rows) {
    const labels = { store: r.storeId, camera: r.cameraName };
    const fresh = r.ageMs !== null && r.ageMs < STALE_REPORT_MS;
    const current = r.state === 'stopped' || fresh ? r.state : 'unknown';
    const n = (key: string): number => {
      const v = r.health[key];
      return typeof v === 'number' ? v : 0;
    };
    up.samples.push([labels, fresh && r.state === 'online' ? 1 : 0]);
    for (const s of STATES) state.samples.push([{ ...labels, state: s }, current === s ? 1 : 0]);
    fpsIn.samples.push([labels, fresh ? n('fpsIn') : 0]);
    fpsOut.samples.push([labels, fresh ? n('fpsOut') : 0]);
    dropped.samples.push([labels, n('dropped')]);
    reconnects.samples.push([labels, n('reconnectsLastHour')]);
    stalls.samples.push([labels, n('stallsLastHour')]);
    const pipeline = r.health.pipeline;
    const stage = typeof pipeline === 'object' && pipeline !== null ? (pipeline as Record<string, unknown>).stage : undefined;
    for (const [key, f] of stageFams) {
      const v = typeof stage === 'object' && stage !== null ? (stage as Record<string, unknown>)[key] : undefined;
      f.samples.push([labels, typeof v === 'number' && Number.isFinite(v) ? v : 0]);
    }
    for (const [key, f, scale] of modelFams) {
      const v = typeof pipeline === 'object' && pipeline !== null ? (pipeline as Record<string, unknown>)[key] : undefined;
      f.samples.push([labels, typeof v === 'number' && Number.isFinite(v) ? Math.round(v * scale * 1e6) / 1e6 : 0]);
    }
  }
  return [up, state, fpsIn, fpsOut, dropped, reconnects, stalls, ...stageFams.map(([, f]) => f), ...modelFams.map(([, f]) => f)];
}
