// Write a file so that readers see either nothing or the whole file: temp file beside it, then rename.
import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { EvidenceError } from './errors.ts';

/** Suffix of the temporary files; a cleanup job may delete stale ones. */
export const TEMP_SUFFIX = '.partial';

export async function writeFileAtomic(path: string, bytes: Buffer): Promise<void> {
  const dir = dirname(path);
  const temp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}${TEMP_SUFFIX}`);
  try {
    await mkdir(dir, { recursive: true });
    await writeFile(temp, bytes, { flag: 'wx' });
    await rename(temp, path);
  } catch (err) {
    await rm(temp, { force: true });
    throw new EvidenceError(`write evidence ${path}: ${(err as Error).message}`, { cause: err });
  }
}
