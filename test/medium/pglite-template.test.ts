// A new embedded database starts as a copy of a migrated one (services/core/storage/pglite-template.ts): the same schema
// as initdb and every migration, kept once per PGlite version and set of migrations, made again when the kept copy is
// damaged, and never used where the caller wants an empty database.
import { cp, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StoreRepository } from '../../services/core/storage/stores.repository.ts';
import { migrate, migrations, openDatabase, openPglite, pgliteTemplate, templateKey, type Database } from '../../services/core/storage/index.ts';
import { dropTemplate, wholeTar } from '../../services/core/storage/pglite-template.ts';

let work = '';
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'sopwatch-pglite-template-'));
});
afterAll(async () => {
  if (work !== '') await rm(work, { recursive: true, force: true });
});

/** Everything a schema is made of, in a stable order: columns with their types and defaults, indexes, constraints, migrations. */
async function schemaOf(db: Database): Promise<unknown> {
  const columns = await db.query(`SELECT table_name, column_name, data_type, is_nullable, column_default FROM information_schema.columns
    WHERE table_schema = current_schema() ORDER BY table_name, column_name`);
  const indexes = await db.query(`SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() ORDER BY tablename, indexname`);
  const constraints = await db.query(`SELECT conrelid::regclass::text AS on_table, conname, pg_get_constraintdef(oid) AS def FROM pg_constraint
    WHERE connamespace = current_schema()::regnamespace ORDER BY 1, 2`);
  const applied = await db.query('SELECT version, name, checksum FROM schema_migrations ORDER BY version');
  return { columns: columns.rows, indexes: indexes.rows, constraints: constraints.rows, applied: applied.rows };
}

const templateFiles = async (dir: string): Promise<string[]> => (await readdir(dir).catch(() => [])).filter((f) => f.startsWith('pglite-template.'));

describe('a new embedded database from the template', () => {
  it('has the schema initdb and every migration make, and nothing left to migrate', async () => {
    const dir = join(work, 'cache-a');
    const copied = await openPglite({ template: true, templateDir: dir });
    const plain = await openPglite();
    try {
      // The template was made (once) and kept under its key.
      expect(await templateFiles(dir)).toEqual([`pglite-template.${templateKey()}.tar`]);
      expect((await migrate(copied)).applied).toEqual([]);
      expect((await migrate(plain)).applied).toEqual(migrations.map((m) => m.version));
      expect(await schemaOf(copied)).toEqual(await schemaOf(plain));
      // It holds no rows of its own: the two are alike but for the migrations' record.
      expect((await copied.query('SELECT count(*)::int AS n FROM stores')).rows).toEqual([{ n: 0 }]);
    } finally {
      await copied.close();
      await plain.close();
    }
  });

  it('is read from the kept file in the next process (here: another folder holding the same file), not made again', async () => {
    const from = join(work, 'cache-a');
    const to = join(work, 'cache-b');
    const [name] = await templateFiles(from);
    await rm(to, { recursive: true, force: true });
    await cp(from, to, { recursive: true });
    const template = await pgliteTemplate(() => Promise.reject(new Error('made again')), to);
    expect(template.from).toBe('cache');
    expect(Buffer.from(template.bytes).equals(await readFile(join(to, name ?? '')))).toBe(true);
  });

  it('in a new directory (openDatabase) is the copy, keeps what is written there, and that directory opens again as it is', async () => {
    // The default template exists before the clock is read: a copy's migrations were applied before it, a database
    // made the long way applies them after.
    await (await openDatabase({ memory: true })).close();
    const before = new Date();
    const dir = join(work, 'db-dir');
    const first = await openDatabase({ dir });
    const applied = await first.query<{ at: Date }>('SELECT max(applied_at) AS at FROM schema_migrations');
    expect(applied.rows[0]?.at.getTime()).toBeLessThan(before.getTime());
    const store = await new StoreRepository(first).create({ name: 'Harbour', franchise: 'F1' });
    await first.close();
    // The directory now holds a database: opened, never replaced by a template.
    const again = await openDatabase({ dir });
    try {
      expect((await new StoreRepository(again).get(store.id))?.name).toBe('Harbour');
      expect((await migrate(again)).applied).toEqual([]);
    } finally {
      await again.close();
    }
  });

  it('is not used where the caller wants an empty database (migrate: false)', async () => {
    const db = await openDatabase({ memory: true, migrate: false });
    try {
      expect((await db.query(`SELECT to_regclass('schema_migrations') AS t`)).rows).toEqual([{ t: null }]);
    } finally {
      await db.close();
    }
  });
});

describe('a damaged or unwritable template folder', () => {
  const kept = (): Promise<Buffer> => readFile(join(work, 'cache-a', `pglite-template.${templateKey()}.tar`));

  it('a kept file that is not a whole archive is made again, and the database opens migrated from it', async () => {
    const dir = join(work, 'cache-damaged');
    await mkdir(dir, { recursive: true });
    const path = join(dir, `pglite-template.${templateKey()}.tar`);
    // Overwritten, then cut short: both as a crash or a full disk would leave them.
    const damages = [Buffer.from('not a tarball '.repeat(200)), (await kept()).subarray(0, 512 * 4000)];
    for (const [i, damage] of damages.entries()) {
      await writeFile(path, damage);
      let built = 0;
      const template = await pgliteTemplate(async (list) => {
        built += 1;
        expect(list).toBe(migrations);
        return kept();
      }, dir);
      expect([template.from, built]).toEqual(['built', 1]);
      expect(wholeTar(await readFile(path))).toBe(true);
      // Forgotten for the next damage (a process remembers its template); the last one is kept for the open below.
      if (i < damages.length - 1) await dropTemplate(template);
    }
    const db = await openPglite({ template: true, templateDir: dir });
    try {
      expect((await migrate(db)).applied).toEqual([]);
    } finally {
      await db.close();
    }
  });

  it('a folder that cannot be written keeps the template in this process only', async () => {
    const blocked = join(work, 'a-file');
    await writeFile(blocked, 'a file where the folder would be');
    const template = await pgliteTemplate(kept, blocked);
    expect(template.from).toBe('memory');
    expect((await stat(blocked)).isFile()).toBe(true);
    // Remembered for the next open in this process, not made again.
    expect(await pgliteTemplate(() => Promise.reject(new Error('made again')), blocked)).toBe(template);
  });
});

describe('the template key', () => {
  it('changes with any migration, added or edited, and not otherwise', () => {
    const key = templateKey();
    expect(templateKey([...migrations])).toBe(key);
    expect(templateKey(migrations.slice(0, -1))).not.toBe(key);
    const last = migrations.at(-1);
    if (last === undefined) throw new Error('no migrations');
    expect(templateKey([...migrations.slice(0, -1), { ...last, sql: `${last.sql}\n-- edited` }])).not.toBe(key);
  });
});

describe('wholeTar', () => {
  it('accepts an archive PGlite dumps and refuses one cut short, overwritten, or with a changed header', async () => {
    const bytes = await readFile(join(work, 'cache-a', `pglite-template.${templateKey()}.tar`));
    expect(wholeTar(bytes)).toBe(true);
    expect(wholeTar(bytes.subarray(0, bytes.length - 512))).toBe(false);
    expect(wholeTar(bytes.subarray(0, 512 * 100))).toBe(false);
    const header = Buffer.from(bytes);
    header[10] = (header[10] ?? 0) ^ 1;
    expect(wholeTar(header)).toBe(false);
    expect(wholeTar(Buffer.alloc(4096, 65))).toBe(false);
    expect(wholeTar(Buffer.alloc(0))).toBe(false);
  });
});
