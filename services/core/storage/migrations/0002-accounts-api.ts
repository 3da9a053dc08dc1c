// Schema v2 for the HTTP API: owners belong to a franchise, SOP versions enabled per camera, frames counted per clip.
import type { Migration } from './migration.ts';

export const accountsApi: Migration = {
  version: 2,
  name: 'accounts-api',
  sql: `
-- An owner sees every store whose franchise is theirs; managers and auditors see the stores in user_stores.
ALTER TABLE users ADD COLUMN franchise text;
ALTER TABLE users ADD CONSTRAINT users_owner_has_franchise CHECK (role <> 'owner' OR franchise IS NOT NULL);
CREATE INDEX stores_franchise_idx ON stores (franchise);

-- NULL: every camera of the store that the file names; otherwise only these camera ids.
ALTER TABLE sop_files ADD COLUMN camera_ids text[];
CREATE INDEX sop_files_store_sop_idx ON sop_files (store_id, sop_id, version DESC);
-- At most one enabled version per SOP id and store: the engine must never run two revisions of one file.
CREATE UNIQUE INDEX sop_files_one_enabled_key ON sop_files (store_id, sop_id) WHERE enabled;

ALTER TABLE clips ADD COLUMN frames integer NOT NULL DEFAULT 0 CHECK (frames >= 0);
`,
};
