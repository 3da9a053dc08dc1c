// `sopwatch cameras add` (issue 14: "the CLI cannot add one either") on the embedded database of a temporary data
// directory: once as a user runs it (a child process, the password on stdin), the other cases through the same
// function in this process. A name alone makes an upload-only camera; with an address the settings are checked like
// the API checks them, and the password is stored sealed.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addCamera } from '../../services/cli/camera-add.ts';
import { UsageError } from '../../services/core/errors.ts';
import { openSecretBox } from '../../services/core/secrets.ts';
import { openDatabase, type Database } from '../../services/core/storage/index.ts';
import { LiveCameraRepository, cameraPasswordContext } from '../../services/core/storage/live-cameras.repository.ts';
import { StoreRepository } from '../../services/core/storage/stores.repository.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'sw-cam-cli-'));
// The in-process calls read the environment once, on first use: this data directory, the default camera networks.
process.env.SOPWATCH_DATA_DIR = dataDir;
delete process.env.SOPWATCH_CAMERA_NETWORKS;
delete process.env.DATABASE_URL;

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'sopwatch.mjs');

function sopwatch(dataDir: string, args: string[], stdin?: string, extraEnv: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const envVars: NodeJS.ProcessEnv = { ...process.env, SOPWATCH_DATA_DIR: dataDir, ...extraEnv };
  delete envVars.DATABASE_URL;
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [BIN, ...args], { env: envVars, timeout: 150_000 }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1, stdout, stderr });
    });
    child.stdin?.end(stdin ?? '');
  });
}

async function withDb<T>(dataDir: string, fn: (db: Database) => Promise<T>): Promise<T> {
  const db = await openDatabase({ dir: join(dataDir, 'db') });
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}

describe('sopwatch cameras add (child process, embedded database)', () => {
  let storeId: string;

  beforeAll(async () => {
    storeId = await withDb(dataDir, async (db) => (await new StoreRepository(db).create({ name: 'Main St', franchise: 'F1' })).id);
  }, 180_000);
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('takes the password from stdin as a user runs it, and never prints it', async () => {
    const pw = 'stdin-Only:pw#2';
    const r = await sopwatch(dataDir, ['cameras', 'add', '--store', storeId, '--name', 'till', '--host', '10.0.0.7', '--username', 'viewer', '--password-stdin'], `${pw}\n`);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/added camera "till" .* watched live at 10\.0\.0\.7, password stored encrypted/);
    expect(r.stdout + r.stderr).not.toContain(pw);
    const row = await withDb(dataDir, async (db) => (await new LiveCameraRepository(db).cameras()).find((c) => c.name === 'till'));
    expect((await openSecretBox({ dataDir })).open(row?.passwordSealed ?? '', cameraPasswordContext(row?.id ?? ''))).toBe(pw);
  }, 180_000);

  it('adds an upload-only camera by name, to the store given by name', async () => {
    expect(await addCamera({ store: 'Main St', name: 'bar-1' })).toMatchObject({ name: 'bar-1', storeId, host: null, hasPassword: false });
    await expect(addCamera({ store: storeId, name: 'bar-1' })).rejects.toThrow(/already has a camera named "bar-1"/);
    await expect(addCamera({ store: 'Elm St', name: 'bar-2' })).rejects.toThrow(/no store "Elm St"/);
  }, 180_000);

  it('adds a live camera with its settings checked and its password sealed', async () => {
    const pw = 'cli-Cam:secret@9';
    expect(await addCamera({ store: storeId, name: 'door', host: '192.168.1.20', source: 'snapshot', snapshotUrl: 'http://192.168.1.20:8080/snap.jpg', username: 'viewer', password: pw }))
      .toMatchObject({ host: '192.168.1.20', hasPassword: true });
    const row = await withDb(dataDir, async (db) => (await new LiveCameraRepository(db).cameras()).find((c) => c.name === 'door'));
    expect(row).toMatchObject({ host: '192.168.1.20', config: { source: 'snapshot', snapshotUrl: 'http://192.168.1.20:8080/snap.jpg', snapshotPorts: [80, 8080], username: 'viewer' } });
    expect(row?.passwordSealed).not.toContain(pw);
    const box = await openSecretBox({ dataDir });
    expect(box.open(row?.passwordSealed ?? '', cameraPasswordContext(row?.id ?? ''))).toBe(pw);
  }, 180_000);

  it('refuses a bad name, a URL pointing elsewhere and an address outside the camera networks, adding nothing', async () => {
    await expect(addCamera({ store: storeId, name: 'bar one' })).rejects.toThrow(/letters, digits/);
    await expect(addCamera({ store: storeId, name: 'x0', password: 'p' })).rejects.toThrow(/--host is required/);
    const elsewhere = addCamera({ store: storeId, name: 'x1', host: '192.168.1.20', snapshotUrl: 'http://192.168.1.99/snap.jpg' });
    await expect(elsewhere).rejects.toThrow(UsageError);
    await expect(elsewhere).rejects.toThrow(/another host|not one configured/);
    await expect(addCamera({ store: storeId, name: 'x2', host: '127.0.0.1' })).rejects.toThrow(/loopback/);
    const names = await withDb(dataDir, async (db) => (await new LiveCameraRepository(db).cameras()).map((c) => c.name).sort());
    expect(names).toEqual(['bar-1', 'door', 'till']);
  }, 180_000);
});
