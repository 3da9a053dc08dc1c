// Schema v15: a store may allow its uploaded clips to be taken out whole (for a franchise's own test set); off by default.
import type { Migration } from './migration.ts';

export const storeClipExport: Migration = {
  version: 15,
  name: 'store-clip-export',
  sql: `
-- allow_clip_export: the original clip file (faces not blurred) may be downloaded by an owner, with its labels.
ALTER TABLE stores ADD COLUMN allow_clip_export boolean NOT NULL DEFAULT false;
`,
};
