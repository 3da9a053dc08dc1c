// Storage entry: opens the database this process should use (PostgreSQL when a URL is set, else embedded) and migrates it.
import { join } from 'node:path';
import { env } from '../env.ts';
import type { Database } from './database.ts';
import { migrate } from './migrate.ts';
import { openPglite } from './pglite.database.ts';
import { openPostgres } from './postgres.database.ts';
import type { PgliteTiering } from './pglite-wasm.ts';

export type { Database, DatabaseKind, Queryable, QueryResult, Row } from './database.ts';
export { migrate, type MigrateResult } from './migrate.ts';
export { migrations, type Migration } from './migrations/index.ts';
export { openPglite, type PgliteOptions } from './pglite.database.ts';
export { pgliteTemplate, templateKey } from './pglite-template.ts';
export type { PgliteTiering } from './pglite-wasm.ts';
export { openPostgres, type PostgresOptions } from './postgres.database.ts';
export { ClipRepository, type Clip, type ClipFilter, type ClipStatus, type NewClip } from './clips.repository.ts';
export {
  ViolationRepository,
  violationKey,
  type ReviewDecision,
  type ReviewInput,
  type ViolationFilter,
  type ViolationRecord,
  type ViolationStatus,
  type ViolationUpsert,
} from './violations.repository.ts';
export { AuditRepository, type AuditEntry, type AuditRecord } from './audit.repository.ts';
export { DatabaseError, DatabaseLockedError, DatabaseUnavailableError, InvalidTransitionError, MigrationError, NotFoundError } from './storage-errors.ts';

export interface OpenDatabaseOptions {
  /** PostgreSQL URL; default env().databaseUrl. */
  url?: string;
  /** PostgreSQL schema (tests). */
  schema?: string;
  /** Embedded database directory; default `<dataDir>/db`. Given without `url`, it selects the embedded backend. */
  dir?: string;
  /** Embedded and in memory (tests); wins over `dir`. */
  memory?: boolean;
  /** Apply pending migrations on open; default true. */
  migrate?: boolean;
  /** How soon V8 optimises the embedded database's wasm (PgliteOptions.tiering): `early` for a long-running service. */
  tiering?: PgliteTiering;
}

/** The database of this process, migrated to the current schema. */
export async function openDatabase(options: OpenDatabaseOptions = {}): Promise<Database> {
  // An explicit embedded choice (memory, dir) wins over DATABASE_URL.
  const embedded = options.memory === true || (options.dir !== undefined && options.url === undefined);
  const url = embedded ? undefined : (options.url ?? env().databaseUrl);
  const db = url !== undefined
    ? openPostgres({ url, ...(options.schema === undefined ? {} : { schema: options.schema }) })
    : await openPglite({
      ...(options.memory === true ? {} : { dir: options.dir ?? join(env().dataDir, 'db') }),
      // A new database that is migrated next starts migrated (pglite-template.ts).
      template: options.migrate !== false,
      ...(options.tiering === undefined ? {} : { tiering: options.tiering }),
    });
  if (options.migrate !== false) {
    try {
      await migrate(db);
    } catch (err) {
      await db.close();
      throw err;
    }
  }
  return db;
}
