// Stores what one store's live cameras report: violations (wall-clock rows), their end and keyframes, review cases,
// and not-monitored spans. Writes of one camera run in order; keyframes are drawn beside them, never in their way.
import type { LiveServiceEvent } from '../live/index.ts';
import type { Polygon, Violation } from '../core/contracts.ts';
import { ViolationRepository, violationKey, type Database } from '../core/storage/index.ts';
import { storedSubjects } from '../core/storage/violations.repository.ts';
import { CameraStatusRepository } from '../core/storage/camera-status.repository.ts';
import { CameraUnmonitoredRepository } from '../core/storage/camera-unmonitored.repository.ts';
import { EvidenceRepository } from '../core/storage/evidence.repository.ts';
import { LiveResultRepository } from '../core/storage/live-results.repository.ts';
import { StoreRepository } from '../core/storage/stores.repository.ts';
import type { LiveCamera, StorePlan } from './live-cameras.ts';
import type { KeyframeRequest, LiveImages } from './live-evidence.ts';

/** Violations remembered until their keyframes are drawn (the evidence event comes a few seconds later). */
const RAISED_LIMIT = 500;

export interface LiveSinkDeps {
  db: Database;
  plan: StorePlan;
  /** Created on first use: the face finder loads models. */
  images: () => LiveImages;
  /** A camera changed state: its health should be reported now rather than at the next tick. */
  onStateChange?: (camera: LiveCamera) => void;
  /** A violation row was created (the live feed may read at once). */
  onViolation?: (rowId: string) => void;
  onError: (message: string) => void;
  /** Why a camera went offline, in technical detail, for the server log (the API shows managers a coarse problem). */
  onCameraLog?: (message: string) => void;
  /** A span reported by a worker silent this long ago means the camera was not watched since (a crash). */
  staleAfterMs: number;
}

export class LiveStoreSink {
  private readonly byName: Map<string, LiveCamera>;
  private readonly chains = new Map<string, Promise<void>>();
  private readonly raised = new Map<string, Violation>();
  /** Violations raised, until long after (their end may move many times): what their subjects are counted from. */
  private readonly begun = new Map<string, Violation>();
  private readonly drawing = new Set<Promise<void>>();
  private closed = false;
  private readonly startedMs = new Map<string, number>();
  /** The last offline reason written to the log, per camera, so that a camera failing the same way logs it once. */
  private readonly loggedReason = new Map<string, string>();
  private readonly violations: ViolationRepository;
  private readonly results: LiveResultRepository;
  private readonly unmonitored: CameraUnmonitoredRepository;
  private readonly status: CameraStatusRepository;
  private readonly evidence: EvidenceRepository;

  constructor(private readonly d: LiveSinkDeps) {
    this.byName = new Map(d.plan.cameras.map((c) => [c.config.id, c]));
    this.violations = new ViolationRepository(d.db);
    this.results = new LiveResultRepository(d.db);
    this.unmonitored = new CameraUnmonitoredRepository(d.db);
    this.status = new CameraStatusRepository(d.db);
    this.evidence = new EvidenceRepository(d.db);
  }

  /** Every write queued so far, and any queued while waiting, has finished. */
  async idle(): Promise<void> {
    for (;;) {
      const pending = [...this.chains.values(), ...this.drawing];
      await Promise.all(pending);
      if ([...this.chains.values(), ...this.drawing].every((p) => pending.includes(p))) return;
    }
  }

  /** Runs `work` after the camera's earlier writes; a failure is reported and does not stop later writes. */
  private then(camera: LiveCamera, what: string, work: () => Promise<void>): Promise<void> {
    const key = camera.row.id;
    const next = (this.chains.get(key) ?? Promise.resolve()).then(work).catch((err: unknown) => this.d.onError(`live ${camera.config.id}: ${what}: ${(err as Error).message}`));
    this.chains.set(key, next);
    return next;
  }

  /**
   * The camera is watched from now by this process. When the last health of it was reported long ago, nobody
   * watched it in between (a crashed worker, a machine that was off): that time is recorded as not monitored.
   */
  watchStarted(cameraName: string, atMs: number): void {
    const camera = this.byName.get(cameraName);
    if (camera === undefined) return;
    this.startedMs.set(cameraName, atMs);
    void this.then(camera, 'start', async () => {
      const last = (await this.status.statuses([camera.row.storeId])).find((s) => s.cameraId === camera.row.id);
      if (last === undefined || last.reportedAt === null || last.ageMs === null || last.ageMs < this.d.staleAfterMs) return;
      await this.unmonitored.open({ storeId: camera.row.storeId, cameraId: camera.row.id, startAt: last.reportedAt, reason: 'not watched: no worker was running it' });
    });
  }

  /** This process stopped watching the camera (shutdown, new settings, lease handed over): not monitored until watched again. */
  watchStopped(cameraName: string, atMs: number, reason: string): Promise<void> {
    const camera = this.byName.get(cameraName);
    if (camera === undefined) return Promise.resolve();
    return this.then(camera, 'stop', async () => {
      await this.unmonitored.open({ storeId: camera.row.storeId, cameraId: camera.row.id, startAt: new Date(atMs), reason });
    });
  }

  /** Nothing more is stored: the store stopped (keyframes of a violation decided after its end are not drawn). */
  close(): void {
    this.closed = true;
  }

  handle(e: LiveServiceEvent): void {
    if (this.closed) return;
    if (e.type === 'error') {
      this.d.onError(`live leases: ${e.message}`);
      return;
    }
    const camera = this.byName.get(e.cameraId);
    if (camera === undefined) return;
    const store = camera.row.storeId;
    const cam = camera.row.id;
    switch (e.type) {
      case 'verdict':
        this.verdict(camera, e.verdict);
        return;
      case 'evidence':
        // A keyframe that could not come from the main stream is drawn from the detection stream: the log says why.
        for (const note of e.keyframeNotes) this.d.onCameraLog?.(`live ${e.cameraId}: ${e.violationId}: ${note}`);
        this.keyframes(camera, e.violationId, e.before, e.after, e.keyframes);
        return;
      case 'online':
        this.loggedReason.delete(e.cameraId);
        void this.then(camera, 'online', async () => {
          await this.unmonitored.close(store, cam, new Date(e.atMs));
        });
        this.d.onStateChange?.(camera);
        return;
      case 'offline': {
        // The technical detail goes to the server log (once per new reason); the API shows managers a coarse problem.
        if (this.loggedReason.get(e.cameraId) !== e.reason) {
          this.loggedReason.set(e.cameraId, e.reason);
          if (e.kind !== 'stopped') this.d.onCameraLog?.(`live ${e.cameraId}: offline (${e.kind}): ${e.reason}`);
        }
        const startMs = e.lastFrameMs ?? this.startedMs.get(e.cameraId) ?? e.atMs;
        void this.then(camera, 'offline', async () => {
          await this.unmonitored.open({ storeId: store, cameraId: cam, startAt: new Date(startMs), reason: e.reason });
        });
        this.d.onStateChange?.(camera);
        return;
      }
      case 'not_monitored': {
        const { span } = e;
        const endMs = span.endMs;
        void this.then(camera, 'not monitored', async () => {
          if (endMs === undefined) {
            await this.unmonitored.open({ storeId: store, cameraId: cam, startAt: new Date(span.startMs), reason: span.reason });
          } else if ((await this.unmonitored.close(store, cam, new Date(endMs))) === 0) {
            await this.unmonitored.addClosed({ storeId: store, cameraId: cam, startAt: new Date(span.startMs), endAt: new Date(endMs), reason: span.reason });
          }
        });
        return;
      }
      case 'acquired':
        this.watchStarted(e.cameraId, e.atMs);
        return;
      case 'released':
      case 'lost':
      case 'expired':
        void this.watchStopped(e.cameraId, e.atMs, `not watched: lease ${e.type}, another worker takes over`);
        return;
      case 'backoff':
      case 'segment_end':
        return;
    }
  }

  private verdict(camera: LiveCamera, verdict: Extract<LiveServiceEvent, { type: 'verdict' }>['verdict']): void {
    const store = camera.row.storeId;
    const cam = camera.row.id;
    switch (verdict.type) {
      case 'violation': {
        const v = verdict.violation;
        this.remember(v);
        void this.then(camera, 'violation', async () => {
          const { violation, created } = await this.violations.upsert({ storeId: store, sopVersion: this.d.plan.versions[v.sop] ?? 1, violation: { ...v, cameraId: cam } });
          if (created) this.d.onViolation?.(violation.id);
        });
        return;
      }
      case 'violation_end': {
        // The episode's final group: everyone who came in before the last one went out, first in and last out.
        const raised = this.begun.get(verdict.id);
        const subjects = raised === undefined || verdict.subjects === undefined ? null
          : storedSubjects({ ...raised, endMs: verdict.endMs, subjects: verdict.subjects, ...(verdict.count === undefined ? {} : { count: verdict.count }), ...(verdict.spans === undefined ? {} : { spans: verdict.spans }) });
        void this.then(camera, 'violation end', async () => {
          await this.results.endViolation(violationKey({ storeId: store, cameraId: cam, engineId: verdict.id }), verdict.endMs, subjects ?? undefined);
        });
        return;
      }
      case 'needs_review': {
        const r = verdict.item;
        void this.then(camera, 'review item', async () => {
          await this.results.upsertReviewItem({
            storeId: store, cameraId: cam, engineId: r.id, sopId: r.sop, sopVersion: this.d.plan.versions[r.sop] ?? 1, rule: r.rule,
            ...(r.step === undefined ? {} : { step: r.step }), severity: r.severity, startMs: r.startMs, endMs: r.endMs, reason: r.reason,
            ...(r.question === undefined ? {} : { question: r.question }), ...(r.answer === undefined ? {} : { answer: r.answer }),
            shadow: r.shadow === true, ...(r.reasonParts === undefined ? {} : { reasonParts: r.reasonParts }),
          });
        });
        return;
      }
      case 'pending_verify':
      case 'run':
        return;
    }
  }

  private remember(v: Violation): void {
    for (const map of [this.raised, this.begun]) {
      map.set(v.id, v);
      while (map.size > RAISED_LIMIT) map.delete(map.keys().next().value as string);
    }
  }

  private zonesOf(camera: LiveCamera, sopId: string): Record<string, Polygon> {
    const sop = this.d.plan.sops.find((s) => s.id === sopId);
    if (sop === undefined) return {};
    const key = [camera.config.id, ...camera.config.tags, '*'].find((k) => Object.hasOwn(sop.zones, k));
    return key === undefined ? {} : { ...sop.zones[key] };
  }

  /** The ring around the violation kept as a short video with its evidence, unless the store's privacy setting forbids it. */
  private async video(camera: LiveCamera, rowId: string, req: Parameters<LiveImages['video']>[0]): Promise<void> {
    try {
      const store = await new StoreRepository(this.d.db).get(req.storeId);
      if (store?.keepVideo !== true || this.closed) return;
      const [mp4, meta] = await this.d.images().video(req);
      if (mp4 !== undefined) await this.evidence.record({ violationId: rowId, path: mp4.path, kind: 'video', bytes: mp4.bytes });
      if (meta !== undefined) await this.evidence.record({ violationId: rowId, path: meta.path, kind: 'video-meta', bytes: meta.bytes });
    } catch (err) {
      this.d.onError(`live ${camera.config.id}: video of ${rowId}: ${(err as Error).message}`);
    }
  }

  private keyframes(camera: LiveCamera, engineId: string, before: KeyframeRequest['before'], after: KeyframeRequest['after'], keyframes: KeyframeRequest['before']): void {
    const v = this.raised.get(engineId);
    if (v === undefined) return;
    this.raised.delete(engineId);
    const store = camera.row.storeId;
    const rowId = violationKey({ storeId: store, cameraId: camera.row.id, engineId });
    const sop = this.d.plan.sops.find((s) => s.id === v.sop);
    const ruleTitle = sop?.rules.find((r) => r.id === v.rule)?.title ?? v.rule;
    // Drawn beside the camera's chain (blurring takes a while), stored once the violation row surely exists.
    const rowWritten = this.chains.get(camera.row.id) ?? Promise.resolve();
    const drawn = this.d.images().keyframes({ storeId: store, cameraRowId: camera.row.id, violation: v, ruleTitle, zones: this.zonesOf(camera, v.sop), before, after, keyframes })
      .catch((err: unknown) => ({ written: [], errors: [(err as Error).message] }));
    const stored = rowWritten.then(async () => {
      try {
        const { written, errors } = await drawn;
        for (const e of errors) this.d.onError(`live ${camera.config.id}: ${e}`);
        for (const w of written) await this.evidence.record({ violationId: rowId, path: w.path, kind: 'keyframe', bytes: w.bytes });
        if (written.length > 0) await this.results.setEvidence(rowId, written.map((w) => w.name), written.flatMap((w) => (w.boxes === undefined ? [] : [w.boxes])));
      } catch (err) {
        this.d.onError(`live ${camera.config.id}: keyframes of ${engineId}: ${(err as Error).message}`);
      }
      await this.video(camera, rowId, { storeId: store, cameraRowId: camera.row.id, violation: v, ruleTitle, zones: {}, before, after });
    });
    this.drawing.add(stored);
    void stored.finally(() => this.drawing.delete(stored));
  }
}
