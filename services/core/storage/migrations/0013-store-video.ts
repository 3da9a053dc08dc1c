// Schema v13: a store may forbid video evidence (clips around alerts); keyframes are unaffected.
import type { Migration } from './migration.ts';

export const storeVideo: Migration = {
  version: 13,
  name: 'store-video',
  sql: `
-- keep_video: false means no video around alerts is cut, kept or served for this store (privacy setting).
ALTER TABLE stores ADD COLUMN keep_video boolean NOT NULL DEFAULT true;
`,
};
