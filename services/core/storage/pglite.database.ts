// Embedded PostgreSQL (PGlite, WebAssembly) as a Database: on disk under the data directory, or in memory for tests.
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { PGlite, types, type PGliteOptions, type Transaction } from '@electric-sql/pglite';
import type { Database, Queryable, QueryResult, Row } from './database.ts';
import { acquireDirLock, type DirLock } from './dir-lock.ts';
import { migrate } from './migrate.ts';
import type { Migration } from './migrations/index.ts';
import { dropTemplate, pgliteTemplate, type PgliteTemplate } from './pglite-template.ts';
import { pgliteModule, type PgliteTiering } from './pglite-wasm.ts';
import { wrapDriverError } from './storage-errors.ts';

export interface PgliteOptions {
  /** Directory of the database files; absent = in memory (gone on close). */
  dir?: string;
  /**
   * A new database (in memory, or in a directory that does not exist yet or is empty) starts as a copy of one migrated
   * to the current schema (pglite-template.ts) instead of an empty one: about half the work of initdb and every
   * migration. For callers that migrate with every migration next (openDatabase); an existing database is opened as it is.
   */
  template?: boolean;
  /** Where the template is kept; default TEMPLATE_DIR (the project's cache folder). */
  templateDir?: string;
  /**
   * How soon V8 optimises PGlite's wasm (pglite-wasm.ts): `late` (default) for a process that runs for seconds or
   * minutes, `early` (V8's own tiering) for one that runs for days (`sopwatch serve`).
   */
  tiering?: PgliteTiering;
}

/** PGlite's options for a new instance: the parsers, and the process's compiled module of `tiering` when there is one. */
async function baseOptions(tiering: PgliteTiering): Promise<PGliteOptions> {
  const wasmModule = await pgliteModule(tiering);
  return { parsers: PARSERS, ...(wasmModule === undefined ? {} : { wasmModule }) };
}

/** numeric as a number, like the PostgreSQL backend (storage/postgres.database.ts). */
const PARSERS: PGliteOptions['parsers'] = { [types.NUMERIC]: (v: string) => Number(v) };

/** The template's builder: a new database in memory, migrated, its data directory dumped. */
async function buildTemplate(list: readonly Migration[]): Promise<Uint8Array> {
  const pg = await PGlite.create(await baseOptions('late'));
  const db = asDatabase(pg);
  try {
    await migrate(db, list);
    return new Uint8Array(await (await pg.dumpDataDir('none')).arrayBuffer());
  } finally {
    await db.close();
  }
}

/** True when `dir` holds nothing (or is not there): a database may be loaded into it, and emptied again if that fails. */
function emptyDir(dir: string): boolean {
  return !existsSync(dir) || readdirSync(dir).length === 0;
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

/**
 * A PGlite on `dataDir` (in memory when undefined), loaded from `seed` when given. A seed that does not load is dropped
 * (pglite-template.ts) and the database made the long way, in a directory emptied again first.
 */
async function createFrom(dataDir: string | undefined, seed: PgliteTemplate | undefined, tiering: PgliteTiering): Promise<PGlite> {
  const base = { ...(await baseOptions(tiering)), ...(dataDir === undefined ? {} : { dataDir }) };
  if (seed === undefined) return PGlite.create(base);
  try {
    return await PGlite.create({ ...base, loadDataDir: new Blob([seed.bytes]) });
  } catch {
    await dropTemplate(seed);
    if (dataDir !== undefined && existsSync(dataDir)) for (const f of readdirSync(dataDir)) rmSync(resolve(dataDir, f), { recursive: true, force: true });
    return PGlite.create(base);
  }
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
    const seed = options.template === true && (dataDir === undefined || emptyDir(dataDir)) ? await pgliteTemplate(buildTemplate, options.templateDir).catch(() => undefined) : undefined;
    pg = await createFrom(dataDir, seed, options.tiering ?? 'late');
  } catch (err) {
    lock?.release();
    throw wrapDriverError(err, `open ${dataDir ?? 'memory://'}`);
  }
  return asDatabase(pg, lock);
}

/** A running PGlite as a Database; closing it releases `lock` too. */
function asDatabase(pg: PGlite, lock?: DirLock): Database {
  let closed = false;
  return {
    kind: 'pglite',
    ...adapt(pg),
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
