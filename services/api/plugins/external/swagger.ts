// The OpenAPI document, generated from the routes' TypeBox schemas and served at /api/docs/json.
import swagger from '@fastify/swagger';
import fp from 'fastify-plugin';
import { ErrorBody } from '../../schemas/common.ts';
import { toOpenApi30 } from './openapi-30.ts';

export const swaggerPlugin = fp(async (app) => {
  app.addSchema(ErrorBody);
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'sopwatch API',
        version: '1',
        description:
          'Stores, cameras, SOP files, clips, violations and their review. Sign in with POST /api/auth/login: ' +
          'the session is an HttpOnly cookie; every POST, PUT, PATCH and DELETE must carry the X-CSRF-Token header ' +
          'returned at sign-in (and by GET /api/auth/me), and a browser Origin other than the API\'s own is refused.',
      },
      components: { securitySchemes: { session: { type: 'apiKey', in: 'cookie', name: 'sopwatch_session' } } },
      security: [{ session: [] }],
    },
    // The TypeBox schemas are newer JSON Schema than 3.0's (numeric exclusive bounds, tuples): map them for the document.
    transformObject: (document) => ('openapiObject' in document ? toOpenApi30(document.openapiObject) : document.swaggerObject),
  });
}, { name: 'sopwatch-swagger' });
