// Schema v1: stores, people and sessions, cameras, SOP files, clips, violations and their review, costs, audit, outbox.
import type { Migration } from './migration.ts';

const id = `text PRIMARY KEY DEFAULT gen_random_uuid()::text`;
const created = `created_at timestamptz NOT NULL DEFAULT now()`;
// A time span is either wall-clock (live cameras) or seconds from the clip start (uploads), never neither.
const span = `
  start_at timestamptz,
  end_at timestamptz,
  start_s double precision,
  end_s double precision,
  CHECK ((start_at IS NOT NULL AND end_at IS NOT NULL) OR (start_s IS NOT NULL AND end_s IS NOT NULL))`;

export const initial: Migration = {
  version: 1,
  name: 'initial',
  sql: `
CREATE TABLE stores (
  id ${id},
  name text NOT NULL,
  franchise text,
  tz text NOT NULL DEFAULT 'UTC',
  retention_days integer NOT NULL DEFAULT 3 CHECK (retention_days BETWEEN 1 AND 3650),
  ${created}
);

CREATE TABLE users (
  id ${id},
  email text NOT NULL,
  password_hash text NOT NULL,
  role text NOT NULL CHECK (role IN ('owner', 'manager', 'auditor')),
  disabled_at timestamptz,
  ${created}
);
CREATE UNIQUE INDEX users_email_key ON users (lower(email));

CREATE TABLE user_stores (
  user_id text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  store_id text NOT NULL REFERENCES stores (id) ON DELETE CASCADE,
  PRIMARY KEY (user_id, store_id)
);
CREATE INDEX user_stores_store_idx ON user_stores (store_id);

-- id is the SHA-256 of the session token: a database leak gives no usable cookie.
CREATE TABLE sessions (
  id text PRIMARY KEY,
  user_id text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  expires_at timestamptz NOT NULL,
  revoked_at timestamptz,
  ${created}
);
CREATE INDEX sessions_user_idx ON sessions (user_id);

CREATE TABLE cameras (
  id ${id},
  store_id text NOT NULL REFERENCES stores (id) ON DELETE CASCADE,
  name text NOT NULL,
  host text,
  tags text[] NOT NULL DEFAULT '{}',
  config jsonb NOT NULL DEFAULT '{}',
  ${created},
  UNIQUE (store_id, name)
);

CREATE TABLE sop_files (
  id ${id},
  store_id text NOT NULL REFERENCES stores (id) ON DELETE CASCADE,
  sop_id text NOT NULL,
  version integer NOT NULL CHECK (version >= 1),
  yaml text NOT NULL,
  compiled jsonb NOT NULL,
  enabled boolean NOT NULL DEFAULT true,
  shadow boolean NOT NULL DEFAULT false,
  ${created},
  UNIQUE (store_id, sop_id, version)
);

CREATE TABLE clips (
  id ${id},
  store_id text NOT NULL REFERENCES stores (id) ON DELETE CASCADE,
  camera_id text REFERENCES cameras (id) ON DELETE SET NULL,
  filename text NOT NULL,
  path text NOT NULL,
  bytes bigint NOT NULL CHECK (bytes >= 0),
  status text NOT NULL DEFAULT 'accepted' CHECK (status IN ('accepted', 'analysing', 'done', 'failed')),
  progress double precision NOT NULL DEFAULT 0 CHECK (progress >= 0 AND progress <= 1),
  error text,
  started_at timestamptz,
  finished_at timestamptz,
  attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  sha256 text CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  ${created},
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX clips_store_created_idx ON clips (store_id, created_at DESC);
-- The reconciler looks for clips that Redis may have forgotten.
CREATE INDEX clips_unfinished_idx ON clips (updated_at) WHERE status IN ('accepted', 'analysing');

-- id is deterministic (clip or camera + the engine's violation id): re-analysis upserts, never duplicates.
CREATE TABLE violations (
  id text PRIMARY KEY,
  store_id text NOT NULL REFERENCES stores (id) ON DELETE CASCADE,
  camera_id text NOT NULL,
  clip_id text REFERENCES clips (id) ON DELETE SET NULL,
  sop_id text NOT NULL,
  sop_version integer,
  rule text NOT NULL,
  step text,
  kind text NOT NULL CHECK (kind IN ('too_short', 'too_long', 'forbidden', 'gap', 'missing_step', 'out_of_order', 'timeout', 'verify_failed')),
  severity text NOT NULL CHECK (severity IN ('low', 'medium', 'high')),
  ${span},
  subject text,
  ongoing boolean NOT NULL DEFAULT false,
  message text NOT NULL,
  decided_by text NOT NULL,
  confidence double precision NOT NULL CHECK (confidence >= 0 AND confidence <= 1),
  evidence jsonb NOT NULL DEFAULT '[]',
  status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'confirmed', 'dismissed', 'needs_review')),
  ${created},
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX violations_store_created_idx ON violations (store_id, created_at DESC);
CREATE INDEX violations_clip_idx ON violations (clip_id);

CREATE TABLE review_items (
  id text PRIMARY KEY,
  store_id text NOT NULL REFERENCES stores (id) ON DELETE CASCADE,
  camera_id text NOT NULL,
  clip_id text REFERENCES clips (id) ON DELETE SET NULL,
  sop_id text NOT NULL,
  sop_version integer,
  rule text NOT NULL,
  step text,
  severity text NOT NULL CHECK (severity IN ('low', 'medium', 'high')),
  ${span},
  reason text NOT NULL,
  question text,
  answer jsonb,
  status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved')),
  violation_id text REFERENCES violations (id) ON DELETE SET NULL,
  ${created},
  resolved_at timestamptz
);
CREATE INDEX review_items_store_status_idx ON review_items (store_id, status);

CREATE TABLE reviews (
  id ${id},
  violation_id text NOT NULL REFERENCES violations (id) ON DELETE CASCADE,
  user_id text REFERENCES users (id) ON DELETE SET NULL,
  decision text NOT NULL CHECK (decision IN ('confirmed', 'dismissed')),
  reason_code text,
  comment text,
  at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX reviews_violation_idx ON reviews (violation_id);

CREATE TABLE evidence (
  id ${id},
  violation_id text NOT NULL REFERENCES violations (id) ON DELETE CASCADE,
  path text NOT NULL,
  kind text NOT NULL,
  bytes bigint NOT NULL DEFAULT 0 CHECK (bytes >= 0),
  ${created},
  UNIQUE (violation_id, path)
);

CREATE TABLE model_calls (
  id ${id},
  store_id text REFERENCES stores (id) ON DELETE SET NULL,
  provider text NOT NULL,
  model text NOT NULL,
  tokens_in integer NOT NULL DEFAULT 0 CHECK (tokens_in >= 0),
  tokens_out integer NOT NULL DEFAULT 0 CHECK (tokens_out >= 0),
  cost_usd double precision NOT NULL DEFAULT 0 CHECK (cost_usd >= 0),
  at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX model_calls_store_at_idx ON model_calls (store_id, at);

-- Money set aside before a model call so concurrent calls cannot overspend a budget together.
CREATE TABLE budget_reservations (
  id ${id},
  store_id text NOT NULL REFERENCES stores (id) ON DELETE CASCADE,
  amount_usd double precision NOT NULL CHECK (amount_usd >= 0),
  purpose text NOT NULL,
  model_call_id text REFERENCES model_calls (id) ON DELETE SET NULL,
  expires_at timestamptz NOT NULL,
  settled_at timestamptz,
  ${created}
);
CREATE INDEX budget_reservations_open_idx ON budget_reservations (store_id) WHERE settled_at IS NULL;

-- No foreign key: the trail must outlive what it talks about.
CREATE TABLE audit_log (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at timestamptz NOT NULL DEFAULT now(),
  actor text NOT NULL,
  store_id text,
  action text NOT NULL,
  target text,
  detail jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_store_at_idx ON audit_log (store_id, at);

CREATE FUNCTION audit_log_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER audit_log_no_update_delete BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change();

CREATE TABLE notifications (
  id ${id},
  store_id text NOT NULL REFERENCES stores (id) ON DELETE CASCADE,
  channel text NOT NULL,
  payload jsonb NOT NULL,
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
  attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  next_at timestamptz NOT NULL DEFAULT now(),
  last_error text,
  dedupe_key text NOT NULL UNIQUE,
  ${created},
  sent_at timestamptz
);
CREATE INDEX notifications_due_idx ON notifications (next_at) WHERE status = 'pending';
`,
};
