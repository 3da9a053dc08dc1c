// Embedded PostgreSQL (PGlite, WebAssembly) as a Database: on disk under the data directory, or in memory for tests.
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { PGlite, types, type Transaction } from '@electric-sql/pglite';
import type { Database, Queryable, QueryResult, Row } from './database.ts';
import { acquireDirLock, type DirLock } from './dir-lock.ts';
import { wrapDriverError } from './storage-errors.ts';

export interface PgliteOptions {
  /** Directory of the database files; absent = in memory (gone on close). */
  dir?: string;
}

type PgliteLike = Pick<PGlite, 'query' | 'exec'> | Transaction;

function adapt(target: PgliteLike): Queryable {
  return {
    async query<T extends Row = Row>(sql: string, params: readonly unknown[] = []): Promise<QueryResult<T>> {
      try {
        const r = await target.query<T>(sql, params as unknown[]);
        return { rows: r.rows, rowCount: Math.max(r.affectedRows ?? 0, r.rows.length) };
      } catch (err) {
        throw wrapDriverError(err, sql);
      }
    },
    async exec(sql: string): Promise<void> {
      try {
        await target.exec(sql);
      } catch (err) {
        throw wrapDriverError(err, sql);
      }
    },
  };
}

/** Opens (creating if needed) an embedded database. On disk, the directory gets one owner: see dir-lock.ts. */
export async function openPglite(options: PgliteOptions = {}): Promise<Database> {
  let lock: DirLock | undefined;
  let dataDir: string | undefined;
  if (options.dir !== undefined) {
    dataDir = resolve(options.dir);
    mkdirSync(dirname(dataDir), { recursive: true });
    lock = acquireDirLock(`${dataDir}.lock`, `embedded database ${dataDir}`);
  }
  let pg: PGlite;
  try {
    // numeric as a number, like the PostgreSQL backend (storage/postgres.database.ts).
    pg = await PGlite.create({ ...(dataDir === undefined ? {} : { dataDir }), parsers: { [types.NUMERIC]: (v: string) => Number(v) } });
  } catch (err) {
    lock?.release();
    throw wrapDriverError(err, `open ${dataDir ?? 'memory://'}`);
  }
  const base = adapt(pg);
  let closed = false;
  return {
    kind: 'pglite',
    ...base,
    async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
      return pg.transaction((tx) => fn(adapt(tx)));
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      try {
        await pg.close();
      } finally {
        lock?.release();
      }
    },
  };
}
