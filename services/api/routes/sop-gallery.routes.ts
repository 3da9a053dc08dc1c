// The SOP library as a read-only gallery for every signed-in user, and a filled copy of one file (not stored: the
// dashboard shows it in the YAML editor, where the SOP loader checks it and a save stores it in a store).
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { notFound } from '../http-errors.ts';
import { errorResponses } from '../schemas/common.ts';
import { StoreParams } from '../schemas/store.ts';
import { GalleryEntry, GalleryFillBody, GalleryFilled } from '../schemas/sop-gallery.ts';
import { fillGalleryFile, sopGallery } from '../sop-gallery.ts';

export async function sopGalleryRoutes(app: FastifyInstance): Promise<void> {
  app.get<{ Params: StoreParams }>('/api/stores/:storeId/sop-gallery', {
    schema: { tags: ['sops'], params: StoreParams, summary: 'The SOP library (sop-rules/): each file\'s title, what it checks and the values people change', response: { 200: Type.Array(GalleryEntry), ...errorResponses } },
  }, async () => sopGallery());

  app.post<{ Params: StoreParams; Body: GalleryFillBody }>('/api/stores/:storeId/sop-gallery/fill', {
    schema: { tags: ['sops'], summary: 'A copy of a library file with the form\'s values applied (not stored; check or save it as an SOP file of the store)', params: StoreParams, body: GalleryFillBody, response: { 200: GalleryFilled, ...errorResponses } },
  }, async (req) => {
    const entry = (await sopGallery()).find((e) => e.name === req.body.file);
    if (entry === undefined) throw notFound('library file');
    const { rules, file: _file, ...rest } = req.body;
    return { yaml: fillGalleryFile(entry, { ...rest, ...(rules === undefined ? {} : { rules }) }), fileName: `${req.body.sopId ?? entry.sopId}.yaml` };
  });
}
