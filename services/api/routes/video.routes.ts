// Video around an alert or a review case: a short MP4 with every frame's faces blurred, cut from the stored clip on
// the first request and kept with the violation's evidence (live cameras keep theirs when the alert is raised),
// served with range requests; and its sidecar (where the alert starts, persons per frame, the SOP's zones).
import { createHash } from 'node:crypto';
import { access, stat } from 'node:fs/promises';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { createFaceFinder, type FaceFinder } from '../../analysis/face-finder.ts';
import { MomentVideos, readMomentMeta, type MomentMeta } from '../../analysis/moment-video.ts';
import type { Polygon } from '../../core/contracts.ts';
import { FaceBlurError } from '../../evidence/index.ts';
import { clipFile, evidenceFile } from '../../privacy/data-files.ts';
import { callerOf } from '../access.ts';
import { HttpError, notFound } from '../http-errors.ts';
import { errorResponses } from '../schemas/common.ts';
import { VideoMeta, type VideoReason } from '../schemas/video.ts';
import { ReviewItemParams, ViolationParams } from '../schemas/violation.ts';
import { sendRangedFile } from './ranged-file.ts';

/** What a video is cut around, from a violation or a review case. */
interface Moment {
  violationId?: string;
  key: string;
  storeId: string;
  cameraId: string;
  clipId: string | null;
  sopId: string;
  sopVersion: number | null;
  startMs: number | null;
  endMs: number | null;
}

const unavailable = (reason: VideoReason, message: string): HttpError => new HttpError(404, 'video_unavailable', message, { details: { reason } });

const exists = (path: string): Promise<boolean> => access(path).then(() => true, () => false);

export async function videoRoutes(app: FastifyInstance): Promise<void> {
  const { repos, deps, config } = app.sopwatch;
  let faces: FaceFinder | undefined;
  const videos = deps.videos ?? new MomentVideos(() => (faces ??= createFaceFinder()), config.video ?? {});
  app.addHook('onClose', async () => {
    await faces?.close();
  });

  const ofViolation = async (req: FastifyRequest<{ Params: ViolationParams }>): Promise<Moment> => {
    const v = await repos.violations.get(req.params.violationId, callerOf(req).storeIds);
    if (!v) throw notFound('violation');
    const live = v.clipId === null;
    return {
      violationId: v.id, key: `v-${v.id}`, storeId: v.storeId, cameraId: v.cameraId, clipId: v.clipId, sopId: v.sopId, sopVersion: v.sopVersion,
      startMs: live ? (v.startAt?.getTime() ?? null) : v.startS === null ? null : v.startS * 1000,
      endMs: live ? (v.endAt?.getTime() ?? v.startAt?.getTime() ?? null) : (v.endS ?? v.startS ?? 0) * 1000,
    };
  };

  const ofReviewItem = async (req: FastifyRequest<{ Params: ReviewItemParams }>): Promise<Moment> => {
    const r = await repos.reviewItems.get(req.params.reviewItemId, callerOf(req).storeIds);
    if (!r) throw notFound('review item');
    return {
      key: `r-${r.id}`, storeId: r.storeId, cameraId: r.cameraId, clipId: r.clipId, sopId: r.sopId, sopVersion: null,
      startMs: r.startS === null ? null : r.startS * 1000, endMs: (r.endS ?? r.startS ?? 0) * 1000,
    };
  };

  /** The MP4 (absolute path) and its sidecar, rendered now when a clip still has it; 404 `video_unavailable` says why not. */
  const videoOf = async (m: Moment): Promise<{ mp4: string; meta: MomentMeta }> => {
    const store = await repos.stores.get(m.storeId);
    if (store?.keepVideo !== true) throw unavailable('turned_off', 'this store keeps no video around alerts (privacy setting)');
    if (m.violationId !== undefined) {
      for (const row of await repos.evidence.ofKind(m.violationId, 'video')) {
        const mp4 = evidenceFile(deps.dataDir, row.path);
        const meta = mp4 === undefined ? undefined : await readMomentMeta(mp4);
        if (mp4 !== undefined && meta !== undefined && (await exists(mp4))) return { mp4, meta };
      }
    }
    if (m.clipId === null) throw unavailable('not_kept', 'no video was kept for this alert: its camera sent too few frames, or a face could not be blurred');
    if (m.startMs === null || m.endMs === null) throw unavailable('not_kept', 'this case has no time in its clip');
    const rel = ['evidence', m.clipId, `video-${createHash('sha256').update(m.key).digest('hex').slice(0, 20)}.mp4`].join('/');
    const mp4 = evidenceFile(deps.dataDir, rel);
    if (mp4 === undefined) throw notFound('video');
    const cached = await readMomentMeta(mp4);
    if (cached !== undefined && (await exists(mp4))) return { mp4, meta: cached };
    const clip = await repos.clips.get(m.clipId);
    const source = clip === undefined ? undefined : clipFile(deps.dataDir, clip.path);
    if (source === undefined || !(await exists(source))) {
      throw unavailable('clip_deleted', 'the clip was deleted (by retention or on request) before this video was made; the still frames remain');
    }
    let meta: MomentMeta;
    try {
      meta = await videos.fromClip(source, { outPath: mp4, startMs: m.startMs, endMs: m.endMs });
    } catch (err) {
      if (err instanceof FaceBlurError) throw unavailable('face_not_blurred', 'a face could not be blurred in every frame, so this moment is not shown as video');
      throw err;
    }
    if (m.violationId !== undefined) {
      // Kept as evidence: it lives as long as the violation (retention), not as long as the clip.
      const { size } = await stat(mp4);
      await repos.evidence.record({ violationId: m.violationId, path: rel, kind: 'video', bytes: size });
      await repos.evidence.record({ violationId: m.violationId, path: rel.replace(/\.mp4$/, '.json'), kind: 'video-meta', bytes: 0 });
    }
    return { mp4, meta };
  };

  const zonesOf = async (m: Moment): Promise<Record<string, Polygon>> => {
    const camera = await repos.cameras.get(m.cameraId);
    const sop = await repos.sopFiles.get(m.storeId, m.sopId, m.sopVersion ?? undefined);
    const all = (sop?.compiled as { zones?: Record<string, Record<string, Polygon>> } | undefined)?.zones ?? {};
    return (camera === undefined ? undefined : all[camera.name]) ?? all['*'] ?? {};
  };

  const metaReply = async (req: FastifyRequest, m: Moment) => {
    const { meta } = await videoOf(m);
    await repos.audit.append({ actor: callerOf(req).userId, storeId: m.storeId, action: 'evidence.view', target: m.violationId ?? m.key, detail: { file: 'video' } });
    return { ...meta, zones: await zonesOf(m) };
  };

  const mp4Of = (base: string) => `${base.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 80)}.mp4`;
  const videoSchema = (params: typeof ViolationParams | typeof ReviewItemParams, what: string) => ({
    tags: ['video'], params, produces: ['video/mp4'],
    summary: `The seconds around ${what} as MP4 (H.264, faces blurred in every frame); made on first request, then kept; Range requests answered with 206`,
  });
  const metaSchema = (params: typeof ViolationParams | typeof ReviewItemParams, what: string) => ({
    tags: ['video'], params, response: { 200: VideoMeta, ...errorResponses },
    summary: `Where ${what} sits in its video, the persons seen in each frame and the SOP's zones, for the player's overlay`,
  });

  app.get<{ Params: ViolationParams }>('/api/violations/:violationId/video', { schema: videoSchema(ViolationParams, 'a violation') }, async (req, reply) => {
    const m = await ofViolation(req);
    return sendRangedFile(req, reply, (await videoOf(m)).mp4, 'video/mp4', mp4Of(m.key));
  });
  app.get<{ Params: ViolationParams }>('/api/violations/:violationId/video/meta', { schema: metaSchema(ViolationParams, 'a violation') },
    async (req) => metaReply(req, await ofViolation(req)));
  app.get<{ Params: ReviewItemParams }>('/api/review-items/:reviewItemId/video', { schema: videoSchema(ReviewItemParams, 'a review case') }, async (req, reply) => {
    const m = await ofReviewItem(req);
    return sendRangedFile(req, reply, (await videoOf(m)).mp4, 'video/mp4', mp4Of(m.key));
  });
  app.get<{ Params: ReviewItemParams }>('/api/review-items/:reviewItemId/video/meta', { schema: metaSchema(ReviewItemParams, 'a review case') },
    async (req) => metaReply(req, await ofReviewItem(req)));
}
