// Schema v6: shadow mode. A violation or review case of a rule marked `shadow: true` is recorded as such: nobody is
// notified, it counts in no compliance figure, and the dashboard shows it apart ("would have alerted").
import type { Migration } from './migration.ts';

export const shadowMode: Migration = {
  version: 6,
  name: 'shadow-mode',
  sql: `
ALTER TABLE violations ADD COLUMN shadow boolean NOT NULL DEFAULT false;
ALTER TABLE review_items ADD COLUMN shadow boolean NOT NULL DEFAULT false;
-- The shadow list ("would have alerted") of a store, newest first; the live list is the same index's other half.
CREATE INDEX violations_store_shadow_created_idx ON violations (store_id, shadow, created_at DESC);
`,
};
