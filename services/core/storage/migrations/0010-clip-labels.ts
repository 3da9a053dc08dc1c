// Schema v10: labels people put on a clip's timeline. "missed": a violation of a rule the analysis did not raise (the
// other half of accuracy, beside confirmed and dismissed alerts). "not_violation": a dismissed alert's reason kept as a
// label, so that the clip's test set still says "clean here" after a re-analysis or a changed decision.
import type { Migration } from './migration.ts';

export const clipLabels: Migration = {
  version: 10,
  name: 'clip-labels',
  sql: `
CREATE TABLE clip_labels (
  id text PRIMARY KEY DEFAULT gen_random_uuid()::text,
  store_id text NOT NULL REFERENCES stores (id) ON DELETE CASCADE,
  clip_id text NOT NULL REFERENCES clips (id) ON DELETE CASCADE,
  sop_id text NOT NULL,
  rule text NOT NULL,
  kind text NOT NULL CHECK (kind IN ('too_short', 'too_long', 'forbidden', 'gap', 'missing_step', 'out_of_order', 'timeout', 'verify_failed')),
  label text NOT NULL CHECK (label IN ('missed', 'not_violation')),
  start_s double precision NOT NULL CHECK (start_s >= 0),
  end_s double precision NOT NULL CHECK (end_s > start_s),
  note text,
  -- The dismissed alert a not_violation label came from (kept when the alert row goes).
  violation_id text REFERENCES violations (id) ON DELETE SET NULL,
  created_by text REFERENCES users (id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX clip_labels_clip_idx ON clip_labels (clip_id, start_s);
CREATE INDEX clip_labels_store_created_idx ON clip_labels (store_id, created_at);
-- One label per dismissed alert.
CREATE UNIQUE INDEX clip_labels_violation_key ON clip_labels (violation_id) WHERE violation_id IS NOT NULL;
`,
};
