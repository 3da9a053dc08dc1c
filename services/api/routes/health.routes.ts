// Liveness, readiness (every dependency checked within a deadline: 503, never a hang) and Prometheus metrics.
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { allJobNames } from '../../core/jobs.ts';
import { modelUsage, perCameraHour } from '../../core/model-usage.ts';
import { cameraMetrics } from '../camera-metrics.ts';
import { ErrorBody } from '../schemas/common.ts';

const Ready = Type.Object({
  status: Type.Union([Type.Literal('ready'), Type.Literal('unavailable')]),
  checks: Type.Record(Type.String(), Type.String({ description: 'ok, in-process, down or timeout' })),
});

async function within<T>(work: Promise<T>, ms: number): Promise<'ok' | 'down' | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), ms);
  });
  try {
    return await Promise.race([work.then(() => 'ok' as const, () => 'down' as const), deadline]);
  } finally {
    clearTimeout(timer);
  }
}

const esc = (v: string): string => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

class Exposition {
  private readonly lines: string[] = [];
  metric(name: string, type: 'gauge' | 'counter', help: string, samples: Array<[Record<string, string>, number]>): void {
    this.lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [labels, value] of samples) {
      const l = Object.entries(labels).map(([k, v]) => `${k}="${esc(v)}"`).join(',');
      this.lines.push(`${name}${l === '' ? '' : `{${l}}`} ${value}`);
    }
  }
  toString(): string {
    return `${this.lines.join('\n')}\n`;
  }
}

export async function healthRoutes(app: FastifyInstance): Promise<void> {
  const { deps, config, repos, feed } = app.sopwatch;

  app.get('/healthz', { config: { access: 'public' }, schema: { tags: ['health'], security: [], response: { 200: Type.Object({ status: Type.Literal('ok') }) } } },
    async () => ({ status: 'ok' as const }));

  app.get('/readyz', {
    config: { access: 'public' },
    schema: { tags: ['health'], security: [], summary: 'Ready when the database (and Redis, when configured) answer in time', response: { 200: Ready, 503: Ready } },
  }, async (_req, reply) => {
    const checks: Record<string, string> = { database: await within(deps.db.query('SELECT 1'), config.readyTimeoutMs) };
    checks.queue = deps.queue.kind === 'bullmq' ? await within(deps.queue.counts(allJobNames[0]), config.readyTimeoutMs) : 'in-process';
    const ok = Object.values(checks).every((c) => c === 'ok' || c === 'in-process');
    return reply.code(ok ? 200 : 503).send({ status: ok ? 'ready' : 'unavailable', checks });
  });

  app.get('/metrics', {
    config: { access: 'metrics' },
    schema: { tags: ['health'], summary: 'Prometheus text format (bearer token SOPWATCH_METRICS_TOKEN)', produces: ['text/plain'], response: { 401: Type.Ref(ErrorBody) } },
  }, async (_req, reply) => {
    const out = new Exposition();
    out.metric('sopwatch_clips', 'gauge', 'Clips by analysis status.', (await repos.clipAdmin.countByStatus()).map((c) => [{ status: c.status }, c.count]));
    out.metric('sopwatch_violations', 'gauge', 'Violations by review status.', (await repos.clipAdmin.violationsByStatus()).map((v) => [{ status: v.status }, v.count]));
    out.metric('sopwatch_frames_analysed_total', 'counter', 'Frames analysed, over the clips kept.', [[{}, await repos.clipAdmin.framesAnalysed()]]);
    const jobs: Array<[Record<string, string>, number]> = [];
    let queueUp = 1;
    try {
      for (const name of allJobNames) {
        const c = await deps.queue.counts(name);
        for (const [state, n] of Object.entries(c)) jobs.push([{ name, state }, n]);
      }
    } catch {
      queueUp = 0;
    }
    out.metric('sopwatch_jobs', 'gauge', 'Jobs by name and state.', jobs);
    out.metric('sopwatch_queue_up', 'gauge', '1 when the job queue answered.', [[{ backend: deps.queue.kind }, queueUp]]);
    out.metric('sopwatch_http_responses_total', 'counter', 'HTTP responses by status class.', [...app.sopwatch.httpResponses].map(([k, n]) => [{ code: k }, n]));
    const usage = modelUsage();
    out.metric('sopwatch_model_calls_total', 'counter', 'Vision-model HTTP calls made for clip analyses in this process.', [[{}, usage.calls]]);
    out.metric('sopwatch_model_cost_usd_total', 'counter', 'What those calls cost, USD.', [[{}, Math.round(usage.costUsd * 1e6) / 1e6]]);
    out.metric('sopwatch_camera_seconds_analysed_total', 'counter', 'Camera time analysed in this process, s.', [[{}, Math.round(usage.cameraMs) / 1000]]);
    out.metric('sopwatch_model_calls_per_camera_hour', 'gauge', 'Model calls per hour of camera time analysed in this process.', [[{}, perCameraHour(usage.calls, usage.cameraMs)]]);
    out.metric('sopwatch_live_listeners', 'gauge', 'Open live-event streams.', [[{}, feed.size]]);
    for (const m of await cameraMetrics(deps.db)) out.metric(m.name, m.type, m.help, m.samples);
    return reply.header('content-type', 'text/plain; version=0.0.4; charset=utf-8').send(out.toString());
  });

  app.get('/api/docs/json', { config: { access: 'public' }, schema: { hide: true } }, async () => app.swagger());
}
