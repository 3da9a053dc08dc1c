// What the live worker tells the rest of the system on a clock: each watched camera's health (for the API and
// /metrics), and its newest picture with faces blurred, refreshed every minute or every few seconds while looked at.
import { join } from 'node:path';
import type { Database } from '../core/storage/index.ts';
import { CameraStatusRepository, type StatusReport } from '../core/storage/camera-status.repository.ts';
import { CameraUnmonitoredRepository } from '../core/storage/camera-unmonitored.repository.ts';
import type { LiveService } from '../live/index.ts';
import type { StorePlan } from './live-cameras.ts';
import type { LiveImages } from './live-evidence.ts';

/** A snapshot asked for within this long counts as looked at. */
const WANTED_WINDOW_MS = 60_000;

export interface RunningStore {
  plan: StorePlan;
  service: LiveService;
}

export interface LiveReporterDeps {
  db: Database;
  dataDir: string;
  workerId: string;
  images: () => LiveImages;
  stores: () => Iterable<RunningStore>;
  snapshotEveryMs: number;
  snapshotWantedEveryMs: number;
  onError: (message: string) => void;
}

export class LiveReporter {
  private readonly status: CameraStatusRepository;
  private readonly unmonitored: CameraUnmonitoredRepository;
  private readonly taken = new Map<string, { atMs: number; frameMs: number }>();

  constructor(private readonly d: LiveReporterDeps) {
    this.status = new CameraStatusRepository(d.db);
    this.unmonitored = new CameraUnmonitoredRepository(d.db);
  }

  /** Writes the health of every camera watched here. */
  async report(): Promise<void> {
    const reports: StatusReport[] = [];
    const online: Array<{ storeId: string; cameraId: string; sinceMs: number }> = [];
    for (const { plan, service } of this.d.stores()) {
      const stats = new Map(service.stats().map((s) => [s.cameraId, s]));
      for (const h of service.health()) {
        const camera = plan.cameras.find((c) => c.config.id === h.cameraId);
        if (camera === undefined) continue;
        const { notMonitored: _spans, cameraId: _name, ...figures } = h;
        const { cameraId: _same, ...pipeline } = stats.get(h.cameraId) ?? { cameraId: '' };
        reports.push({ cameraId: camera.row.id, storeId: plan.storeId, workerId: this.d.workerId, state: h.state, health: { ...figures, pipeline } });
        if (h.state === 'online') online.push({ storeId: plan.storeId, cameraId: camera.row.id, sinceMs: h.sinceMs });
      }
    }
    await this.status.report(reports);
    // Spans that began before a camera's current online stretch have ended, even if their closing write was lost.
    for (const c of online) await this.unmonitored.close(c.storeId, c.cameraId, new Date(c.sinceMs));
  }

  /** Takes the pictures that are due. */
  async snapshots(): Promise<void> {
    const now = Date.now();
    const all = [...this.d.stores()].flatMap((r) => r.plan.cameras.map((camera) => ({ r, camera })));
    const wanted = await this.status.snapshotsWanted(all.map((x) => x.camera.row.id), WANTED_WINDOW_MS);
    for (const { r, camera } of all) {
      const id = camera.row.id;
      const frame = r.service.latestFrame(camera.config.id);
      if (frame === undefined) continue;
      const last = this.taken.get(id);
      // The first picture waits a period, unless someone asks: a camera that just started has enough to do.
      if (last === undefined && !wanted.has(id)) {
        this.taken.set(id, { atMs: now, frameMs: 0 });
        continue;
      }
      const every = wanted.has(id) ? this.d.snapshotWantedEveryMs : this.d.snapshotEveryMs;
      if (last !== undefined && (frame.tMs <= last.frameMs || now - last.atMs < every)) continue;
      this.taken.set(id, { atMs: now, frameMs: frame.tMs });
      const path = ['live', 'snapshots', r.plan.storeId, `${id}.jpg`].join('/');
      if (await this.d.images().snapshot(frame, join(this.d.dataDir, path))) await this.status.setSnapshot(id, r.plan.storeId, path, new Date(frame.tMs));
      else this.d.onError(`live ${camera.config.id}: snapshot not kept, a face could not be blurred`);
    }
  }
}
