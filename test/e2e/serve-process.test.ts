// The real `sopwatch serve` process: SIGTERM stops it cleanly mid-analysis, the clip goes back to the queue, and the
// next start picks it up from the database (embedded defaults: PGlite, in-process queue).
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClipRepository, openDatabase } from '../../services/core/storage/index.ts';
import { SOP_YAML } from '../medium/api-fixture.ts';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../..');
const CLI = join(ROOT, 'bin/sopwatch.mjs');

interface Serve {
  child: ChildProcess;
  url: string;
  exit: Promise<number | null>;
}

async function serve(dataDir: string): Promise<Serve> {
  const child = spawn(process.execPath, [CLI, 'serve', '--port', '0'], {
    cwd: ROOT,
    env: { ...process.env, SOPWATCH_DATA_DIR: dataDir, SOPWATCH_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const exit = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  let stderr = '';
  const url = await new Promise<string>((resolveUrl, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start within 60 s: ${stderr}`)), 60_000);
    child.stderr?.on('data', (d: Buffer) => {
      stderr += d.toString();
      const m = /sopwatch serve: (http:\/\/\S+)/.exec(stderr);
      if (m?.[1] !== undefined) {
        clearTimeout(timer);
        resolveUrl(m[1]);
      }
    });
    void exit.then((code) => reject(new Error(`serve exited with ${code}: ${stderr}`)));
  });
  return { child, url, exit };
}

describe('sopwatch serve as a process', () => {
  let dataDir: string;
  let password = '';
  let current: Serve | undefined;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'sopwatch-proc-'));
    const { stdout } = await run(process.execPath, [CLI, 'user', 'add', '--email', 'o@f.test', '--role', 'owner', '--franchise', 'F', '--store', 'S'], {
      cwd: ROOT,
      env: { ...process.env, SOPWATCH_DATA_DIR: dataDir },
    });
    password = /^password: (\S+)$/m.exec(stdout)?.[1] ?? '';
  }, 120_000);

  afterAll(async () => {
    if (current && current.child.exitCode === null) {
      current.child.kill('SIGKILL');
      await current.exit;
    }
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('stops on SIGTERM mid-analysis, returns the clip to the queue, and resumes it on the next start', async () => {
    current = await serve(dataDir);
    expect((await fetch(`${current.url}/healthz`)).status).toBe(200);
    const login = await fetch(`${current.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'o@f.test', password }) });
    expect(login.status).toBe(200);
    const cookie = (login.headers.getSetCookie()[0] ?? '').split(';')[0] ?? '';
    const { csrfToken } = (await login.json()) as { csrfToken: string };
    const headers = { cookie, 'x-csrf-token': csrfToken };
    const call = async <T>(base: string, method: string, path: string, body?: unknown): Promise<T> => {
      const res = await fetch(`${base}${path}`, { method, headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
      return (await res.json()) as T;
    };
    const [store] = await call<Array<{ id: string }>>(current.url, 'GET', '/api/stores');
    const storeId = store?.id ?? '';
    const camera = await call<{ id: string }>(current.url, 'POST', `/api/stores/${storeId}/cameras`, { name: 'counter-1' });
    await call(current.url, 'POST', `/api/stores/${storeId}/sops`, { yaml: SOP_YAML });

    const clipPath = join(dataDir, 'long.mp4');
    execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'color=c=gray:s=320x240:d=120:r=10', '-pix_fmt', 'yuv420p', '-c:v', 'libx264', clipPath]);
    const form = new FormData();
    form.append('file', new Blob([await readFile(clipPath)], { type: 'video/mp4' }), 'long.mp4');
    const up = await fetch(`${current.url}/api/stores/${storeId}/clips?cameraId=${camera.id}`, { method: 'POST', headers, body: form });
    expect(up.status).toBe(202);
    const clipId = ((await up.json()) as { clip: { id: string } }).clip.id;

    const waitFor = async (base: string, ok: (c: { status: string; progress: number; attempts: number }) => boolean): Promise<void> => {
      const deadline = Date.now() + 120_000;
      for (;;) {
        const c = await call<{ status: string; progress: number; attempts: number }>(base, 'GET', `/api/clips/${clipId}`);
        if (ok(c)) return;
        if (Date.now() > deadline) throw new Error(`clip stayed ${JSON.stringify(c)}`);
        await new Promise((r) => setTimeout(r, 250));
      }
    };
    await waitFor(current.url, (c) => c.status === 'analysing' && c.progress > 0);

    current.child.kill('SIGTERM');
    expect(await current.exit).toBe(0);
    expect(existsSync(join(dataDir, 'db.lock'))).toBe(false);
    const db = await openDatabase({ dir: join(dataDir, 'db') });
    expect(await new ClipRepository(db).get(clipId)).toMatchObject({ status: 'accepted', attempts: 1 });
    await db.close();

    // Same data directory, a new process: the reconciler finds the clip in the database and starts it again.
    current = await serve(dataDir);
    await waitFor(current.url, (c) => c.status === 'analysing' && c.attempts === 2);
    current.child.kill('SIGTERM');
    expect(await current.exit).toBe(0);
  });
});
