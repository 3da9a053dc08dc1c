// One error answer for the whole API: our HttpErrors as they are, validation as 400, storage errors mapped, the rest generic.
import type { FastifyError } from 'fastify';
import fp from 'fastify-plugin';
import { InvalidTransitionError, NotFoundError } from '../../../core/storage/index.ts';
import { HttpError } from '../../http-errors.ts';

export const errorsPlugin = fp(async (app) => {
  app.setErrorHandler((err: FastifyError | Error, req, reply) => {
    if (err instanceof HttpError) {
      void reply.headers(err.headers).code(err.statusCode);
      return { error: err.code, message: err.message, ...(err.details === undefined ? {} : { details: err.details }) };
    }
    if (err instanceof NotFoundError) return reply.code(404).send({ error: 'not_found', message: 'not found or no access' });
    if (err instanceof InvalidTransitionError) return reply.code(409).send({ error: 'conflict', message: err.message });
    const status = (err as FastifyError).statusCode;
    if ((err as FastifyError).validation !== undefined) return reply.code(400).send({ error: 'bad_request', message: err.message });
    if (status !== undefined && status >= 400 && status < 500) {
      if (status === 413) void reply.header('connection', 'close');
      return reply.code(status).send({ error: (err as FastifyError).code ?? 'bad_request', message: err.message });
    }
    // Internals (SQL, stacks, paths) stay in the log; the caller gets the request id to quote.
    req.log.error({ err }, 'request failed');
    return reply.code(status !== undefined && status >= 500 ? status : 500).send({ error: 'internal', message: 'internal error', requestId: req.id });
  });

  app.setNotFoundHandler((req, reply) => reply.code(404).send({ error: 'not_found', message: `no route ${req.method} ${req.url.split('?')[0] ?? ''}` }));

  // JSON and images only: nothing here should ever be framed, sniffed or cached by a shared cache.
  app.addHook('onSend', async (_req, reply, payload) => {
    void reply.header('x-content-type-options', 'nosniff');
    void reply.header('x-frame-options', 'DENY');
    void reply.header('referrer-policy', 'no-referrer');
    void reply.header('content-security-policy', "default-src 'none'; frame-ancestors 'none'");
    if (!reply.hasHeader('cache-control')) void reply.header('cache-control', 'no-store');
    return payload;
  });
}, { name: 'sopwatch-errors' });
