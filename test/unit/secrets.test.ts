// Sealed secrets: AES-256-GCM round trip bound to its owner, refused under another key or when altered, keys parsed
// without echoing them, and the key file created once with mode 0600.
import { mkdtemp, readdir, readFile, rm, stat, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseEnv } from '../../services/core/env.ts';
import { KEY_FILE, SecretError, loadSecretKey, newSecretKey, parseSecretKey, secretBox, sealedKeyId } from '../../services/core/secrets.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sopwatch-secrets-'));
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

describe('secretBox', () => {
  const box = secretBox(newSecretKey());

  it('opens what it sealed, for the same owner only; each seal is different', () => {
    const a = box.seal('pässword:with@odd/chars', 'camera-password:c1');
    expect(box.open(a, 'camera-password:c1')).toBe('pässword:with@odd/chars');
    expect(a).not.toContain('pässword');
    expect(box.seal('pässword:with@odd/chars', 'camera-password:c1')).not.toBe(a);
    expect(sealedKeyId(a)).toBe(box.keyId);
    expect(() => box.open(a, 'camera-password:c2')).toThrow(SecretError);
  });

  it('refuses a value sealed under another key, naming both key ids', () => {
    const other = secretBox(newSecretKey());
    const sealed = other.seal('x', 'c');
    expect(() => box.open(sealed, 'c')).toThrow(`sealed with key ${other.keyId}, but the current key is ${box.keyId}`);
  });

  it('refuses an altered value and junk', () => {
    const sealed = box.seal('secret', 'c');
    const parts = sealed.split('.');
    const body = Buffer.from(parts[4] ?? '', 'base64url');
    body[0] = (body[0] ?? 0) ^ 1;
    parts[4] = body.toString('base64url');
    expect(() => box.open(parts.join('.'), 'c')).toThrow(/integrity/);
    expect(() => box.open('secret', 'c')).toThrow('not a sealed secret');
  });
});

describe('keys', () => {
  it('parses base64 and hex keys and refuses anything else without repeating it', () => {
    const key = newSecretKey();
    expect(parseSecretKey(key.toString('base64'), 'K').equals(key)).toBe(true);
    expect(parseSecretKey(key.toString('hex'), 'K').equals(key)).toBe(true);
    for (const bad of ['hunter2-hunter2', key.toString('base64').slice(0, 40), `${key.toString('hex')}00`]) {
      expect(() => parseSecretKey(bad, 'SOPWATCH_SECRET_KEY')).toThrow(/^SOPWATCH_SECRET_KEY must be 32 random bytes/);
      try {
        parseSecretKey(bad, 'SOPWATCH_SECRET_KEY');
      } catch (err) {
        expect((err as Error).message).not.toContain(bad);
      }
    }
  });

  it('reads SOPWATCH_SECRET_KEY in the one place the environment is parsed, and refuses a bad one at start', () => {
    const key = newSecretKey();
    expect(parseEnv({ SOPWATCH_SECRET_KEY: key.toString('base64') }).secretKey?.equals(key)).toBe(true);
    expect(() => parseEnv({ SOPWATCH_SECRET_KEY: 'short' })).toThrow(/SOPWATCH_SECRET_KEY must be/);
  });

  it('creates the key file once, mode 0600, and uses it after; the environment key wins', async () => {
    const data = join(dir, 'data');
    const first = await loadSecretKey({ dataDir: data });
    expect(first.source).toEqual({ kind: 'file', path: join(data, KEY_FILE), created: true });
    expect((await stat(join(data, KEY_FILE))).mode & 0o777).toBe(0o600);
    expect(parseSecretKey(await readFile(join(data, KEY_FILE), 'utf8'), 'f').equals(first.key)).toBe(true);
    const again = await loadSecretKey({ dataDir: data });
    expect(again.source).toMatchObject({ created: false });
    expect(again.key.equals(first.key)).toBe(true);
    const envKey = newSecretKey();
    expect((await loadSecretKey({ dataDir: data, envKey })).key.equals(envKey)).toBe(true);
  });

  it('gives processes starting together one key: a reader never sees a half-written file', async () => {
    // Many first starts at once on one data directory (an API and its workers): one creates, all read the same key.
    for (let round = 0; round < 5; round++) {
      const data = join(dir, `together-${round}`);
      const all = await Promise.all(Array.from({ length: 12 }, () => loadSecretKey({ dataDir: data })));
      expect(all.filter((k) => k.source.kind === 'file' && k.source.created)).toHaveLength(1);
      expect(all.every((k) => k.key.equals(all[0]?.key as Buffer))).toBe(true);
      expect(await readdir(data)).toEqual([KEY_FILE]);
    }
  });

  it('refuses a key file others can read', async () => {
    const data = join(dir, 'loose');
    await loadSecretKey({ dataDir: data });
    await chmod(join(data, KEY_FILE), 0o644);
    await expect(loadSecretKey({ dataDir: data })).rejects.toThrow(/readable by others \(mode 644\): chmod 600/);
  });
});
