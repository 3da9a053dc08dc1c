// A private PostgreSQL 15 for one chaos test: initdb into a temp dir, its own port, trust auth on loopback.
// PostgreSQL refuses to run as root, so as root every pg command runs as the `postgres` user on a dir it owns.
import { execFile } from 'node:child_process';
import { chown, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { freePort } from './wait.ts';

const run = promisify(execFile);
const BIN = '/usr/lib/postgresql/15/bin';
const DATABASE = 'sopwatch';

export interface PrivatePostgres {
  url: string;
  port: number;
  dir: string;
  /** Pid of the postmaster, from its pid file; undefined while it is down. */
  pid(): Promise<number | undefined>;
  /** `pg_ctl stop -m <mode>` on our data directory only. */
  stop(mode?: 'smart' | 'fast' | 'immediate'): Promise<void>;
  start(): Promise<void>;
  /** `pg_ctl restart -m <mode>`. */
  restart(mode?: 'smart' | 'fast' | 'immediate'): Promise<void>;
  /** One statement on a fresh connection (assertions). */
  query<R extends Record<string, unknown> = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<R[]>;
  destroy(): Promise<void>;
}

async function asPostgres(file: string, args: string[]): Promise<string> {
  const root = process.getuid?.() === 0;
  const { stdout } = root
    ? await run('runuser', ['-u', 'postgres', '--', file, ...args], { timeout: 60_000 })
    : await run(file, args, { timeout: 60_000 });
  return stdout;
}

export async function startPostgres(): Promise<PrivatePostgres> {
  const dir = await mkdtemp(join(tmpdir(), 'sw-chaos-pg-'));
  if (process.getuid?.() === 0) {
    const { stdout } = await run('id', ['-u', 'postgres']);
    const { stdout: gid } = await run('id', ['-g', 'postgres']);
    await chown(dir, Number(stdout.trim()), Number(gid.trim()));
  }
  const data = join(dir, 'data');
  const port = await freePort();
  await asPostgres(`${BIN}/initdb`, ['-D', data, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--no-sync', '--no-instructions']);
  // fsync off: a throw-away cluster; `-m fast` still shuts down cleanly, so nothing is lost in these tests.
  const serverOptions = `-p ${port} -k ${dir} -h 127.0.0.1 -c fsync=off -c max_connections=60`;
  const ctl = (...args: string[]): Promise<string> => asPostgres(`${BIN}/pg_ctl`, ['-D', data, '-l', join(dir, 'server.log'), '-w', '-t', '30', ...args]);
  const start = async (): Promise<void> => {
    await ctl('-o', serverOptions, 'start');
  };
  await start();

  const admin = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', database: 'postgres' });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${DATABASE}`);
  await admin.end();

  const url = `postgres://postgres@127.0.0.1:${port}/${DATABASE}`;
  const pid = async (): Promise<number | undefined> => {
    const text = await readFile(join(data, 'postmaster.pid'), 'utf8').catch(() => undefined);
    const n = Number(text?.split('\n')[0]);
    return Number.isInteger(n) && n > 0 ? n : undefined;
  };
  return {
    url,
    port,
    dir,
    pid,
    stop: async (mode = 'fast') => {
      await ctl('-m', mode, 'stop');
    },
    start,
    restart: async (mode = 'fast') => {
      await ctl('-m', mode, '-o', serverOptions, 'restart');
    },
    query: async <R extends Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<R[]> => {
      const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
      client.on('error', () => undefined);
      await client.connect();
      try {
        return (await client.query<R>(sql, params)).rows;
      } finally {
        await client.end();
      }
    },
    destroy: async () => {
      const running = await pid();
      if (running !== undefined) {
        await ctl('-m', 'immediate', 'stop').catch(() => {
          // pg_ctl could not stop it: end our own postmaster by its pid, nothing else.
          try {
            process.kill(running, 'SIGKILL');
          } catch {
            // already gone
          }
        });
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
