// Resumable clip uploads (tus 1.0: core, creation, expiration, termination) through @tus/server and its file store.
// Fastify does what every route does (session, CSRF, store scope, the upload's owner), then hands the raw request to
// tus; a finished upload is probed and registered exactly as a multipart upload is (upload/clip-register.ts).
// An upload of a streamable format (MPEG-TS, raw H.264/H.265, FLV) is registered as soon as a first part is in, and its
// analysis reads the file as it arrives (ingester/arrival.ts); other formats start once the upload is complete.
import type { IncomingMessage } from 'node:http';
import { rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Metadata, Server, type Upload } from '@tus/server';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { callerOf } from '../access.ts';
import { queueDetectorsWarm } from '../clip-jobs.ts';
import { HttpError, badRequest, conflict, forbidden, notFound, tooLarge } from '../http-errors.ts';
import { ClipUploadQuery } from '../schemas/clip.ts';
import { ErrorBody, errorResponses } from '../schemas/common.ts';
import { StoreParams } from '../schemas/store.ts';
import { UploadParams } from '../schemas/upload.ts';
import { STREAMABLE, endArrival, probeClip, readArrival, sniffContainer, writeArrival } from '../../ingester/index.ts';
import { checkUploadName, hashFile, inspectClip } from '../upload/clip-upload.ts';
import { registerArrivingClip, registerClip } from '../upload/clip-register.ts';
import { formRecordedAt } from '../upload/recorded-at.ts';
import { ClipUploadStore, UPLOAD_ID, readHead, tusRefusal } from '../upload/tus-store.ts';

/** Set on a finished upload's answer (and its HEAD afterwards): the clip it became. */
export const CLIP_ID_HEADER = 'Sopwatch-Clip-Id';

/** A metadata value that is set (tus metadata values may be null). */
const named = (v: string | null | undefined): v is string => typeof v === 'string' && v !== '';

/** What fastify established about a request, for the tus hooks that see only the raw request. */
interface UploadCall {
  userId: string;
  storeId: string;
  cameraId?: string;
  filename?: string;
  recordedAt?: string;
}

const HEADERS = { 'x-content-type-options': 'nosniff', 'x-frame-options': 'DENY', 'referrer-policy': 'no-referrer', 'cache-control': 'no-store' };

export async function uploadRoutes(app: FastifyInstance): Promise<void> {
  const { repos, config, deps } = app.sopwatch;
  const clipsDir = join(deps.dataDir, 'clips');
  const tusDir = join(clipsDir, '.incoming', 'tus');
  const minArrived = config.streamStartBytes;
  // Uploads decided on for an early start (registered, or not streamable), and failed tries of the others.
  const decided = new Set<string>();
  const tries = new Map<string, number>();

  /**
   * Registers the clip of an upload still arriving when its format can be read from the front, the first part is in
   * and the upload says where it goes; its analysis then follows the file. Best effort: when anything here fails the
   * upload goes on, and its clip is registered once complete, as any other.
   */
  const startEarly = async (id: string): Promise<void> => {
    if (decided.has(id)) return;
    const upload = await store.getUpload(id);
    const meta = upload.metadata ?? {};
    if (named(meta.clipId) || named(meta.streamClipId) || upload.size === undefined) return void decided.add(id);
    if (upload.offset < Math.min(minArrived, upload.size) || upload.offset >= upload.size) return;
    const tmpPath = join(tusDir, id);
    const head = await readHead(tmpPath, upload.offset);
    const sniffed = sniffContainer(head);
    if (sniffed === undefined || !STREAMABLE.has(sniffed.container)) return void decided.add(id);
    let info;
    try {
      info = await probeClip(tmpPath, { maxBytes: config.maxUploadBytes });
    } catch (err) {
      // Too little to see the picture yet: the next part tries again, a few times.
      const n = (tries.get(id) ?? 0) + 1;
      tries.set(id, n);
      if (n >= 5) decided.add(id);
      app.log.debug({ err, uploadId: id }, 'arrived part not readable yet');
      return;
    }
    decided.add(id);
    tries.delete(id);
    const createdMs = Date.parse(upload.creation_date ?? '') || Date.now();
    const registered = await registerArrivingClip({
      repos, queue: deps.queue, clipsDir, log: app.log, actor: meta.userId ?? '', storeId: meta.storeId ?? '', cameraId: meta.cameraId ?? '',
      received: {
        tmpPath, filename: meta.filename ?? 'upload', bytes: upload.offset, head, container: info.container, durationMs: info.durationMs,
        ...(info.creationTime === undefined ? {} : { creationTime: info.creationTime }),
      },
      recordedAtInput: meta.recordedAt ?? undefined,
      arrival: { uploadId: id, totalBytes: upload.size, expiresAt: new Date(createdMs + config.uploadExpiryMs).toISOString() },
    }).catch((err: unknown) => {
      app.log.warn({ err, uploadId: id }, 'an arriving upload could not be registered early: it will be once complete');
      return undefined;
    });
    if (registered === undefined) return;
    const { clip } = registered;
    upload.metadata = { ...meta, streamClipId: clip.id };
    await store.configstore.set(id, upload);
    app.log.info({ uploadId: id, clipId: clip.id, arrived: upload.offset, of: upload.size }, 'analysing an upload as it arrives');
  };

  const store = new ClipUploadStore(tusDir, config.uploadExpiryMs, { everyBytes: minArrived, start: startEarly });
  const calls = new WeakMap<IncomingMessage, UploadCall>();
  const finishing = new Set<string>();
  const callOf = (req: Request): UploadCall => {
    const raw = (req as { runtime?: { node?: { req?: IncomingMessage } } }).runtime?.node?.req;
    const call = raw === undefined ? undefined : calls.get(raw);
    if (call === undefined) throw tusRefusal(new HttpError(500, 'internal', 'upload request without its caller'));
    return call;
  };

  const tus = new Server({
    path: '/api/uploads',
    datastore: store,
    maxSize: config.maxUploadBytes,
    relativeLocation: true,
    // Same-origin only: the dashboard is served by this server.
    allowedOrigins: [],
    exposedHeaders: [CLIP_ID_HEADER],
    generateUrl: (req, { id }) => `/api/stores/${encodeURIComponent(callOf(req).storeId)}/uploads/${id}`,
    getFileIdFromRequest: (_req, lastPath) => (lastPath !== undefined && UPLOAD_ID.test(lastPath) ? lastPath : undefined),
    // The metadata kept is ours, from the checked request: nothing else the client sent is stored.
    onUploadCreate: async (req) => {
      const call = callOf(req);
      return {
        metadata: {
          filename: call.filename ?? '', storeId: call.storeId, cameraId: call.cameraId ?? '', userId: call.userId,
          ...(call.recordedAt === undefined ? {} : { recordedAt: call.recordedAt }),
        },
      };
    },
    onUploadFinish: async (req, upload) => finish(callOf(req), upload),
    onResponseError: async (req, err) => {
      if (err instanceof HttpError) return tusRefusal(err);
      if ('status_code' in err) return undefined;
      app.log.error({ err, url: req.url }, 'resumable upload failed');
      return { status_code: 500, body: JSON.stringify({ error: 'internal', message: 'internal error' }) };
    },
  });

  const finish = async (call: UploadCall, upload: Upload): Promise<{ headers: Record<string, string> }> => {
    if (finishing.has(upload.id)) throw tusRefusal(conflict('this upload is being registered already'));
    finishing.add(upload.id);
    try {
      await store.settled(upload.id);
      // Registered while it arrived? The info file has the clip then (the upload passed in may predate it).
      const meta = { ...(upload.metadata ?? {}), ...((await store.configstore.get(upload.id).catch(() => undefined))?.metadata ?? {}) };
      const filename = meta.filename ?? 'upload';
      const tmpPath = join(store.dir, upload.id);
      const early = named(meta.streamClipId) ? await repos.clips.get(meta.streamClipId) : undefined;
      if (early !== undefined) {
        // The file is whole: its reader ends after the last byte. Then its hash; the clip's link keeps the bytes.
        await endArrival(early.path);
        await repos.clips.setReceived(early.id, ...(await hashFile(early.path).then((h) => [h.bytes, h.sha256] as const)));
        await rm(tmpPath, { force: true });
        upload.metadata = { ...meta, clipId: early.id };
        await store.configstore.set(upload.id, upload);
        return { headers: { [CLIP_ID_HEADER]: early.id } };
      }
      let received;
      try {
        received = await inspectClip({ tmpPath, filename, ...(await hashFile(tmpPath)) }, config.maxUploadBytes);
      } catch (err) {
        await store.discard(upload.id);
        throw err;
      }
      const { clip } = await registerClip({
        repos, queue: deps.queue, clipsDir, log: app.log, actor: call.userId, storeId: meta.storeId ?? call.storeId, cameraId: meta.cameraId ?? '',
        received, recordedAtInput: meta.recordedAt ?? undefined, via: 'tus',
      }).catch(async (err: unknown) => {
        await store.discard(upload.id);
        throw err;
      });
      // The info file stays (until the sweep) with the clip's id: a client that lost the last answer and asks again
      // learns that the upload is complete instead of sending the file a second time.
      upload.metadata = { ...meta, clipId: clip.id };
      await store.configstore.set(upload.id, upload);
      return { headers: { [CLIP_ID_HEADER]: clip.id } };
    } catch (err) {
      throw err instanceof HttpError ? tusRefusal(err) : err;
    } finally {
      finishing.delete(upload.id);
    }
  };

  /**
   * The upload of a clip analysed while it arrived stops for good: its record says so, with the bytes that came, and
   * its analysis ends after them. The clip keeps that part (its file is a link of the upload's).
   */
  const abandon = async (clipId: string, why: 'abandoned' | 'expired'): Promise<void> => {
    const clip = await repos.clips.get(clipId);
    const record = clip === undefined ? undefined : await readArrival(clip.path);
    if (clip === undefined || record === undefined) return;
    const receivedBytes = await stat(clip.path).then((s) => s.size, () => 0);
    await writeArrival(clip.path, { ...record, state: why, receivedBytes });
    await repos.clips.setReceived(clip.id, receivedBytes, null);
  };

  const sweep = async (): Promise<void> => {
    try {
      // An expiring upload whose clip was analysed while it arrived: the clip keeps what came, its analysis ends.
      const n = await store.sweep(config.uploadExpiryMs, Date.now(), async (meta) => {
        if (named(meta.streamClipId) && !named(meta.clipId)) await abandon(meta.streamClipId, 'expired');
      });
      if (n > 0) app.log.info({ removed: n }, 'stale resumable uploads removed');
    } catch (err) {
      app.log.warn({ err }, 'sweeping stale resumable uploads failed');
    }
  };
  const timer = setInterval(() => void sweep(), Math.min(config.uploadExpiryMs / 4, 3_600_000));
  timer.unref();
  app.addHook('onReady', sweep);
  app.addHook('onClose', async () => clearInterval(timer));

  // PATCH bodies (and a POST carrying its first bytes) are read by tus from the raw request, streaming to disk.
  app.addContentTypeParser('application/offset+octet-stream', (_req, _payload, done) => done(null));

  const handOver = async (req: FastifyRequest, reply: FastifyReply, call: UploadCall, clipId?: string | null): Promise<void> => {
    calls.set(req.raw, call);
    for (const [k, v] of Object.entries(HEADERS)) reply.raw.setHeader(k, v);
    // A clip registered while its upload arrives is named on every answer about the upload.
    if (named(clipId)) reply.raw.setHeader(CLIP_ID_HEADER, clipId);
    reply.hijack();
    await tus.handle(req.raw, reply.raw);
  };

  /** The upload, when it is this caller's, in this store; otherwise "not found". */
  const ownUpload = async (req: FastifyRequest<{ Params: UploadParams }>): Promise<{ userId: string; info: Upload }> => {
    const caller = callerOf(req);
    const id = req.params.uploadId;
    const info = UPLOAD_ID.test(id) ? await store.configstore.get(id).catch(() => undefined) : undefined;
    if (info === undefined || info.metadata?.storeId !== req.params.storeId || info.metadata.userId !== caller.userId) throw notFound('upload');
    return { userId: caller.userId, info };
  };

  const tusHeaders = {
    'tus-resumable': Type.Optional(Type.String({ description: 'Always 1.0.0' })),
  };

  app.options<{ Params: StoreParams }>('/api/stores/:storeId/uploads', {
    schema: { tags: ['uploads'], summary: 'tus discovery: version, extensions and the largest upload', params: StoreParams, response: errorResponses },
  }, async (req, reply) => {
    // A safe method, so the hook lets read-only callers through: discovery is for those who may upload.
    if (callerOf(req).role === 'auditor') throw forbidden('auditors have read-only access');
    // Answered here: deferred lengths (which the file store could take) are refused by the POST below.
    return reply.code(204).headers({
      ...HEADERS, 'tus-resumable': '1.0.0', 'tus-version': '1.0.0', 'tus-max-size': String(config.maxUploadBytes),
      'tus-extension': 'creation,creation-with-upload,termination,expiration',
    }).send();
  });

  app.post<{ Params: StoreParams; Querystring: ClipUploadQuery }>('/api/stores/:storeId/uploads', {
    schema: {
      tags: ['uploads'],
      summary: 'Start a resumable upload (tus creation): Upload-Length, and Upload-Metadata with filename (and recordedAt); 201 with its Location',
      params: StoreParams, querystring: ClipUploadQuery, headers: Type.Object(tusHeaders),
      response: { 413: Type.Ref(ErrorBody), 415: Type.Ref(ErrorBody), ...errorResponses },
    },
  }, async (req, reply) => {
    const caller = callerOf(req);
    const length = Number(req.headers['upload-length']);
    if (req.headers['upload-length'] === undefined || !Number.isSafeInteger(length) || length < 0) {
      throw badRequest('send Upload-Length: the size of the file in bytes (deferred lengths are not accepted)');
    }
    if (length > config.maxUploadBytes) throw tooLarge(`the upload declares ${length} bytes; the limit is ${config.maxUploadBytes} bytes`);
    let meta: Record<string, string | null>;
    try {
      meta = Metadata.parse(String(req.headers['upload-metadata'] ?? ''));
    } catch {
      throw badRequest('Upload-Metadata is not a list of "key base64value" pairs');
    }
    const filename = checkUploadName(meta.filename ?? meta.name ?? '');
    const camera = await repos.cameras.get(req.query.cameraId, [req.params.storeId]);
    if (!camera) throw notFound('camera');
    const recordedAt = req.query.recordedAt ?? meta.recordedAt ?? undefined;
    if (recordedAt !== undefined && recordedAt.trim() !== '') {
      formRecordedAt(recordedAt, (await repos.stores.get(req.params.storeId))?.tz ?? 'UTC');
    }
    // The models load while the bytes arrive, not after the last one.
    queueDetectorsWarm(deps.queue, req.log, req.params.storeId, camera.id);
    await handOver(req, reply, {
      userId: caller.userId, storeId: req.params.storeId, cameraId: camera.id, filename,
      ...(recordedAt === undefined || recordedAt.trim() === '' ? {} : { recordedAt }),
    });
  });

  app.head<{ Params: UploadParams }>('/api/stores/:storeId/uploads/:uploadId', {
    schema: { tags: ['uploads'], summary: 'How much of an upload the server has (Upload-Offset): resume from there', params: UploadParams, response: errorResponses },
  }, async (req, reply) => {
    const { userId, info } = await ownUpload(req);
    const clipId = info.metadata?.clipId;
    if (clipId !== undefined && clipId !== null) {
      // Registered already: complete, whatever the client missed.
      return reply.code(200).headers({ ...HEADERS, 'tus-resumable': '1.0.0', 'upload-offset': String(info.size), 'upload-length': String(info.size), [CLIP_ID_HEADER.toLowerCase()]: clipId }).send();
    }
    await handOver(req, reply, { userId, storeId: req.params.storeId }, info.metadata?.streamClipId);
  });

  app.patch<{ Params: UploadParams }>('/api/stores/:storeId/uploads/:uploadId', {
    schema: {
      tags: ['uploads'], summary: 'Send bytes of an upload from Upload-Offset (application/offset+octet-stream); 409 when the offset is not the server\'s',
      params: UploadParams, response: { 409: Type.Ref(ErrorBody), 413: Type.Ref(ErrorBody), 415: Type.Ref(ErrorBody), ...errorResponses },
    },
  }, async (req, reply) => {
    const { userId, info } = await ownUpload(req);
    if (info.metadata?.clipId !== undefined) throw conflict('this upload is complete already');
    await handOver(req, reply, { userId, storeId: req.params.storeId }, info.metadata?.streamClipId);
  });

  app.delete<{ Params: UploadParams }>('/api/stores/:storeId/uploads/:uploadId', {
    schema: { tags: ['uploads'], summary: 'Abandon an upload (tus termination): its bytes are deleted', params: UploadParams, response: errorResponses },
  }, async (req, reply) => {
    const { userId, info } = await ownUpload(req);
    if (info.metadata?.clipId !== undefined) {
      await store.discard(req.params.uploadId);
      return reply.code(204).headers({ 'tus-resumable': '1.0.0' }).send();
    }
    const streamClipId = info.metadata?.streamClipId;
    if (named(streamClipId)) await abandon(streamClipId, 'abandoned');
    await handOver(req, reply, { userId, storeId: req.params.storeId });
  });
}
