// Puts the app context (deps, config, repositories, limiter, live feed, route list) on the instance.
import fp from 'fastify-plugin';
import type { AppContext } from './context.ts';

export const contextPlugin = fp<{ context: AppContext }>(async (app, options) => {
  app.decorate('sopwatch', options.context);
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) {
      options.context.routes.push({ method, url: route.url, access: route.config?.access ?? 'session' });
    }
  });
  app.addHook('onResponse', async (_req, reply) => {
    const key = `${Math.floor(reply.statusCode / 100)}xx`;
    options.context.httpResponses.set(key, (options.context.httpResponses.get(key) ?? 0) + 1);
  });
  app.addHook('onClose', async () => options.context.feed.stop());
}, { name: 'sopwatch-context' });
