// Cookie parsing for the session cookie (unsigned: the token is random and only its hash is stored).
import cookie from '@fastify/cookie';
import fp from 'fastify-plugin';

export const cookiePlugin = fp(async (app) => {
  await app.register(cookie);
}, { name: 'sopwatch-cookie' });
