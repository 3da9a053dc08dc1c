// Live camera records as the API shows them: health figures from the worker's last report, stale reports made plain,
// and problems as a manager can act on them (the low-level error text stays in the server's log and database).
import type { Camera as CameraRecord } from '../core/storage/cameras.repository.ts';
import type { CameraStatusRecord } from '../core/storage/camera-status.repository.ts';
import type { UnmonitoredSpan } from '../core/storage/camera-unmonitored.repository.ts';
import { cameraProblem, PROBLEM_ADVICE } from '../ingester/camera-problem.ts';
import { redact } from '../ingester/redact.ts';
import type { CameraHealth } from './schemas/camera-health.ts';

/** A report older than this means no worker watches the camera now (workers report every few seconds). */
export const STALE_REPORT_MS = 30_000;

const STATES = new Set(['starting', 'online', 'offline', 'backoff', 'stopped']);
const GRADES = new Set(['excellent', 'fair', 'poor', 'unusable']);

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const int = (v: unknown): number | null => (typeof v === 'number' && Number.isInteger(v) ? v : null);
const isoMs = (v: unknown): string | null => (typeof v === 'number' && Number.isFinite(v) ? new Date(v).toISOString() : null);
const text = (v: unknown): string | null => (typeof v === 'string' ? redact(v) : null);

/** A not-monitored reason in a manager's words: our own plain reasons as they are, camera errors as advice. */
function spanReason(reason: string): string {
  if (/^not watched|^lease |sopwatch stopped|stopped$/i.test(reason)) return reason;
  return PROBLEM_ADVICE[cameraProblem(reason)];
}

export function healthView(camera: CameraRecord, row: CameraStatusRecord | undefined, spans: readonly UnmonitoredSpan[]): CameraHealth {
  const h = row?.health ?? {};
  const fresh = row !== undefined && row.ageMs !== null && row.ageMs < STALE_REPORT_MS;
  const reported = row?.state !== undefined && STATES.has(row.state) ? row.state : 'unknown';
  // A stopped camera stays stopped; anything else nobody reports any more is unknown.
  const state = reported === 'stopped' || fresh ? reported : 'unknown';
  const watched = fresh && state !== 'stopped';
  // Rates and the grade of a camera nobody watches now would be stale: they are not shown.
  const grade = !watched ? (state === 'stopped' ? 'unusable' : null) : typeof h.grade === 'string' && GRADES.has(h.grade) ? h.grade : null;
  const pipeline = (h.pipeline ?? {}) as Record<string, unknown>;
  const raw = typeof h.lastError === 'string' && state !== 'online' ? h.lastError : undefined;
  const problem = raw === undefined ? null : cameraProblem(raw);
  const open = spans.find((s) => s.endAt === null);
  return {
    cameraId: camera.id,
    storeId: camera.storeId,
    name: camera.name,
    state,
    watched,
    source: text(h.source),
    since: isoMs(h.sinceMs),
    expectedFps: num(h.expectedFps),
    fpsIn: watched ? num(h.fpsIn) : null,
    fpsOut: watched ? num(h.fpsOut) : null,
    dropped: int(h.dropped),
    framesTotal: int(h.framesTotal),
    reconnectsLastHour: int(h.reconnectsLastHour),
    stallsLastHour: int(h.stallsLastHour),
    lastFrameAt: isoMs(h.lastFrameMs),
    problem,
    lastError: problem === null ? null : PROBLEM_ADVICE[problem],
    notMonitoredSince: open === undefined ? null : open.startAt.toISOString(),
    grade,
    meanLagMs: num(pipeline.meanLagMs),
    reportedAt: row?.reportedAt?.toISOString() ?? null,
    snapshotAt: row?.snapshotAt?.toISOString() ?? null,
    notMonitored: spans.map((s) => ({ startAt: s.startAt.toISOString(), endAt: s.endAt?.toISOString() ?? null, reason: spanReason(s.reason) })),
  };
}
