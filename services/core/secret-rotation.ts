// Re-sealing every stored secret under a new key, in one transaction: all of them move, or none does.
import { UsageError } from './errors.ts';
import { SecretError, commitKeyFile, loadSecretKey, newSecretKey, sealedKeyId, secretBox, stageKeyFile, type KeySource, type SecretBox } from './secrets.ts';
import type { Database } from './storage/index.ts';
import { CameraSecretRepository } from './storage/camera-secrets.repository.ts';
import { cameraPasswordContext } from './storage/live-cameras.repository.ts';

export interface RotationResult {
  /** Secrets sealed again under the new key. */
  resealed: number;
  /** Secrets already under the new key (an earlier run that stopped after its commit). */
  already: number;
}

export async function rotateSecrets(db: Database, from: SecretBox, to: SecretBox): Promise<RotationResult> {
  return db.transaction(async (tx) => {
    const repo = new CameraSecretRepository(tx);
    const rows = await repo.all(true);
    const unreadable: string[] = [];
    let resealed = 0;
    let already = 0;
    for (const row of rows) {
      const context = cameraPasswordContext(row.cameraId);
      if (sealedKeyId(row.sealed) === to.keyId && from.keyId !== to.keyId) {
        already += 1;
        continue;
      }
      let plain: string;
      try {
        plain = from.open(row.sealed, context);
      } catch (err) {
        if (!(err instanceof SecretError)) throw err;
        unreadable.push(`camera ${row.cameraId} (${err.message})`);
        continue;
      }
      if (!(await repo.replace(row.cameraId, row.sealed, to.seal(plain, context)))) throw new SecretError(`camera ${row.cameraId} changed during the rotation: run it again`);
      resealed += 1;
    }
    // Rolled back: a secret the current key cannot open would be lost for good under the new one.
    if (unreadable.length > 0) throw new SecretError(`nothing was changed: ${unreadable.length} stored secret(s) do not open with the current key ${from.keyId}: ${unreadable.join('; ')}`);
    return { resealed, already };
  });
}

/** How many stored secrets open with `box` (for `sopwatch secrets status`). */
export async function secretStatus(db: Database, box: SecretBox): Promise<{ total: number; unreadable: string[] }> {
  const rows = await new CameraSecretRepository(db).all();
  const unreadable = rows.filter((row) => {
    try {
      box.open(row.sealed, cameraPasswordContext(row.cameraId));
      return false;
    } catch {
      return true;
    }
  }).map((r) => r.cameraId);
  return { total: rows.length, unreadable };
}

export interface KeyRotation extends RotationResult {
  from: string;
  to: string;
  /** Where the new key is: the key file (already in place), or the environment (the operator must set it). */
  source: KeySource;
}

/**
 * `sopwatch secrets rotate-key`: with the key file, a new key is staged beside it, every secret is sealed again in one
 * transaction, then the staged key replaces the file. With SOPWATCH_SECRET_KEY, `newKey` (SOPWATCH_NEW_SECRET_KEY) is
 * required and the operator gives it to every process afterwards.
 */
export async function rotateKey(o: { db: Database; dataDir: string; envKey?: Buffer; newKey?: Buffer }): Promise<KeyRotation> {
  const current = await loadSecretKey({ dataDir: o.dataDir, ...(o.envKey === undefined ? {} : { envKey: o.envKey }) });
  if (current.source.kind === 'env' && o.newKey === undefined) {
    throw new UsageError('the key comes from SOPWATCH_SECRET_KEY: set SOPWATCH_NEW_SECRET_KEY to the new key too (make one with `sopwatch secrets new-key`)');
  }
  const from = secretBox(current.key);
  const next = o.newKey ?? newSecretKey();
  const to = secretBox(next);
  if (to.keyId === from.keyId) throw new UsageError('the new key is the current key');
  // Staged first: were the process to stop after the commit, the new key would still be on disk beside the old.
  if (current.source.kind === 'file') await stageKeyFile(current.source.path, next);
  const result = await rotateSecrets(o.db, from, to);
  if (current.source.kind === 'file') await commitKeyFile(current.source.path);
  return { ...result, from: from.keyId, to: to.keyId, source: current.source };
}
