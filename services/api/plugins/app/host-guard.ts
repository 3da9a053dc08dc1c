// DNS rebinding: a page of another site whose name now resolves to this server sends its own name as Host. With the
// check on (`serve` turns it on), only a loopback name or the host of SOPWATCH_PUBLIC_ORIGIN is answered.
import type { FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { HttpError } from '../../http-errors.ts';

/** `localhost`, `*.localhost`, 127.0.0.0/8 and ::1, with or without a port. */
export function isLoopbackHost(host: string): boolean {
  const name = (host.startsWith('[') ? host.slice(1, host.indexOf(']')) : host.replace(/:\d+$/, '')).toLowerCase();
  return name === 'localhost' || name.endsWith('.localhost') || name === '::1' || /^127(?:\.\d{1,3}){3}$/.test(name);
}

/** The `host[:port]` browsers send for a configured public origin (`https://sop.example.com` -> `sop.example.com`). */
export function hostOfOrigin(origin: string | undefined): string | undefined {
  if (origin === undefined) return undefined;
  try {
    return new URL(origin).host.toLowerCase();
  } catch {
    return undefined;
  }
}

export const hostGuardPlugin = fp<{ enabled: boolean; publicOrigin?: string }>(async (app, options) => {
  if (!options.enabled) return;
  const publicHost = hostOfOrigin(options.publicOrigin);
  app.addHook('onRequest', async (req: FastifyRequest) => {
    const host = (req.headers.host ?? '').toLowerCase();
    if (isLoopbackHost(host) || (publicHost !== undefined && host === publicHost)) return;
    throw new HttpError(421, 'misdirected', publicHost === undefined
      ? 'this server answers only to a loopback name: set SOPWATCH_PUBLIC_ORIGIN to the address people use to reach it'
      : `this server answers only to ${publicHost} (SOPWATCH_PUBLIC_ORIGIN) and loopback names`);
  });
}, { name: 'sopwatch-host-guard', dependencies: ['sopwatch-errors'] });
