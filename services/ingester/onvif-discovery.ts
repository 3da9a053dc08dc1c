// WS-Discovery of ONVIF cameras on the local network: raw probe matches only, so no found device is ever
// contacted (the library's default would connect to each one without credentials).
import { onvifLib } from './onvif-lib.ts';

export interface DiscoveredCamera {
  /** The device's endpoint reference (usually `urn:uuid:...`). */
  urn: string;
  /** Device service URLs the camera announced. */
  xaddrs: string[];
  /** Host of the first device service URL: what to put in the camera config. */
  host?: string;
  port?: number;
  scopes: string[];
  /** From the `onvif://www.onvif.org/name/...` and `.../location/...` scopes, when present. */
  name?: string;
  location?: string;
  hardware?: string;
}

export interface DiscoverOptions {
  /** How long each probe listens for answers. Default 3000. */
  timeoutMs?: number;
  /** Probes sent one after another (a single multicast UDP probe can be lost). Default 2. */
  probes?: number;
}

let errorListener = false;

function text(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v !== null && typeof v === 'object' && typeof (v as { _?: unknown })._ === 'string') return (v as { _: string })._;
  return '';
}

function scopeValue(scopes: string[], kind: string): string | undefined {
  const prefix = `onvif://www.onvif.org/${kind}/`;
  const hit = scopes.find((s) => s.startsWith(prefix));
  if (hit === undefined) return undefined;
  try {
    return decodeURIComponent(hit.slice(prefix.length));
  } catch {
    return hit.slice(prefix.length);
  }
}

/** One raw ProbeMatch (as the library's `resolve: false` returns it) in our shape; undefined if unusable. */
export function toDiscovered(raw: unknown): DiscoveredCamera | undefined {
  const match = (raw as { probeMatches?: { probeMatch?: unknown } } | null)?.probeMatches?.probeMatch;
  const first = (Array.isArray(match) ? match[0] : match) as Record<string, unknown> | undefined;
  if (first === undefined) return undefined;
  const urn = text((first.endpointReference as { address?: unknown } | undefined)?.address);
  const xaddrs = text(first.XAddrs).split(/\s+/).filter((s) => /^https?:\/\//i.test(s));
  if (urn === '' && xaddrs.length === 0) return undefined;
  const scopes = text(first.scopes).split(/\s+/).filter((s) => s !== '');
  const found: DiscoveredCamera = { urn: urn || (xaddrs[0] ?? ''), xaddrs, scopes };
  const [firstAddr] = xaddrs;
  if (firstAddr !== undefined) {
    try {
      const u = new URL(firstAddr);
      found.host = u.hostname;
      found.port = u.port === '' ? (u.protocol === 'https:' ? 443 : 80) : Number(u.port);
    } catch {
      // An unparsable XAddr is still listed, without a host.
    }
  }
  const name = scopeValue(scopes, 'name');
  const location = scopeValue(scopes, 'location');
  const hardware = scopeValue(scopes, 'hardware');
  if (name !== undefined) found.name = name;
  if (location !== undefined) found.location = location;
  if (hardware !== undefined) found.hardware = hardware;
  return found;
}

function probeOnce(timeoutMs: number): Promise<unknown[]> {
  return new Promise((resolve) => {
    onvifLib().Discovery.probe({ timeout: timeoutMs, resolve: false }, (_err, devices) => resolve(devices ?? []));
  });
}

/** Cameras that answered a WS-Discovery probe (multicast 239.255.255.250:3702), merged by endpoint reference. */
export async function discoverOnvif(options: DiscoverOptions = {}): Promise<DiscoveredCamera[]> {
  const timeoutMs = options.timeoutMs ?? 3000;
  const probes = Math.max(1, options.probes ?? 2);
  if (!errorListener) {
    // The library emits 'error' on its singleton for malformed answers; unheard, that would crash the process.
    onvifLib().Discovery.on('error', () => undefined);
    errorListener = true;
  }
  const byUrn = new Map<string, DiscoveredCamera>();
  for (let i = 0; i < probes; i++) {
    for (const raw of await probeOnce(timeoutMs)) {
      const found = toDiscovered(raw);
      if (found !== undefined && !byUrn.has(found.urn)) byUrn.set(found.urn, found);
    }
  }
  return [...byUrn.values()];
}
