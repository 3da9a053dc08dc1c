// Schema v7 for recorded clips as stores have them: when the footage was recorded, how that was learnt, and the
// stretches of a damaged clip that could not be analysed (never counted as compliant).
import type { Migration } from './migration.ts';

export const clipRecordingTime: Migration = {
  version: 7,
  name: 'clip-recording-time',
  sql: `
-- recorded_at: the wall-clock instant of the clip's first frame; NULL when neither the file nor the uploader said.
-- recorded_at_source: recorder_header | file_name | container | form | cli.
ALTER TABLE clips ADD COLUMN recorded_at timestamptz;
ALTER TABLE clips ADD COLUMN recorded_at_source text
  CHECK (recorded_at_source IS NULL OR recorded_at_source IN ('recorder_header', 'file_name', 'container', 'form', 'cli'));
-- not_analysed: [{ "start": s, "end": s, "reason": text }] in clip seconds, e.g. a damaged middle the decoder skipped.
ALTER TABLE clips ADD COLUMN not_analysed jsonb NOT NULL DEFAULT '[]'::jsonb;
`,
};
