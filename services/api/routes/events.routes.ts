// Live updates as server-sent events, only for the caller's stores: clip.progress and violation.created.
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { ServerResponse } from 'node:http';
import { callerOf, storeScope } from '../access.ts';
import { StoreFilter, errorResponses } from '../schemas/common.ts';
import type { LiveEvent } from '../plugins/app/live-feed.ts';

const EventsQuery = Type.Object({ ...StoreFilter }, { additionalProperties: false });
/** Comment lines keep proxies from closing an idle stream; the session is re-checked at the same pace. */
const HEARTBEAT_MS = 15_000;

export async function eventRoutes(app: FastifyInstance): Promise<void> {
  const { feed, repos } = app.sopwatch;
  const open = new Set<ServerResponse>();
  app.addHook('preClose', async () => {
    for (const raw of open) raw.end();
  });

  app.get<{ Querystring: Static<typeof EventsQuery> }>('/api/events', {
    schema: {
      tags: ['events'],
      summary: 'Server-sent events: clip.progress and violation.created, for the caller\'s stores (or the one asked for)',
      querystring: EventsQuery,
      produces: ['text/event-stream'],
      response: errorResponses,
    },
  }, async (req, reply) => {
    const stores = new Set(storeScope(req, req.query.storeId));
    const caller = callerOf(req);
    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
      'x-content-type-options': 'nosniff',
    });
    raw.write('retry: 3000\n: connected\n\n');
    open.add(raw);
    const unsubscribe = feed.subscribe((e: LiveEvent) => {
      if (stores.has(e.storeId)) raw.write(`event: ${e.type}\ndata: ${JSON.stringify({ storeId: e.storeId, ...e.data })}\n\n`);
    });
    const stop = (): void => {
      clearInterval(heartbeat);
      unsubscribe();
      open.delete(raw);
      if (!raw.writableEnded) raw.end();
    };
    // A revoked or expired session stops receiving events within one heartbeat.
    const heartbeat = setInterval(() => {
      raw.write(': ping\n\n');
      repos.sessions.findActive(caller.sessionId).then((s) => { if (s === undefined) stop(); }, () => undefined);
    }, HEARTBEAT_MS);
    req.raw.on('close', stop);
  });
}
