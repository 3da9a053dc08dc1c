// Cameras of a store: list, add, read, delete.
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { callerOf } from '../access.ts';
import { conflict, notFound } from '../http-errors.ts';
import { DatabaseError } from '../../core/storage/index.ts';
import { Camera, CameraParams, NewCamera } from '../schemas/camera.ts';
import { Ok, errorResponses } from '../schemas/common.ts';
import { StoreParams } from '../schemas/store.ts';
import { cameraView } from '../views.ts';

export async function cameraRoutes(app: FastifyInstance): Promise<void> {
  const { repos } = app.sopwatch;

  app.get<{ Params: StoreParams }>('/api/stores/:storeId/cameras', {
    schema: { tags: ['cameras'], params: StoreParams, response: { 200: Type.Array(Camera), ...errorResponses } },
  }, async (req) => {
    return (await repos.cameras.list([req.params.storeId])).map(cameraView);
  });

  app.post<{ Params: StoreParams; Body: NewCamera }>('/api/stores/:storeId/cameras', {
    schema: { tags: ['cameras'], params: StoreParams, body: NewCamera, response: { 201: Camera, ...errorResponses } },
  }, async (req, reply) => {
    const caller = callerOf(req);
    try {
      const camera = await repos.cameras.create({ storeId: req.params.storeId, ...req.body });
      await repos.audit.append({ actor: caller.userId, storeId: camera.storeId, action: 'camera.create', target: camera.id });
      return await reply.code(201).send(cameraView(camera));
    } catch (err) {
      if (err instanceof DatabaseError && err.code === '23505') throw conflict(`this store already has a camera named "${req.body.name}"`);
      throw err;
    }
  });

  app.get<{ Params: CameraParams }>('/api/stores/:storeId/cameras/:cameraId', {
    schema: { tags: ['cameras'], params: CameraParams, response: { 200: Camera, ...errorResponses } },
  }, async (req) => {
    const camera = await repos.cameras.get(req.params.cameraId, [req.params.storeId]);
    if (!camera) throw notFound('camera');
    return cameraView(camera);
  });

  app.delete<{ Params: CameraParams }>('/api/stores/:storeId/cameras/:cameraId', {
    schema: { tags: ['cameras'], params: CameraParams, response: { 200: Ok, ...errorResponses } },
  }, async (req) => {
    const caller = callerOf(req);
    if (!(await repos.cameras.delete(req.params.cameraId, req.params.storeId))) throw notFound('camera');
    await repos.audit.append({ actor: caller.userId, storeId: req.params.storeId, action: 'camera.delete', target: req.params.cameraId });
    return { ok: true as const };
  });
}
