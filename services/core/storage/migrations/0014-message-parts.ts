// Schema v14: generated messages kept as data (a code and its values) beside their English text, so that every reader
// gets them in its own language (services/rules/message-text.ts). Null for rows written before.
import type { Migration } from './migration.ts';

export const messageParts: Migration = {
  version: 14,
  name: 'message-parts',
  sql: `
ALTER TABLE violations ADD COLUMN message_parts jsonb;
ALTER TABLE review_items ADD COLUMN reason_parts jsonb;
`,
};
