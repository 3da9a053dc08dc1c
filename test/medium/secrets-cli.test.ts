// Key rotation: `sopwatch secrets rotate-key` as an operator runs it (a child process on the embedded database of a
// temporary data directory) seals every stored camera password again under a new key and replaces the key file
// (mode 0600); the old key opens nothing after. With SOPWATCH_SECRET_KEY the new key comes from the environment, and
// a key that does not open every stored secret changes nothing.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rotateKey, secretStatus } from '../../services/core/secret-rotation.ts';
import { KEY_FILE, loadSecretKey, newSecretKey, parseSecretKey, secretBox, type SecretBox } from '../../services/core/secrets.ts';
import { openDatabase, type Database } from '../../services/core/storage/index.ts';
import { CameraRepository } from '../../services/core/storage/cameras.repository.ts';
import { LiveCameraRepository, cameraPasswordContext } from '../../services/core/storage/live-cameras.repository.ts';
import { StoreRepository } from '../../services/core/storage/stores.repository.ts';

const run = promisify(execFile);
const BIN = join(import.meta.dirname, '..', '..', 'bin', 'sopwatch.mjs');
const PASSWORDS = ['first-cam-pw', 'second:cam@pw'];

async function sopwatch(dataDir: string, args: string[], extra: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const envVars: NodeJS.ProcessEnv = { ...process.env, SOPWATCH_DATA_DIR: dataDir, ...extra };
  delete envVars.DATABASE_URL;
  if (extra.SOPWATCH_SECRET_KEY === undefined) delete envVars.SOPWATCH_SECRET_KEY;
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], { env: envVars, timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

async function withDb<T>(dataDir: string, fn: (db: Database) => Promise<T>): Promise<T> {
  const db = await openDatabase({ dir: join(dataDir, 'db') });
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}

/** A store with two cameras whose passwords are sealed under `box`, and one camera without. */
async function seed(dataDir: string, box: SecretBox): Promise<string[]> {
  return withDb(dataDir, async (db) => {
    const store = await new StoreRepository(db).create({ name: 'Rot St', franchise: 'F' });
    const ids: string[] = [];
    for (const [i, name] of ['door', 'bar', 'till'].entries()) {
      const cam = await new CameraRepository(db).create({ storeId: store.id, name });
      const pw = PASSWORDS[i];
      if (pw !== undefined) await new LiveCameraRepository(db).setStreamConfig(cam.id, store.id, `10.0.0.${i + 1}`, { username: 'u' }, { sealed: box.seal(pw, cameraPasswordContext(cam.id)) });
      ids.push(cam.id);
    }
    return ids;
  });
}

async function sealedOf(where: string | Database): Promise<Map<string, string>> {
  const read = async (db: Database): Promise<Map<string, string>> => new Map((await new LiveCameraRepository(db).cameras()).filter((c) => c.passwordSealed !== null).map((c) => [c.id, c.passwordSealed ?? '']));
  return typeof where === 'string' ? withDb(where, read) : read(where);
}

describe('key rotation', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sopwatch-secrets-cli-'));
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it('sopwatch secrets rotate-key (child process, key file): every password sealed again, the file replaced, the old key opens nothing', async () => {
    const dataDir = join(dir, 'file');
    const old = await loadSecretKey({ dataDir });
    const oldBox = secretBox(old.key);
    const ids = await seed(dataDir, oldBox);

    const res = await sopwatch(dataDir, ['secrets', 'rotate-key']);
    expect(res.code, res.stderr).toBe(0);
    const newBox = secretBox(parseSecretKey(await readFile(join(dataDir, KEY_FILE), 'utf8'), 'key file'));
    expect(newBox.keyId).not.toBe(oldBox.keyId);
    expect(res.stdout).toContain(`re-sealed 2 secret(s) under key ${newBox.keyId} (was ${oldBox.keyId})`);
    expect((await stat(join(dataDir, KEY_FILE))).mode & 0o777).toBe(0o600);
    await expect(stat(join(dataDir, `${KEY_FILE}.next`))).rejects.toThrow();
    const sealed = await sealedOf(dataDir);
    expect(sealed.size).toBe(2);
    for (const [i, pw] of PASSWORDS.entries()) {
      const id = ids[i] ?? '';
      expect(newBox.open(sealed.get(id) ?? '', cameraPasswordContext(id))).toBe(pw);
      expect(() => oldBox.open(sealed.get(id) ?? '', cameraPasswordContext(id))).toThrow(/current key/);
    }
    await withDb(dataDir, async (db) => expect(await secretStatus(db, newBox)).toEqual({ total: 2, unreadable: [] }));
  }, 300_000);

  it('with SOPWATCH_SECRET_KEY: needs the new key, changes nothing when a secret does not open, writes no key file', async () => {
    const dataDir = join(dir, 'env');
    const oldKey = newSecretKey();
    const ids = await seed(dataDir, secretBox(oldKey));
    await withDb(dataDir, async (db) => {
      await expect(rotateKey({ db, dataDir, envKey: oldKey })).rejects.toThrow(/set SOPWATCH_NEW_SECRET_KEY/);
      const before = await sealedOf(db);
      await expect(rotateKey({ db, dataDir, envKey: newSecretKey(), newKey: newSecretKey() })).rejects.toThrow(/nothing was changed: 2 stored secret\(s\) do not open/);
      expect(await sealedOf(db)).toEqual(before);
      const nextKey = newSecretKey();
      const r = await rotateKey({ db, dataDir, envKey: oldKey, newKey: nextKey });
      expect(r).toMatchObject({ resealed: 2, already: 0, source: { kind: 'env' }, to: secretBox(nextKey).keyId });
      const sealed = await sealedOf(db);
      expect(secretBox(nextKey).open(sealed.get(ids[1] ?? '') ?? '', cameraPasswordContext(ids[1] ?? ''))).toBe(PASSWORDS[1]);
      expect(await secretStatus(db, secretBox(oldKey))).toEqual({ total: 2, unreadable: [...sealed.keys()].sort() });
    });
    await expect(stat(join(dataDir, KEY_FILE))).rejects.toThrow();
  }, 300_000);
});
