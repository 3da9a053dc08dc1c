// Deterministic, filesystem-safe names for evidence files: the same violation and time give the same name.
import { createHash } from 'node:crypto';

/**
 * `<readable id>-t<ms>-<hash>.<ext>`: readable in a directory listing, and the hash keeps ids that
 * differ only in punctuation (`p:3` and `p_3`) from colliding.
 */
export function evidenceFileName(id: string, tMs: number, ext = 'jpg'): string {
  const readable = id.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^[._]+/, '').slice(0, 100);
  const hash = createHash('sha256').update(`${id}\n${tMs}`).digest('hex').slice(0, 10);
  return `${readable}-t${Math.round(tMs)}-${hash}.${ext}`;
}
