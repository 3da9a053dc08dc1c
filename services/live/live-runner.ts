// Runs the live service from the command line until SIGINT/SIGTERM: detector for the SOPs' needs, Redis leases
// when a Redis URL is set (refused unless noeviction), one readable line per event, health every minute.
import { Redis } from 'ioredis';
import { modelNeedsFor } from '../analysis/index.ts';
import { assertNoEviction, redactRedisUrl } from '../core/queue/redis-policy.ts';
import { createDetector, withCheckModel } from '../detector/index.ts';
import type { CompiledSop } from '../rules/compiled.ts';
import type { OutboundPolicy } from '../core/net-policy.ts';
import type { CameraConfig, LiveConfig } from './camera-config.ts';
import { LiveService, type LiveServiceEvent } from './live-service.ts';

export interface LiveRunOptions {
  config: LiveConfig;
  sops: CompiledSop[];
  redisUrl?: string;
  json: boolean;
  out: NodeJS.WritableStream;
  passwordOf?: (camera: CameraConfig) => string | undefined;
  healthEveryMs?: number;
  /** Where cameras may be; default the environment's camera policy (SOPWATCH_CAMERA_NETWORKS). */
  outbound?: OutboundPolicy;
  /** Resolves when the run should end; default: the first SIGINT or SIGTERM. */
  until?: Promise<void>;
}

const iso = (ms: number): string => new Date(ms).toISOString();

/** One line for a person reading the terminal. */
export function describeEvent(e: LiveServiceEvent): string | undefined {
  switch (e.type) {
    case 'verdict': {
      const v = e.verdict;
      const lag = `${e.emittedMs - e.frameMs} ms after the frame`;
      switch (v.type) {
        case 'violation':
          return `${e.cameraId} VIOLATION ${v.violation.sop}/${v.violation.rule} ${v.violation.kind} ${iso(v.violation.startMs)}: ${v.violation.message} (${lag})`;
        case 'violation_end':
          return `${e.cameraId} violation ended ${v.id} at ${iso(v.endMs)}`;
        case 'needs_review':
          return `${e.cameraId} NEEDS REVIEW ${v.item.sop}/${v.item.rule}: ${v.item.reason}`;
        case 'pending_verify':
          return `${e.cameraId} asking: ${v.request.question}`;
        case 'run':
          return `${e.cameraId} run ${v.run.sop}/${v.run.rule} ${v.run.outcome}`;
      }
      return undefined;
    }
    case 'evidence':
      return `${e.cameraId} evidence for ${e.violationId}: ${e.before.length} frames before, ${e.after.length} after; ` +
        `${e.keyframes.filter((f) => f.stream === 'main').length} of ${e.keyframes.length} keyframes from the main stream` +
        (e.keyframeNotes.length === 0 ? '' : ` (${e.keyframeNotes.join('; ')})`);
    case 'segment_end':
      return `${e.cameraId} rules closed at ${iso(e.atMs)} (${e.reason})`;
    case 'online':
      return `${e.cameraId} online (${e.source})`;
    case 'offline':
      return `${e.cameraId} OFFLINE: ${e.reason}`;
    case 'backoff':
      return `${e.cameraId} retrying in ${e.delayMs} ms (attempt ${e.attempt})`;
    case 'not_monitored':
      return `${e.cameraId} NOT MONITORED ${iso(e.span.startMs)} .. ${e.span.endMs === undefined ? 'now' : iso(e.span.endMs)} (${e.span.reason})`;
    case 'acquired':
    case 'released':
    case 'lost':
    case 'expired':
      return `lease ${e.type}: ${e.cameraId} by ${e.workerId}`;
    case 'error':
      return `live: ${e.message}`;
  }
}

function signalled(): Promise<void> {
  return new Promise((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
}

export async function runLive(o: LiveRunOptions): Promise<void> {
  const needs = modelNeedsFor(o.sops);
  const wanted = needs.persons || needs.hands || needs.objects || needs.pose ? needs : { ...needs, persons: true };
  // The pose model too where the rules want persons alone: the frame stage checks persons already found with it.
  const pool = await createDetector({ needs: withCheckModel(wanted) });
  const detector = pool.view(wanted);
  let redis: Redis | undefined;
  if (o.redisUrl !== undefined) {
    redis = new Redis(o.redisUrl, { maxRetriesPerRequest: 2 });
    redis.on('error', () => undefined);
    // An evicted lease would let two workers watch one camera.
    await assertNoEviction(redis, redactRedisUrl(o.redisUrl));
  }
  const write = (line: string): void => void o.out.write(`${line}\n`);
  const service = new LiveService({
    config: o.config,
    sops: o.sops,
    detector,
    ...(redis === undefined ? {} : { redis }),
    ...(o.passwordOf === undefined ? {} : { passwordOf: o.passwordOf }),
    ...(o.outbound === undefined ? {} : { outbound: o.outbound }),
    onRecordingProblem: (message) => write(o.json ? JSON.stringify({ type: 'recording', message }) : `${new Date().toISOString()} ${message}`),
    sink: (e) => {
      if (o.json) {
        const plain = e.type === 'evidence' ? { ...e, before: e.before.map((f) => f.tMs), after: e.after.map((f) => f.tMs), keyframes: e.keyframes.map((f) => ({ tMs: f.tMs, stream: f.stream ?? 'detection' })) } : e;
        write(JSON.stringify(plain));
      } else {
        const line = describeEvent(e);
        if (line !== undefined) write(`${new Date().toISOString()} ${line}`);
      }
    },
  });
  write(o.json ? JSON.stringify({ type: 'start', workerId: service.workerId, cameras: o.config.cameras.length, redis: redis !== undefined }) : `live: worker ${service.workerId}, ${o.config.cameras.length} cameras, ${redis === undefined ? 'watching all (no Redis)' : 'sharing them through Redis leases'}`);
  await service.start();
  const timer = setInterval(() => {
    const stats = new Map(service.stats().map((s) => [s.cameraId, s]));
    for (const h of service.health()) {
      const s = stats.get(h.cameraId);
      // Model calls per camera-hour watched: the figure the cost of a camera follows.
      const model = s === undefined ? { modelCalls: 0, questions: 0, reusedAnswers: 0, modelCallsPerCameraHour: 0 }
        : { modelCalls: s.modelCalls, questions: s.questions, reusedAnswers: s.reusedAnswers, modelCallsPerCameraHour: s.modelCallsPerCameraHour };
      write(o.json ? JSON.stringify({ type: 'health', ...h, ...model })
        : `${h.cameraId} health: ${h.state}, ${h.fpsIn} fps in, ${h.fpsOut} out, ${h.dropped} dropped, ${h.reconnectsLastHour} reconnects/h, grade ${h.grade}; ` +
          `${model.questions} questions, ${model.modelCalls} model calls (${model.modelCallsPerCameraHour} per camera-hour), ${model.reusedAnswers} answers reused`);
    }
    for (const m of service.mainRecordings()) {
      write(o.json ? JSON.stringify({ type: 'main_recording', ...m })
        : `${m.cameraId} main stream for evidence: ${m.idle ?? m.state}, ${m.segments} segments, ${Math.round(m.bytes / 1024)} KiB, ${m.restarts} restarts${m.lastProblem === undefined ? '' : ` (${m.lastProblem})`}`);
    }
  }, o.healthEveryMs ?? 60_000);
  try {
    await (o.until ?? signalled());
  } finally {
    clearInterval(timer);
    await service.stop();
    await pool.close();
    await redis?.quit().catch(() => undefined);
  }
}
