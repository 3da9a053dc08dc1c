// Store access in routes. Ids in the path or query are proved the caller's by the central guard (plugins/app/auth.ts,
// `guardIds`) before a handler runs, and read-only callers are refused there on every state-changing request: that is
// the one mechanism for them. Ids in a body are the handler's to check: it loads each one within `callerOf(req).storeIds`
// (or within the path's store), so a foreign id is "not found".
import type { FastifyRequest } from 'fastify';
import { unauthorized } from './http-errors.ts';
import type { Caller } from './plugins/app/context.ts';

export function callerOf(req: FastifyRequest): Caller {
  if (req.caller === undefined) throw unauthorized();
  return req.caller;
}

/** The stores a list covers: the one asked for (already proved the caller's by the guard), or every store of theirs. */
export function storeScope(req: FastifyRequest, storeId: string | undefined): string[] {
  const caller = callerOf(req);
  return storeId === undefined ? caller.storeIds : [storeId];
}
