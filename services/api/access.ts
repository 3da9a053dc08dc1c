// Store-level access checks every route makes on every id it touches: not yours -> 404, read-only role -> 403.
import type { FastifyRequest } from 'fastify';
import { forbidden, notFound, unauthorized } from './http-errors.ts';
import type { Caller } from './plugins/app/context.ts';

export function callerOf(req: FastifyRequest): Caller {
  if (req.caller === undefined) throw unauthorized();
  return req.caller;
}

/** The caller, once `storeId` is proven to be one of theirs (and writable for `write`). */
export function requireStore(req: FastifyRequest, storeId: string, mode: 'read' | 'write'): Caller {
  const caller = callerOf(req);
  if (!caller.storeIds.includes(storeId)) throw notFound('store');
  if (mode === 'write' && caller.role === 'auditor') throw forbidden('auditors have read-only access');
  return caller;
}

/** The stores a list covers: the one asked for (checked), or every store of the caller. */
export function storeScope(req: FastifyRequest, storeId: string | undefined): string[] {
  if (storeId === undefined) return callerOf(req).storeIds;
  requireStore(req, storeId, 'read');
  return [storeId];
}
