// Schema v8: a decision can be taken back for a short while (undo), so each review row keeps the status it replaced.
import type { Migration } from './migration.ts';

export const reviewUndo: Migration = {
  version: 8,
  name: 'review-undo',
  sql: `
-- previous_status: what the violation was before this decision (open or needs_review, or an earlier decision).
-- undone_at: set when the person took the decision back; the row stays, so the history shows both.
ALTER TABLE reviews ADD COLUMN previous_status text;
ALTER TABLE reviews ADD COLUMN undone_at timestamptz;
`,
};
