// Schema v5: a camera's password is stored sealed (AES-256-GCM, services/core/secrets.ts), never as a variable name.
import type { Migration } from './migration.ts';

export const cameraSecrets: Migration = {
  version: 5,
  name: 'camera-secrets',
  sql: `
-- The camera's password, sealed under the installation's key ("v1.<key id>.<iv>.<tag>.<ciphertext>"); NULL: none.
-- Only the live worker opens it; no API answer, export or log ever carries it.
ALTER TABLE cameras ADD COLUMN password_sealed text;

-- Stream settings saved through the API could name any environment variable of the server as the password
-- (issue 10): such names are dropped. The operator's own cameras.yaml may still name one.
UPDATE cameras SET config = config - 'passwordEnv';
`,
};
