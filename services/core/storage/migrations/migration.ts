// The shape of one schema migration: a version number, a name and a plain PostgreSQL script.

export interface Migration {
  /** 1, 2, 3…: applied in order, each once. */
  version: number;
  name: string;
  /** Runs on PostgreSQL and PGlite alike; never edited once released (its checksum is recorded). */
  sql: string;
}
