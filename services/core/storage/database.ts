// The one database interface both backends (embedded PGlite, PostgreSQL) implement; repositories use only this.

/** A row as the driver returns it: column name to value. */
export type Row = Record<string, unknown>;

export interface QueryResult<T extends Row = Row> {
  rows: T[];
  /** Rows the statement touched (inserted, updated, deleted or returned). */
  rowCount: number;
}

/** Something SQL can run on: the database itself, or an open transaction. */
export interface Queryable {
  /** One statement with `$1…$n` parameters. */
  query<T extends Row = Row>(sql: string, params?: readonly unknown[]): Promise<QueryResult<T>>;
  /** A script of several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
}

export type DatabaseKind = 'pglite' | 'postgres';

export interface Database extends Queryable {
  readonly kind: DatabaseKind;
  /**
   * Runs `fn` in one transaction: committed when it resolves, rolled back when it throws. Inside `fn` use only
   * `tx`: the embedded backend has one connection, so a query on the database itself would wait for the transaction.
   */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /** Waits for running statements, closes connections and releases the data directory. */
  close(): Promise<void>;
}
