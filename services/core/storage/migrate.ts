// Brings a database to the schema this build expects: pending migrations applied once, in one transaction.
import { createHash } from 'node:crypto';
import type { Database } from './database.ts';
import { migrations as allMigrations, type Migration } from './migrations/index.ts';
import { MigrationError } from './storage-errors.ts';

/** Advisory-lock class of sopwatch migrations; the second key is the schema, so test schemas do not wait on each other. */
const LOCK_CLASS = 0x53570001;

export interface MigrateResult {
  /** Versions applied by this call (empty when the schema was current). */
  applied: number[];
  /** Schema version after the call. */
  version: number;
}

function checksum(sql: string): string {
  return createHash('sha256').update(sql).digest('hex');
}

/**
 * Versions ascend; a gap is allowed (migration numbers are handed out to branches in advance, and a branch carries
 * only its own until they are merged), a repeat or a step back is not.
 */
function checkOrder(list: readonly Migration[]): void {
  list.forEach((m, i) => {
    const before = i === 0 ? 0 : (list[i - 1]?.version ?? 0);
    if (!(Number.isInteger(m.version) && m.version > before)) throw new MigrationError(`migration "${m.name}" has version ${m.version}, expected more than ${before}`);
  });
}

/**
 * Applies pending migrations. Several processes may start at once: on PostgreSQL they queue on an
 * advisory lock and the later ones find nothing left to do.
 */
export async function migrate(db: Database, list: readonly Migration[] = allMigrations): Promise<MigrateResult> {
  checkOrder(list);
  return db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1::integer, hashtext(current_schema()))', [LOCK_CLASS]);
    await tx.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version integer PRIMARY KEY,
      name text NOT NULL,
      checksum text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`);
    const done = await tx.query<{ version: number; name: string; checksum: string }>(
      'SELECT version, name, checksum FROM schema_migrations ORDER BY version',
    );
    for (const row of done.rows) {
      const known = list.find((m) => m.version === row.version);
      if (known === undefined) {
        const latest = list.at(-1)?.version ?? 0;
        const why = row.version > latest ? `newer than this build knows (${latest})` : `a version this build does not have (it knows up to ${latest})`;
        throw new MigrationError(`database schema is at version ${row.version} ("${row.name}"), ${why}; upgrade sopwatch`);
      }
      if (checksum(known.sql) !== row.checksum) {
        throw new MigrationError(`migration ${row.version} ("${row.name}") was changed after it was applied; restore it and add a new migration instead`);
      }
    }
    const applied: number[] = [];
    const doneVersions = new Set(done.rows.map((r) => r.version));
    for (const m of list.filter((x) => !doneVersions.has(x.version))) {
      try {
        await tx.exec(m.sql);
      } catch (err) {
        throw new MigrationError(`migration ${m.version} ("${m.name}") failed`, { cause: err });
      }
      await tx.query('INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)', [m.version, m.name, checksum(m.sql)]);
      applied.push(m.version);
    }
    return { applied, version: list.at(-1)?.version ?? 0 };
  });
}
