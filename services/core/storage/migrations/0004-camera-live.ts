// Schema v4 for live cameras: spans a camera was not monitored, and the newest health each camera's worker reported.
import type { Migration } from './migration.ts';

export const cameraLive: Migration = {
  version: 4,
  name: 'camera-live',
  sql: `
-- A span in which a camera was not watched (offline, handed over, sopwatch stopped): nothing in it is compliance.
-- end_at is NULL while the span is open. No foreign key on the camera: the report must outlive a deleted camera.
CREATE TABLE camera_unmonitored (
  id text PRIMARY KEY DEFAULT gen_random_uuid()::text,
  store_id text NOT NULL REFERENCES stores (id) ON DELETE CASCADE,
  camera_id text NOT NULL,
  start_at timestamptz NOT NULL,
  end_at timestamptz,
  reason text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  CHECK (end_at IS NULL OR end_at >= start_at),
  UNIQUE (store_id, camera_id, start_at)
);
CREATE INDEX camera_unmonitored_store_start_idx ON camera_unmonitored (store_id, start_at);
CREATE INDEX camera_unmonitored_open_idx ON camera_unmonitored (camera_id) WHERE end_at IS NULL;

-- The newest health of each watched camera, written by the worker that watches it, read by the API and /metrics.
-- snapshot_path: the newest picture, faces blurred (relative to the data directory), taken at snapshot_at.
-- snapshot_wanted_at: someone asked for that picture (zone editor), so the worker refreshes it more often.
CREATE TABLE camera_status (
  camera_id text PRIMARY KEY REFERENCES cameras (id) ON DELETE CASCADE,
  store_id text NOT NULL REFERENCES stores (id) ON DELETE CASCADE,
  worker_id text,
  state text NOT NULL,
  health jsonb NOT NULL DEFAULT '{}',
  reported_at timestamptz,
  snapshot_path text,
  snapshot_at timestamptz,
  snapshot_wanted_at timestamptz
);
CREATE INDEX camera_status_store_idx ON camera_status (store_id);
`,
};
