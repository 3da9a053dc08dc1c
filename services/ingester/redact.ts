// Keeps camera credentials out of logs, errors and health: masks URL userinfo, credential query parameters and known secrets.

const USERINFO = /([a-z][a-z0-9+.-]*:\/\/)[^/\s@]*@/gi;
const QUERY_SECRET = /([?&;](?:user(?:name)?|pass(?:word)?|pwd|token|auth)=)[^&\s#]*/gi;
const AUTH_HEADER = /(authorization:\s*(?:basic|digest|bearer)\s+)[^\n]*/gi;

/** Forms a secret can take in text: as given, and percent-encoded as it appears inside a URL. */
function forms(secret: string): string[] {
  const out = new Set([secret, encodeURIComponent(secret)]);
  return [...out].filter((s) => s.length >= 3);
}

/**
 * The text with every `scheme://user:pass@` userinfo, credential query parameter, Authorization
 * header value and each given secret (raw or percent-encoded) replaced by `***`.
 */
export function redact(text: string, secrets: ReadonlyArray<string | undefined> = []): string {
  let out = text.replace(USERINFO, '$1***@').replace(QUERY_SECRET, '$1***').replace(AUTH_HEADER, '$1***');
  for (const secret of secrets) {
    if (secret === undefined || secret === '') continue;
    for (const form of forms(secret)) out = out.split(form).join('***');
  }
  return out;
}

/** A URL for display: no userinfo, credential parameters masked. Unparsable input is masked whole. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return redact(u.toString());
  } catch {
    return '(unparsable URL)';
  }
}

/** The message of an error (or anything thrown), redacted. */
export function redactError(err: unknown, secrets: ReadonlyArray<string | undefined> = []): string {
  const message = err instanceof Error ? err.message : String(err);
  return redact(message, secrets);
}

/** The error itself when its message holds no secret, else a plain Error with the redacted message (kept as a `cause`). */
export function safeCause(err: unknown, secrets: ReadonlyArray<string | undefined> = []): unknown {
  const message = redactError(err, secrets);
  if (err instanceof Error && err.message === message && (err.stack ?? '') === redact(err.stack ?? '', secrets)) return err;
  return new Error(message);
}
