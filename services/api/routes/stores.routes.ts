// Stores: the caller's list, one store, a new store (owners, in their franchise), and a store's audit trail.
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { callerOf } from '../access.ts';
import { badRequest, forbidden, notFound } from '../http-errors.ts';
import { errorResponses } from '../schemas/common.ts';
import { AuditEntry, NewStore, Store, StoreParams, StorePrivacy } from '../schemas/store.ts';
import { storeView } from '../views.ts';

const AuditQuery = Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })) }, { additionalProperties: false });

function validTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

export async function storeRoutes(app: FastifyInstance): Promise<void> {
  const { repos } = app.sopwatch;

  app.get('/api/stores', { schema: { tags: ['stores'], summary: 'Stores the caller may see', response: { 200: Type.Array(Store), ...errorResponses } } },
    async (req) => (await repos.stores.list(callerOf(req).storeIds)).map(storeView));

  app.post<{ Body: NewStore }>('/api/stores', {
    config: { access: 'owner' },
    schema: { tags: ['stores'], summary: 'Create a store in the owner\'s franchise', body: NewStore, response: { 201: Store, ...errorResponses } },
  }, async (req, reply) => {
    const caller = callerOf(req);
    if (caller.franchise === null) throw forbidden('this owner has no franchise');
    if (req.body.tz !== undefined && !validTimeZone(req.body.tz)) throw badRequest(`unknown time zone "${req.body.tz}"`);
    const store = await repos.stores.create({ ...req.body, franchise: caller.franchise });
    await repos.audit.append({ actor: caller.userId, storeId: store.id, action: 'store.create', target: store.id });
    return reply.code(201).send(storeView(store));
  });

  app.get<{ Params: StoreParams }>('/api/stores/:storeId', {
    schema: { tags: ['stores'], params: StoreParams, response: { 200: Store, ...errorResponses } },
  }, async (req) => {
    const store = await repos.stores.get(req.params.storeId, callerOf(req).storeIds);
    if (!store) throw notFound('store');
    return storeView(store);
  });

  app.patch<{ Params: StoreParams; Body: StorePrivacy }>('/api/stores/:storeId/privacy', {
    config: { access: 'owner' },
    schema: { tags: ['stores'], summary: 'Change a store\'s privacy settings (owners): video around alerts, export of original clips', params: StoreParams, body: StorePrivacy, response: { 200: Store, ...errorResponses } },
  }, async (req) => {
    const caller = callerOf(req);
    const store = await repos.stores.setPrivacy(req.params.storeId, req.body);
    if (!store) throw notFound('store');
    await repos.audit.append({ actor: caller.userId, storeId: store.id, action: 'store.privacy', target: store.id, detail: { ...req.body } });
    return storeView(store);
  });

  app.get<{ Params: StoreParams; Querystring: Static<typeof AuditQuery> }>('/api/stores/:storeId/audit', {
    schema: { tags: ['stores'], summary: 'Audit trail of a store (owners and auditors)', params: StoreParams, querystring: AuditQuery, response: { 200: Type.Array(AuditEntry), ...errorResponses } },
  }, async (req) => {
    const caller = callerOf(req);
    if (caller.role === 'manager') throw forbidden('only owners and auditors read the audit trail');
    const rows = await repos.audit.list([req.params.storeId], req.query.limit ?? 100);
    return rows.map((r) => ({ id: r.id, at: r.at.toISOString(), actor: r.actor, action: r.action, target: r.target, detail: r.detail }));
  });
}
