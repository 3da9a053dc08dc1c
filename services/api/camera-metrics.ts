// Per-camera figures for /metrics (state, frame rates, drops, reconnects), from what each camera's worker last reported.
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
  }
  return [up, state, fpsIn, fpsOut, dropped, reconnects, stalls];
}
