// Files under the data directory, found from paths stored in rows: resolved safely, removed idempotently.
import { lstat, readdir, rm, rmdir } from 'node:fs/promises';
import { isAbsolute, resolve, sep } from 'node:path';

function inside(root: string, abs: string): string | undefined {
  const base = resolve(root);
  return abs.startsWith(base + sep) ? abs : undefined;
}

/** An evidence path (relative to the data directory) as an absolute path, or undefined if it would leave the directory. */
export function evidenceFile(dataDir: string, rel: string): string | undefined {
  return isAbsolute(rel) ? undefined : inside(dataDir, resolve(dataDir, rel));
}

/** A clip path as the upload route stored it (absolute, or relative to the working directory), kept inside the data directory. */
export function clipFile(dataDir: string, stored: string): string | undefined {
  return inside(dataDir, resolve(stored));
}

/** The folder of a clip's frames, timeline and keyframes. */
export function clipEvidenceDir(dataDir: string, clipId: string): string | undefined {
  return /^[A-Za-z0-9._-]+$/.test(clipId) && clipId !== '.' && clipId !== '..' ? inside(dataDir, resolve(dataDir, 'evidence', clipId)) : undefined;
}

/** Removes a file; true when it existed. A missing file is not an error (a second run, a crash before). */
export async function removeFile(abs: string): Promise<boolean> {
  try {
    const s = await lstat(abs);
    if (s.isDirectory()) return false;
  } catch {
    return false;
  }
  await rm(abs, { force: true });
  return true;
}

/** Names of the files directly in a folder; empty when it does not exist. */
export async function filesIn(dir: string): Promise<string[]> {
  try {
    const entries = await readdir(dir, { withFileTypes: true });
    return entries.filter((e) => e.isFile() || e.isSymbolicLink()).map((e) => e.name);
  } catch {
    return [];
  }
}

export async function removeDirIfEmpty(dir: string): Promise<void> {
  try {
    await rmdir(dir);
  } catch {
    // Not empty, or already gone: both are fine.
  }
}

/** Removes a folder and what it holds; the number of files that were in it. */
export async function removeTree(dir: string): Promise<number> {
  let n = 0;
  try {
    const entries = await readdir(dir, { recursive: true, withFileTypes: true });
    n = entries.filter((e) => !e.isDirectory()).length;
  } catch {
    return 0;
  }
  await rm(dir, { recursive: true, force: true });
  return n;
}
