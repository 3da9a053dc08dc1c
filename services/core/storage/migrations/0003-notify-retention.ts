// Schema v3: the notification outbox's claim and cooldown columns, and per-store retention of violations apart from footage.
import type { Migration } from './migration.ts';

export const notifyRetention: Migration = {
  version: 3,
  name: 'notify-retention',
  sql: `
-- retention_days now means footage (uploaded clips and what was drawn from them); violations, their evidence,
-- reviews and review items are kept longer, by their own count.
ALTER TABLE stores ALTER COLUMN retention_days SET DEFAULT 7;
ALTER TABLE stores ADD COLUMN violation_retention_days integer NOT NULL DEFAULT 30
  CHECK (violation_retention_days BETWEEN 1 AND 3650);

-- sending: claimed by one sender, the attempt counted before any byte leaves; suppressed: held back by a cooldown.
ALTER TABLE notifications DROP CONSTRAINT notifications_status_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_status_check
  CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'suppressed'));
ALTER TABLE notifications ADD COLUMN kind text NOT NULL DEFAULT 'violation'
  CHECK (kind IN ('violation', 'escalation', 'digest'));
-- A message about a violation goes when the violation goes (retention, deletion on request).
ALTER TABLE notifications ADD COLUMN violation_id text REFERENCES violations (id) ON DELETE CASCADE;
-- channel|store|camera|sop/rule: one flapping rule on one camera shares one cooldown per channel.
ALTER TABLE notifications ADD COLUMN cooldown_key text;
ALTER TABLE notifications ADD COLUMN suppressed_count integer NOT NULL DEFAULT 0 CHECK (suppressed_count >= 0);
ALTER TABLE notifications ADD COLUMN claimed_at timestamptz;
CREATE INDEX notifications_cooldown_idx ON notifications (cooldown_key, created_at);
CREATE INDEX notifications_sending_idx ON notifications (claimed_at) WHERE status = 'sending';
CREATE INDEX notifications_violation_idx ON notifications (violation_id);
CREATE INDEX notifications_store_created_idx ON notifications (store_id, created_at);
`,
};
