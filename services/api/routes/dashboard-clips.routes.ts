// For the dashboard's clip timeline: a clip's length and picture size, and the rules (lanes) that applied to its camera.
import type { FastifyInstance } from 'fastify';
import { callerOf } from '../access.ts';
import { notFound } from '../http-errors.ts';
import { probeClip } from '../../ingester/probe.ts';
import type { CompiledSop } from '../../rules/compiled.ts';
import { errorResponses } from '../schemas/common.ts';
import { ClipParams } from '../schemas/clip.ts';
import { ClipSummary, type RuleLane } from '../../../dashboard/api-schemas.ts';

export function ruleLanes(sop: CompiledSop, version: number): RuleLane[] {
  return sop.rules.map((r) => ({
    sop: sop.id, sopTitle: sop.title, sopVersion: version, rule: r.id, title: r.title, titleZh: r.titleZh ?? null, kind: r.kind, severity: r.severity,
    shadow: r.shadow, enabled: r.enabled, steps: r.kind === 'sequence' ? r.steps.map((s) => s.id) : [],
  }));
}

/** Probing costs an ffprobe run; a clip's file never changes, so its answer is kept. */
const PROBE_CACHE_LIMIT = 500;

export async function dashboardClipRoutes(app: FastifyInstance): Promise<void> {
  const { repos } = app.sopwatch;
  const probed = new Map<string, { durationS: number; width: number; height: number } | null>();

  app.get<{ Params: ClipParams }>('/api/clips/:clipId/summary', {
    schema: { tags: ['clips'], summary: 'Length, picture size and rule lanes of a clip (for the dashboard timeline)', params: ClipParams, response: { 200: ClipSummary, ...errorResponses } },
  }, async (req) => {
    const clip = await repos.clips.get(req.params.clipId, callerOf(req).storeIds);
    if (!clip) throw notFound('clip');
    let info = probed.get(clip.id);
    if (info === undefined) {
      info = await probeClip(clip.path).then((p) => ({ durationS: p.durationMs / 1000, width: p.width, height: p.height }), () => null);
      if (probed.size >= PROBE_CACHE_LIMIT) probed.delete(probed.keys().next().value as string);
      probed.set(clip.id, info);
    }
    const camera = clip.cameraId === null ? undefined : await repos.cameras.get(clip.cameraId, [clip.storeId]);
    const files = camera === undefined ? [] : await repos.sopFiles.enabledForCamera(clip.storeId, camera);
    return {
      clipId: clip.id,
      durationS: info?.durationS ?? null,
      width: info?.width ?? null,
      height: info?.height ?? null,
      rules: files.flatMap((f) => ruleLanes(f.compiled as unknown as CompiledSop, f.version)),
    };
  });
}
