// The one outbound-connection policy: every connection the server makes on someone's behalf (cameras over ONVIF,
// RTSP and snapshot URLs; webhooks; model endpoints) resolves the name once, checks the address, and connects to
// that same address. Cameras must live inside the operator's camera networks; services may be anywhere public.
import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP, type LookupFunction } from 'node:net';
import { networkInterfaces } from 'node:os';
import { InputError } from './errors.ts';

/** Which rule refused an address; the API and the logs name it. */
export type RefusalRule = 'unspecified' | 'link-local' | 'multicast' | 'broadcast' | 'reserved' | 'loopback' | 'own-address' | 'outside-camera-networks' | 'private-not-allowed' | 'unresolvable';

/** A connection the policy will not make. Never retried: the setting must change. */
export class OutboundRefusedError extends InputError {
  /** Like a socket error code, so transports count it as "nothing was sent". */
  readonly code = 'EOUTBOUNDREFUSED';
  constructor(readonly rule: RefusalRule, message: string) {
    super(message);
  }
}

export interface Cidr {
  family: 4 | 6;
  base: bigint;
  bits: number;
  text: string;
}

export interface OutboundPolicy {
  /** camera: only addresses inside `allow`; service: public addresses, and private ones inside `allow`. */
  purpose: 'camera' | 'service';
  /** The environment variable `allow` came from, named in refusals. */
  setting: string;
  allow: readonly Cidr[];
}

export const DEFAULT_CAMERA_NETWORKS = '10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,fc00::/7';

function v4ToBig(text: string): bigint | undefined {
  const parts = text.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) return undefined;
  return parts.reduce((acc, p) => (acc << 8n) | BigInt(Number(p)), 0n);
}

function v6ToBig(text: string): bigint | undefined {
  let s = text.toLowerCase().replace(/%.*$/, '');
  const lastColon = s.lastIndexOf(':');
  if (s.includes('.')) {
    const v4 = v4ToBig(s.slice(lastColon + 1));
    if (v4 === undefined) return undefined;
    s = `${s.slice(0, lastColon + 1)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const head = halves[0] === '' ? [] : (halves[0] as string).split(':');
  const tail = halves.length === 2 ? (halves[1] === '' ? [] : (halves[1] as string).split(':')) : [];
  const missing = 8 - head.length - tail.length;
  if ((halves.length === 1 && missing !== 0) || missing < 0) return undefined;
  const groups = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...tail];
  if (groups.length !== 8 || groups.some((g) => !/^[0-9a-f]{1,4}$/.test(g))) return undefined;
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n);
}

/**
 * An address as a number, IPv6 forms that carry an IPv4 address (::ffff:a.b.c.d, ::a.b.c.d, 64:ff9b::a.b.c.d)
 * reduced to that IPv4 address, so a loopback cannot hide behind its mapped form. Undefined when not an address.
 */
export function parseAddress(address: string): { family: 4 | 6; value: bigint } | undefined {
  const bare = address.replace(/^\[|\]$/g, '');
  const kind = isIP(bare.replace(/%.*$/, ''));
  if (kind === 4) {
    const value = v4ToBig(bare);
    return value === undefined ? undefined : { family: 4, value };
  }
  if (kind !== 6) return undefined;
  const value = v6ToBig(bare);
  if (value === undefined) return undefined;
  const high = value >> 32n;
  if (high === 0xffffn || (high === 0n && value > 1n) || value >> 32n === 0x64ff9b0000000000000000n) return { family: 4, value: value & 0xffffffffn };
  return { family: 6, value };
}

/** `10.0.0.0/8`, `fc00::/7` or a bare address (a /32 or /128). Throws InputError naming the setting. */
export function parseCidr(text: string, setting = 'CIDR'): Cidr {
  const [addr = '', bitsText] = text.trim().split('/');
  const parsed = parseAddress(addr);
  const max = parsed?.family === 4 ? 32 : 128;
  const bits = bitsText === undefined ? max : Number(bitsText);
  if (parsed === undefined || !Number.isInteger(bits) || bits < 0 || bits > max || (bitsText !== undefined && !/^\d{1,3}$/.test(bitsText))) {
    throw new InputError(`${setting}: "${text.trim()}" is not a network like 192.168.0.0/16 or fc00::/7`);
  }
  const mask = bits === 0 ? 0n : ((1n << BigInt(bits)) - 1n) << BigInt(max - bits);
  return { family: parsed.family, base: parsed.value & mask, bits, text: text.trim() };
}

/** A comma- or space-separated CIDR list (an environment variable). */
export function parseCidrList(raw: string, setting: string): Cidr[] {
  return raw.split(/[\s,]+/).filter((s) => s !== '').map((s) => parseCidr(s, setting));
}

function contains(net: Cidr, a: { family: 4 | 6; value: bigint }): boolean {
  if (net.family !== a.family) return false;
  const max = net.family === 4 ? 32 : 128;
  const mask = net.bits === 0 ? 0n : ((1n << BigInt(net.bits)) - 1n) << BigInt(max - net.bits);
  return (a.value & mask) === net.base;
}

/** True when every address of `inner` lies in `outer`. */
function within(inner: Cidr, outer: Cidr): boolean {
  return inner.family === outer.family && inner.bits >= outer.bits && contains(outer, { family: inner.family, value: inner.base });
}

const nets = (...list: string[]): Cidr[] => list.map((c) => parseCidr(c));
const NEVER: Array<[RefusalRule, Cidr[]]> = [
  ['unspecified', nets('0.0.0.0/8', '::/128')],
  ['link-local', nets('169.254.0.0/16', 'fe80::/10')],
  ['multicast', nets('224.0.0.0/4', 'ff00::/8')],
  ['broadcast', nets('255.255.255.255/32')],
  ['reserved', nets('240.0.0.0/4')],
];
const LOOPBACK = nets('127.0.0.0/8', '::1/128');
/** Not public: private, shared (CGNAT), documentation, benchmarking and unique-local ranges. */
const NOT_PUBLIC = nets('10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10', '192.0.0.0/24', '192.0.2.0/24', '198.18.0.0/15', '198.51.100.0/24', '203.0.113.0/24', 'fc00::/7', '2001:db8::/32', 'fec0::/10', '100::/64');

/** The server's own addresses (not loopback), read when first needed. */
let own: Array<{ family: 4 | 6; value: bigint }> | undefined;
function ownAddresses(): Array<{ family: 4 | 6; value: bigint }> {
  own ??= Object.values(networkInterfaces())
    .flatMap((list) => list ?? [])
    .map((i) => parseAddress(i.address))
    .filter((a): a is { family: 4 | 6; value: bigint } => a !== undefined);
  return own;
}

function describeAddress(address: string): string {
  return address.includes(':') ? `[${address}]` : address;
}

/** Why the policy refuses this address, or undefined when it may be connected to. */
export function refusal(policy: OutboundPolicy, address: string): OutboundRefusedError | undefined {
  const a = parseAddress(address);
  const shown = describeAddress(address);
  if (a === undefined) return new OutboundRefusedError('unresolvable', `"${address}" is not an IP address`);
  for (const [rule, list] of NEVER) {
    if (list.some((n) => contains(n, a))) return new OutboundRefusedError(rule, `${shown} is a ${rule} address; the server never connects there`);
  }
  const listed = policy.allow.filter((n) => contains(n, a));
  if (LOOPBACK.some((n) => contains(n, a))) {
    // Loopback only when the operator named it on purpose: 0.0.0.0/0 does not count.
    if (listed.some((n) => LOOPBACK.some((l) => within(n, l)))) return undefined;
    return new OutboundRefusedError('loopback', `${shown} is a loopback address (this server); refused unless ${policy.setting} lists it explicitly (e.g. 127.0.0.1/32)`);
  }
  if (ownAddresses().some((o) => o.family === a.family && o.value === a.value)) {
    if (listed.some((n) => n.bits === (a.family === 4 ? 32 : 128))) return undefined;
    return new OutboundRefusedError('own-address', `${shown} is one of this server's own addresses; refused unless ${policy.setting} lists that single address`);
  }
  if (listed.length > 0) return undefined;
  if (policy.purpose === 'camera') {
    return new OutboundRefusedError('outside-camera-networks', `${shown} is outside the camera networks (${policy.setting}: ${policy.allow.map((n) => n.text).join(', ') || 'none'})`);
  }
  if (NOT_PUBLIC.some((n) => contains(n, a))) {
    return new OutboundRefusedError('private-not-allowed', `${shown} is a private address; refused unless ${policy.setting} lists its network`);
  }
  return undefined;
}

/** True when the address lies inside the policy's listed networks (Basic authentication is sent only there). */
export function insideListed(policy: OutboundPolicy, address: string): boolean {
  const a = parseAddress(address);
  return a !== undefined && policy.allow.some((n) => contains(n, a));
}

export interface CheckedAddress {
  /** The name as given (kept for the Host header and TLS server name). */
  host: string;
  address: string;
  family: 4 | 6;
}

/**
 * Resolves `host` once and returns the first address the policy allows; throws OutboundRefusedError naming the
 * rule when none is allowed (the rule of the first address), or when the name does not resolve.
 */
export async function resolveChecked(policy: OutboundPolicy, host: string, resolve = dnsLookup): Promise<CheckedAddress> {
  const bare = host.replace(/^\[|\]$/g, '');
  let candidates: Array<{ address: string; family: number }>;
  if (isIP(bare) !== 0) {
    candidates = [{ address: bare, family: isIP(bare) }];
  } else {
    try {
      candidates = await resolve(bare, { all: true, verbatim: true });
    } catch (cause) {
      throw new OutboundRefusedError('unresolvable', `${host}: the name does not resolve (${(cause as { code?: string }).code ?? 'lookup failed'})`);
    }
  }
  let first: OutboundRefusedError | undefined;
  for (const c of candidates) {
    const why = refusal(policy, c.address);
    if (why === undefined) return { host: bare, address: c.address, family: c.family === 6 ? 6 : 4 };
    first ??= why;
  }
  const why = first ?? new OutboundRefusedError('unresolvable', `${host}: the name has no address`);
  throw new OutboundRefusedError(why.rule, isIP(bare) !== 0 ? why.message : `${host}: ${why.message}`);
}

/** A `lookup` for net/http/tls options that answers with the checked address only: no second resolution. */
export function pinnedLookup(checked: CheckedAddress): LookupFunction {
  return ((_name: string, options: { all?: boolean }, callback: (...args: unknown[]) => void) => {
    if (options?.all === true) callback(null, [{ address: checked.address, family: checked.family }]);
    else callback(null, checked.address, checked.family);
  }) as LookupFunction;
}
