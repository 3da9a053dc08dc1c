// Real `sopwatch serve` child processes for chaos tests (and `sopwatch user add`), each with its own environment.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { resolve, join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
export const ROOT = resolve(import.meta.dirname, '../../..');
const CLI = join(ROOT, 'bin/sopwatch.mjs');

export interface ServeProcess {
  name: string;
  child: ChildProcess;
  pid: number;
  /** `http://127.0.0.1:<port>` when the process has the api role. */
  url: string | undefined;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** What the process wrote to stderr so far (bounded), for failure messages. */
  log(): string;
  /** Signals this process (by its own pid) and waits for it to exit. */
  kill(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const LOG_LIMIT = 64 * 1024;

/** Starts `sopwatch serve --port 0` with `vars` over this process's environment; resolves once it says it runs. */
export async function startServe(name: string, vars: Record<string, string>, timeoutMs = 60_000): Promise<ServeProcess> {
  const child = spawn(process.execPath, [CLI, 'serve', '--port', '0', '--host', '127.0.0.1'], {
    cwd: ROOT,
    env: { ...process.env, SOPWATCH_LOG_LEVEL: 'warn', ...vars },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.once('exit', (code, signal) => r({ code, signal })));
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
    if (stderr.length > LOG_LIMIT) stderr = stderr.slice(-LOG_LIMIT);
  });
  const url = await new Promise<string | undefined>((resolveUrl, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name}: serve did not start within ${timeoutMs} ms:\n${stderr}`)), timeoutMs);
    const onData = (): void => {
      const m = /sopwatch serve: (http:\/\/\S+|worker only)/.exec(stderr);
      if (m?.[1] === undefined) return;
      clearTimeout(timer);
      child.stderr?.off('data', onData);
      resolveUrl(m[1] === 'worker only' ? undefined : m[1]);
    };
    child.stderr?.on('data', onData);
    void exit.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`${name}: serve exited (${code ?? signal}) before starting:\n${stderr}`));
    });
  });
  return {
    name,
    child,
    pid: child.pid ?? -1,
    url,
    exit,
    log: () => stderr,
    kill: async (signal = 'SIGKILL') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exit;
    },
  };
}

/** `sopwatch user add` for an owner of franchise F with one store; returns the generated password. */
export async function addOwner(vars: Record<string, string>, email: string, store: string): Promise<string> {
  const { stdout } = await run(process.execPath, [CLI, 'user', 'add', '--email', email, '--role', 'owner', '--franchise', 'F', '--store', store], {
    cwd: ROOT,
    env: { ...process.env, ...vars },
    timeout: 60_000,
  });
  const password = /^password: (\S+)$/m.exec(stdout)?.[1];
  if (password === undefined) throw new Error(`user add printed no password:\n${stdout}`);
  return password;
}
