// Secrets stored in the database (camera passwords): sealed with AES-256-GCM under one key, which comes from
// SOPWATCH_SECRET_KEY or else from a key file (mode 0600) created in the data directory on first start.
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { chmod, link, mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { SopwatchError, UsageError } from './errors.ts';

/** The key file's name in the data directory. */
export const KEY_FILE = 'secret.key';
const VERSION = 'v1';
const IV_BYTES = 12;

/** A sealed value could not be opened: another key sealed it, or it was altered. Never retried. */
export class SecretError extends SopwatchError {}

/** Seals and opens short secrets. `context` binds a sealed value to its owner (a value moved to another row fails). */
export interface SecretBox {
  /** First 8 hex digits of the key's SHA-256: names the key in sealed values and messages, reveals nothing of it. */
  readonly keyId: string;
  seal(plain: string, context: string): string;
  open(sealed: string, context: string): string;
}

/** The key id a sealed value names (undefined when it is not one of ours). */
export function sealedKeyId(sealed: string): string | undefined {
  const parts = sealed.split('.');
  return parts.length === 5 && parts[0] === VERSION ? parts[1] : undefined;
}

export function keyIdOf(key: Buffer): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 8);
}

export function secretBox(key: Buffer): SecretBox {
  if (key.length !== 32) throw new UsageError('a secret key is 32 bytes');
  const keyId = keyIdOf(key);
  return {
    keyId,
    seal(plain, context) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      cipher.setAAD(Buffer.from(context, 'utf8'));
      const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
      return [VERSION, keyId, iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), body.toString('base64url')].join('.');
    },
    open(sealed, context) {
      const parts = sealed.split('.');
      const [version, id, iv, tag, body] = parts;
      if (parts.length !== 5 || version !== VERSION || iv === undefined || tag === undefined || body === undefined) throw new SecretError('not a sealed secret');
      if (id !== keyId) throw new SecretError(`sealed with key ${String(id)}, but the current key is ${keyId} (was the key changed without \`sopwatch secrets rotate-key\`?)`);
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
        decipher.setAAD(Buffer.from(context, 'utf8'));
        decipher.setAuthTag(Buffer.from(tag, 'base64url'));
        return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
      } catch (cause) {
        throw new SecretError('a sealed secret failed its integrity check (altered, or moved from another row)', { cause });
      }
    },
  };
}

/** A key as written by people and by `sopwatch secrets new-key`: 32 bytes in base64 (44 characters) or hex (64). */
export function parseSecretKey(text: string, name: string): Buffer {
  const t = text.trim();
  const key = /^[0-9a-fA-F]{64}$/.test(t) ? Buffer.from(t, 'hex') : /^[A-Za-z0-9+/_-]{43}=?$/.test(t) ? Buffer.from(t, 'base64') : undefined;
  // The value itself is never repeated in a message.
  if (key?.length !== 32) throw new UsageError(`${name} must be 32 random bytes in base64 (44 characters) or hex (64); make one with \`sopwatch secrets new-key\``);
  return key;
}

export function newSecretKey(): Buffer {
  return randomBytes(32);
}

/** Writes a key file readable by its owner only; `exclusive` refuses to replace an existing file. */
export async function writeKeyFile(path: string, key: Buffer, exclusive: boolean): Promise<void> {
  const file = await open(path, exclusive ? 'wx' : 'w', 0o600);
  try {
    await file.writeFile(`${key.toString('base64')}\n`);
    await file.sync();
  } finally {
    await file.close();
  }
  // The umask may have narrowed the mode further; it can never have widened it, but an old file could be wider.
  await chmod(path, 0o600);
}

async function readKeyFile(path: string): Promise<Buffer> {
  const info = await stat(path);
  if ((info.mode & 0o077) !== 0) throw new UsageError(`${path} is readable by others (mode ${(info.mode & 0o777).toString(8)}): chmod 600 it`);
  return parseSecretKey(await readFile(path, 'utf8'), path);
}

/** Where the key comes from, as `sopwatch secrets` reports it. */
export type KeySource = { kind: 'env' } | { kind: 'file'; path: string; created: boolean };

/**
 * The key of this installation: `envKey` (SOPWATCH_SECRET_KEY, parsed by env.ts) when given, else the key file in
 * `dataDir`, created on first use. Processes that share a PostgreSQL database must share the key (set the variable).
 */
export async function loadSecretKey(o: { envKey?: Buffer; dataDir: string }): Promise<{ key: Buffer; source: KeySource }> {
  if (o.envKey !== undefined) return { key: o.envKey, source: { kind: 'env' } };
  const path = join(o.dataDir, KEY_FILE);
  try {
    return { key: await readKeyFile(path), source: { kind: 'file', path, created: false } };
  } catch (err) {
    if ((err as { code?: string }).code !== 'ENOENT') throw err;
  }
  await mkdir(o.dataDir, { recursive: true });
  const key = newSecretKey();
  // Written whole under a private name, then linked into place: a process starting beside this one (an API and a
  // worker on one data directory) sees no key file or a complete one, never a half-written one.
  const staged = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await writeKeyFile(staged, key, true);
    await link(staged, path);
  } catch (err) {
    // Another process created it first: use theirs.
    if ((err as { code?: string }).code === 'EEXIST') return { key: await readKeyFile(path), source: { kind: 'file', path, created: false } };
    throw err;
  } finally {
    await rm(staged, { force: true });
  }
  return { key, source: { kind: 'file', path, created: true } };
}

export async function openSecretBox(o: { envKey?: Buffer; dataDir: string }): Promise<SecretBox> {
  return secretBox((await loadSecretKey(o)).key);
}

/** Where a rotation stages the next key before the database is re-sealed; renamed over the key file after. */
export const nextKeyFile = (path: string): string => `${path}.next`;

/** Writes the next key beside the key file (replacing a leftover of an earlier attempt). */
export async function stageKeyFile(path: string, next: Buffer): Promise<string> {
  const staged = nextKeyFile(path);
  await rm(staged, { force: true });
  await writeKeyFile(staged, next, true);
  return staged;
}

/** Puts the staged key in place (one rename: the key file is never half-written). */
export async function commitKeyFile(path: string): Promise<void> {
  await rename(nextKeyFile(path), path);
}
