// PostgreSQL (a `pg` pool) as a Database, for several processes or machines sharing one store of truth.
import pg from 'pg';
import type { Database, Queryable, QueryResult, Row } from './database.ts';
import { DatabaseError, wrapDriverError } from './storage-errors.ts';

export interface PostgresOptions {
  /** `postgres://user@host:port/db` */
  url: string;
  /** Schema to use instead of `public` (tests use a fresh one each); must already exist. */
  schema?: string;
  /** Pool size; default 5, enough for one API process and a worker on 2 cores. */
  max?: number;
}

const INT8 = 20;
const NUMERIC = 1700;

// int8 (counts, bytes) and numeric as numbers, like the embedded backend does.
const typeParsers: pg.CustomTypesConfig = {
  getTypeParser(oid: number, format?: 'text' | 'binary'): (value: string) => unknown {
    if (oid === INT8 || oid === NUMERIC) return (v: string) => Number(v);
    return format === 'binary' ? pg.types.getTypeParser(oid, 'binary') : pg.types.getTypeParser(oid, 'text');
  },
};

function adapt(target: pg.Pool | pg.PoolClient): Queryable {
  return {
    async query<T extends Row = Row>(sql: string, params: readonly unknown[] = []): Promise<QueryResult<T>> {
      try {
        const r = await target.query<T>(sql, params as unknown[]);
        return { rows: r.rows, rowCount: r.rowCount ?? r.rows.length };
      } catch (err) {
        throw wrapDriverError(err, sql);
      }
    },
    async exec(sql: string): Promise<void> {
      try {
        // Without parameters pg uses the simple protocol, which runs a multi-statement script.
        await target.query(sql);
      } catch (err) {
        throw wrapDriverError(err, sql);
      }
    },
  };
}

export function openPostgres(options: PostgresOptions): Database {
  if (options.schema !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/.test(options.schema)) {
    throw new DatabaseError(`invalid schema name "${options.schema}" (lower-case letters, digits, _)`);
  }
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.max ?? 5,
    types: typeParsers,
    // Set at connection start-up, so every pooled connection sees the same schema with no race.
    ...(options.schema === undefined ? {} : { options: `-c search_path=${options.schema}` }),
  });
  // An idle client losing its server must not crash the process; the next query reports the failure.
  pool.on('error', () => undefined);
  const base = adapt(pool);
  let closed = false;
  return {
    kind: 'postgres',
    ...base,
    async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
      let client: pg.PoolClient;
      try {
        client = await pool.connect();
      } catch (err) {
        throw wrapDriverError(err, 'connect');
      }
      let broken: Error | undefined;
      try {
        await client.query('BEGIN');
        const result = await fn(adapt(client));
        await client.query('COMMIT');
        return result;
      } catch (err) {
        try {
          await client.query('ROLLBACK');
        } catch (rollbackErr) {
          broken = rollbackErr as Error;
        }
        throw err;
      } finally {
        // A connection whose rollback failed is in an unknown state: destroy it instead of pooling it.
        client.release(broken);
      }
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      await pool.end();
    },
  };
}
