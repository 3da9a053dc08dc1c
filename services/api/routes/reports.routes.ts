// The compliance report per store, local day, SOP and rule, as JSON or as a CSV download (exports are audited).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { callerOf, storeScope } from '../access.ts';
import { badRequest } from '../http-errors.ts';
import { toCsv } from '../csv.ts';
import { errorResponses } from '../schemas/common.ts';
import { ComplianceReport, ReportQuery } from '../schemas/report.ts';
import { AccuracyQuery, AccuracyReport } from '../schemas/accuracy.ts';
import { DEFAULT_THRESHOLDS, defaultBucket, ruleAccuracy } from '../../eval/accuracy.ts';
import { shadowSummary } from '../../eval/shadow-summary.ts';
import { ClipLabelRepository } from '../../core/storage/clip-labels.repository.ts';
import { ShadowReportRepository } from '../../core/storage/shadow-report.repository.ts';
import { CameraUnmonitoredRepository } from '../../core/storage/camera-unmonitored.repository.ts';
import { ALERT_EXPORT_MAX, AlertExportRepository } from '../../core/storage/alert-export.repository.ts';

const DAY_MS = 86_400_000;
/** Local days of any time zone fall within UTC days widened by this much on each side. */
const TZ_SLACK_MS = 15 * 3600_000;
const MAX_DAYS = 366;

/** The local days asked for, and the UTC range that holds them in every time zone. */
export function daysOf(req: FastifyRequest, query: ReportQuery) {
  const to = query.to ?? new Date().toISOString().slice(0, 10);
  const from = query.from ?? new Date(Date.parse(to) - 6 * DAY_MS).toISOString().slice(0, 10);
  const fromMs = Date.parse(`${from}T00:00:00Z`);
  const toMs = Date.parse(`${to}T00:00:00Z`);
  if (Number.isNaN(fromMs) || Number.isNaN(toMs) || fromMs > toMs) throw badRequest('from must be a day on or before to');
  if ((toMs - fromMs) / DAY_MS >= MAX_DAYS) throw badRequest(`a report covers at most ${MAX_DAYS} days`);
  return { from, to, range: { storeIds: storeScope(req, query.storeId), from: new Date(fromMs - TZ_SLACK_MS), to: new Date(toMs + DAY_MS + TZ_SLACK_MS) } };
}

async function build(app: FastifyInstance, req: FastifyRequest, query: ReportQuery) {
  const { from, to, range } = daysOf(req, query);
  const rows = await app.sopwatch.repos.violationQueries.compliance(range);
  const notMonitored = await new CameraUnmonitoredRepository(app.sopwatch.deps.db).byDay(range);
  const inRange = <T extends { day: string }>(r: T): boolean => r.day >= from && r.day <= to;
  return { from, to, range, rows: rows.filter(inRange), notMonitored: notMonitored.filter(inRange) };
}

export async function reportRoutes(app: FastifyInstance): Promise<void> {
  const { repos } = app.sopwatch;

  app.get<{ Querystring: ReportQuery }>('/api/reports/compliance', {
    schema: { tags: ['reports'], summary: 'Violations per store, local day, SOP and rule', querystring: ReportQuery, response: { 200: ComplianceReport, ...errorResponses } },
  }, async (req) => build(app, req, req.query));

  app.get<{ Querystring: AccuracyQuery }>('/api/reports/accuracy', {
    schema: {
      tags: ['reports'],
      summary: 'Per store, SOP and rule: precision from decisions, misses and recall from "missed here" labels, share decided, the trend per day or week, weak rules flagged with a hint; and what rules in shadow mode would have alerted',
      querystring: AccuracyQuery, response: { 200: AccuracyReport, ...errorResponses },
    },
  }, async (req) => {
    const { bucket: asked, ...range } = req.query;
    const report = await build(app, req, range);
    const db = app.sopwatch.deps.db;
    const inRange = (r: { day: string }): boolean => r.day >= report.from && r.day <= report.to;
    const missed = (await new ClipLabelRepository(db).missedByDay(report.range)).filter(inRange);
    const shadow = await new ShadowReportRepository(db).byDay(report.range);
    const bucket = asked ?? defaultBucket(report.from, report.to);
    const rows = [
      ...report.rows,
      ...missed.map((m) => ({ ...m, violations: 0, open: 0, needsReview: 0, confirmed: 0, dismissed: 0 })),
    ];
    return {
      from: report.from, to: report.to, bucket, thresholds: DEFAULT_THRESHOLDS,
      rules: ruleAccuracy(rows, DEFAULT_THRESHOLDS, { from: report.from, to: report.to, bucket }),
      shadow: shadowSummary(shadow, report.from, report.to),
    };
  });

  app.get<{ Querystring: ReportQuery }>('/api/reports/compliance.csv', {
    schema: { tags: ['reports'], summary: 'The same report as a CSV file', querystring: ReportQuery, produces: ['text/csv'] },
  }, async (req, reply) => {
    const report = await build(app, req, req.query);
    const caller = callerOf(req);
    const stores = storeScope(req, req.query.storeId);
    // One audit row per store covered, so each store's trail shows who took its data out.
    for (const storeId of stores) {
      await repos.audit.append({ actor: caller.userId, storeId, action: 'report.export', detail: { from: report.from, to: report.to, format: 'csv' } });
    }
    // Unmonitored camera time gets rows of its own (camera and seconds filled, rule columns empty): a spreadsheet
    // shows it beside the violations, never as a compliant day.
    const csv = toCsv(
      ['day', 'store_id', 'store_name', 'sop', 'rule', 'violations', 'open', 'needs_review', 'confirmed', 'dismissed', 'high', 'camera', 'not_monitored_s'],
      [
        ...report.rows.map((r) => [r.day, r.storeId, r.storeName, r.sopId, r.rule, r.violations, r.open, r.needsReview, r.confirmed, r.dismissed, r.high, '', '']),
        ...report.notMonitored.map((n) => [n.day, n.storeId, n.storeName, '', '', '', '', '', '', '', '', n.cameraName ?? n.cameraId, n.seconds]),
      ],
    );
    return reply
      .header('content-type', 'text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="compliance-${report.from}-${report.to}.csv"`)
      .send(csv);
  });

  app.get<{ Querystring: ReportQuery }>('/api/reports/alerts.csv', {
    schema: {
      tags: ['reports'], querystring: ReportQuery, produces: ['text/csv'],
      summary: 'Every alert of the days asked (store-local), oldest first, with the standing decision, its reason and comment',
    },
  }, async (req, reply) => {
    const { from, to, range } = daysOf(req, req.query);
    const found = await new AlertExportRepository(app.sopwatch.deps.db).list(range);
    const rows = found.filter((r) => r.day >= from && r.day <= to);
    if (found.length > ALERT_EXPORT_MAX) throw badRequest(`more than ${ALERT_EXPORT_MAX} alerts: ask for fewer days`);
    const caller = callerOf(req);
    for (const storeId of range.storeIds) {
      await repos.audit.append({ actor: caller.userId, storeId, action: 'report.export', detail: { from, to, format: 'csv', what: 'alerts' } });
    }
    const csv = toCsv(
      ['time', 'time_utc', 'store', 'camera', 'sop', 'rule', 'rule_title', 'rule_title_zh', 'severity', 'status', 'decision', 'reason', 'comment', 'message'],
      rows.map((r) => [
        r.localTime, r.at.toISOString(), r.storeName, r.cameraName, r.sopId, r.rule, r.ruleTitle ?? r.rule, r.ruleTitleZh ?? '',
        r.severity, r.status, r.decision, r.reasonCode, r.comment, r.message,
      ]),
    );
    return reply
      .header('content-type', 'text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="alerts-${from}-${to}.csv"`)
      .send(csv);
  });
}
