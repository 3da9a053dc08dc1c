// The owner's reports: the compliance score per store and rule (trend, ranking, worst rules) and one store's daily digest,
// built by the same code as the shift digest notification.
import type { FastifyInstance } from 'fastify';
import { notFound } from '../http-errors.ts';
import { errorResponses } from '../schemas/common.ts';
import { ComplianceScoreReport, DailyDigest, DigestQuery, ScoreQuery } from '../schemas/compliance-score.ts';
import { complianceScore } from '../../eval/compliance-score.ts';
import { defaultBucket } from '../../eval/accuracy.ts';
import { ComplianceFactsRepository } from '../../core/storage/compliance-facts.repository.ts';
import { CameraUnmonitoredRepository } from '../../core/storage/camera-unmonitored.repository.ts';
import { NotifySourceRepository } from '../../core/storage/notify-sources.repository.ts';
import { digestMessage, zonedToUtc } from '../../notify/index.ts';
import { daysOf } from './reports.routes.ts';

export async function complianceScoreRoutes(app: FastifyInstance): Promise<void> {
  const db = app.sopwatch.deps.db;

  app.get<{ Querystring: ScoreQuery }>('/api/reports/score', {
    schema: {
      tags: ['reports'],
      summary: 'Compliance score per store and rule: the share of checks (analysed clips, watched live hours) without a standing violation; its trend, stores ranked, worst rules first; time not monitored excluded and shown',
      querystring: ScoreQuery, response: { 200: ComplianceScoreReport, ...errorResponses },
    },
  }, async (req) => {
    const { bucket: asked, ...range } = req.query;
    const days = daysOf(req, range);
    const facts = await new ComplianceFactsRepository(db).facts(days.range);
    const notMonitored = await new CameraUnmonitoredRepository(db).byDay(days.range);
    return complianceScore({
      from: days.from, to: days.to, bucket: asked ?? defaultBucket(days.from, days.to),
      fromMs: days.range.from.getTime(), toMs: days.range.to.getTime(), nowMs: Date.now(), facts, notMonitored,
    });
  });

  app.get<{ Querystring: DigestQuery }>('/api/reports/digest', {
    schema: {
      tags: ['reports'],
      summary: 'One store\'s digest of a local day: what the shift digest notification lists for that window, and the live camera time not monitored',
      querystring: DigestQuery, response: { 200: DailyDigest, ...errorResponses },
    },
  }, async (req) => {
    const { storeId, day } = req.query;
    // The guard has proved storeId the caller's; a store deleted since is simply not found.
    const store = await app.sopwatch.repos.stores.get(storeId);
    if (store === undefined) throw notFound('store');
    const [y, m, d] = day.split('-').map(Number) as [number, number, number];
    const next = new Date(Date.UTC(y, m - 1, d + 1));
    const startMs = zonedToUtc(store.tz, y, m, d, 0, 0);
    const endMs = zonedToUtc(store.tz, next.getUTCFullYear(), next.getUTCMonth() + 1, next.getUTCDate(), 0, 0);
    const message = await digestMessage(new NotifySourceRepository(db), { id: store.id, name: store.name, tz: store.tz }, { startMs, endMs });
    // Titles from the SOP version in force (the newest where none is enabled), as the alerts list shows them.
    const files = await app.sopwatch.repos.sopFiles.list([store.id]);
    const ruleTitles = [];
    for (const top of message.summary.topRules) {
      const record = files.find((f) => f.sopId === top.sop && f.enabled) ?? files.find((f) => f.sopId === top.sop);
      const file = record === undefined ? undefined : await app.sopwatch.repos.sopFiles.get(store.id, top.sop, record.version);
      const rules = (file?.compiled as { rules?: Array<{ id: string; title?: string; titleZh?: string }> } | undefined)?.rules ?? [];
      const r = rules.find((x) => x.id === top.rule);
      ruleTitles.push({ sop: top.sop, rule: top.rule, title: r?.title ?? top.rule, titleZh: r?.titleZh ?? null });
    }
    const notMonitored = (await new CameraUnmonitoredRepository(db).byDay({ storeIds: [store.id], from: new Date(startMs - 86_400_000), to: new Date(endMs + 86_400_000) }))
      .filter((n) => n.day === day)
      .map((n) => ({ cameraId: n.cameraId, cameraName: n.cameraName, seconds: n.seconds }));
    return {
      storeId: store.id, storeName: store.name, day, tz: store.tz, fromIso: message.shiftStartIso, toIso: message.shiftEndIso,
      summary: message.summary, ruleTitles, notMonitored,
    };
  });
}
