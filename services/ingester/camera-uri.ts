// What a camera-supplied URI may point at: only the configured host, on the configured ports, with expected schemes (no SSRF).
import { CameraUriRefusedError } from './camera-errors.ts';
import { redactUrl } from './redact.ts';

export interface UriPolicy {
  /** The host the camera was configured with; a URI naming any other host is refused. */
  host: string;
  /** Ports the URI may use; a URI without a port means the scheme's default. */
  ports: readonly number[];
  schemes: ReadonlyArray<'rtsp' | 'rtsps' | 'http' | 'https'>;
}

const DEFAULT_PORTS: Record<string, number> = { rtsp: 554, rtsps: 322, http: 80, https: 443 };

function normaliseHost(host: string): string {
  return host.replace(/^\[|\]$/g, '').toLowerCase();
}

/**
 * The URI, parsed and checked against the policy, with any userinfo the camera put in it removed
 * (credentials are added by us, from config, just before use). Throws CameraUriRefusedError.
 */
export function checkCameraUri(uri: unknown, policy: UriPolicy, what: string): URL {
  if (typeof uri !== 'string' || uri.trim() === '') throw new CameraUriRefusedError(`${what}: the camera returned no URI`);
  let url: URL;
  try {
    url = new URL(uri.trim());
  } catch (cause) {
    throw new CameraUriRefusedError(`${what}: the camera returned an unparsable URI`, { cause });
  }
  const scheme = url.protocol.replace(/:$/, '');
  if (!(policy.schemes as readonly string[]).includes(scheme)) {
    throw new CameraUriRefusedError(`${what}: scheme "${scheme}" refused (allowed: ${policy.schemes.join(', ')})`);
  }
  if (normaliseHost(url.hostname) !== normaliseHost(policy.host)) {
    throw new CameraUriRefusedError(`${what}: ${redactUrl(uri)} points at another host than the configured ${policy.host}; refused`);
  }
  const port = url.port === '' ? DEFAULT_PORTS[scheme] : Number(url.port);
  if (port === undefined || !policy.ports.includes(port)) {
    throw new CameraUriRefusedError(`${what}: ${redactUrl(uri)} uses port ${String(port)}, not one configured for this camera (${policy.ports.join(', ')}); refused`);
  }
  url.username = '';
  url.password = '';
  return url;
}

/** The URL with credentials added, percent-encoded (raw `@:/` in a password would break the URL). */
export function withCredentials(url: URL | string, username: string | undefined, password: string | undefined): string {
  const u = new URL(url.toString());
  if (username !== undefined && username !== '') {
    u.username = encodeURIComponent(username);
    u.password = encodeURIComponent(password ?? '');
  }
  return u.toString();
}
