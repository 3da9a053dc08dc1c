// A private redis-server for one chaos test: its own port and directory (AOF on, noeviction), killed only by its own pid.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort, waitUntil } from './wait.ts';

export interface PrivateRedis {
  url: string;
  port: number;
  dir: string;
  /** Pid of the running server; undefined while it is down. */
  pid(): number | undefined;
  /** Sends `signal` to our server (default SIGKILL) and waits for it to exit. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts the server again on the same port and directory: the AOF brings back what was written. */
  start(): Promise<void>;
  flushAll(): Promise<void>;
  /** A short-lived client for assertions. */
  client(): Redis;
  destroy(): Promise<void>;
}

export async function startRedis(): Promise<PrivateRedis> {
  const dir = await mkdtemp(join(tmpdir(), 'sw-chaos-redis-'));
  const port = await freePort();
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();

  const start = async (): Promise<void> => {
    child = spawn('redis-server', [
      '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'yes', '--dir', dir,
      '--maxmemory-policy', 'noeviction', '--logfile', join(dir, 'redis.log'),
    ], { stdio: 'ignore' });
    const running = child;
    exited = new Promise((resolve) => running.once('exit', () => resolve()));
    await waitUntil('redis-server to accept connections', 10_000, async () => {
      if (running.exitCode !== null) throw new Error(`redis-server exited with ${running.exitCode} (log in ${dir})`);
      const probe = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null });
      probe.on('error', () => undefined);
      try {
        await probe.connect();
        return (await probe.ping()) === 'PONG';
      } catch {
        return false;
      } finally {
        probe.disconnect();
      }
    });
  };

  const kill = async (signal: NodeJS.Signals = 'SIGKILL'): Promise<void> => {
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    child.kill(signal);
    await exited;
    child = undefined;
  };

  await start();
  const url = `redis://127.0.0.1:${port}`;
  const client = (): Redis => {
    const c = new Redis(url, { maxRetriesPerRequest: 1 });
    c.on('error', () => undefined);
    return c;
  };
  return {
    url,
    port,
    dir,
    pid: () => child?.pid,
    kill,
    start,
    flushAll: async () => {
      const c = client();
      try {
        await c.flushall();
      } finally {
        c.disconnect();
      }
    },
    client,
    destroy: async () => {
      await kill('SIGKILL');
      await rm(dir, { recursive: true, force: true });
    },
  };
}
