// The detector pool of the clip worker and the face finder that runs on it, kept warm from one ClipAnalyse job to the
// next: starting them (worker threads, TF.js, model load and warm-up) cost seconds of CPU per clip, all of it before the
// first alert.
import { createFaceFinder, FACE_FINDER_NEEDS, type FaceFinder } from '../analysis/face-finder.ts';
import type { ModelNeeds } from '../analysis/index.ts';
import { InputError } from '../core/errors.ts';
import { createDetector, modelsFor, unionNeeds, type Detector, type PooledDetector } from '../detector/index.ts';
import { FaceBlurError } from '../evidence/index.ts';

export interface ClipDetectorsOptions {
  /**
   * Default: `createDetector` for these needs (a job's joined with the face finder's, FACE_FINDER_NEEDS), threads from
   * the environment (as each clip job used to).
   */
  createDetector?: (needs: ModelNeeds) => Promise<PooledDetector>;
  /**
   * The face finder on a pool `createDetector` just started. Default: `createFaceFinder({ shared })`. Its close() must
   * leave the pool running: the pool is closed after it.
   */
  createFaces?: (shared: PooledDetector) => FaceFinder;
  /** Closed after this long without a job, so that a worker with no clips to analyse gives the memory back. Default 10 min. */
  idleMs?: number;
}

export interface ClipDetectorsLease {
  /** A view of the kept pool: runs only the models of the job's needs, and answers as a pool of these needs would. */
  detector: Detector;
  /** The face finder, on the same pool's threads. */
  faces: FaceFinder;
  /**
   * The job is done with them. After a failure that may be theirs, they are closed once no job uses them, and the
   * next job starts new ones.
   */
  release(failure?: unknown): void;
}

const CLOSED = 'the clip detectors are closed: the worker is shutting down';
/**
 * Warm, the pool's two threads take a process from about 120 to 390 MiB RSS, 510 after a first frame (480 and 650 when
 * the face finder had two threads of its own), against seconds of CPU saved per clip.
 */
const DEFAULT_IDLE_MS = 600_000;

interface Closable {
  close(): Promise<void>;
}

interface Entry<T> {
  key: string;
  value: Promise<T>;
  /** Set once started. */
  ready?: T;
  users: number;
  retired: boolean;
}

/** One thing kept between jobs: shared while its key stays the same and it is usable, replaced otherwise. */
class Kept<T extends Closable> {
  private entry: Entry<T> | undefined;
  private readonly ending = new Set<Promise<void>>();
  private idle: NodeJS.Timeout | undefined;
  starts = 0;

  constructor(
    private readonly usable: (value: T) => boolean,
    private readonly idleMs: number,
  ) {}

  /** The kept value for `key`, started now when there is none, it differs or it broke; in use until `give`. */
  async take(key: string, start: () => Promise<T>): Promise<{ entry: Entry<T>; value: T }> {
    clearTimeout(this.idle);
    const old = this.entry;
    // Synchronous up to the first await, so that jobs asking at once share one start.
    if (old !== undefined && (old.key !== key || (old.ready !== undefined && !this.usable(old.ready)))) this.retire(old);
    let e = this.entry;
    if (e === undefined) {
      this.starts += 1;
      const fresh: Entry<T> = { key, value: start(), users: 0, retired: false };
      fresh.value.then(
        (v) => { fresh.ready = v; },
        // A failed start is not kept: the next job tries again.
        () => { if (this.entry === fresh) this.entry = undefined; },
      );
      this.entry = fresh;
      e = fresh;
    }
    e.users += 1;
    try {
      return { entry: e, value: await e.value };
    } catch (err) {
      e.users -= 1;
      throw err;
    }
  }

  /** True while a job holds (or is starting) the kept value of another key. */
  heldForOther(key: string): boolean {
    return this.entry !== undefined && this.entry.key !== key && this.entry.users > 0;
  }

  give(e: Entry<T>, healthy: boolean): void {
    e.users -= 1;
    if (!healthy) this.retire(e);
    else if (e.retired && e.users === 0) this.end(e);
    else if (e.users === 0 && this.entry === e) {
      clearTimeout(this.idle);
      this.idle = setTimeout(() => {
        if (this.entry === e && e.users === 0) this.retire(e);
      }, this.idleMs);
      this.idle.unref();
    }
  }

  /** Closes what is kept (and waits for what is still closing); a job still using it keeps it until it gives it back. */
  async close(): Promise<void> {
    clearTimeout(this.idle);
    if (this.entry !== undefined) this.retire(this.entry);
    await Promise.all(this.ending);
  }

  private retire(e: Entry<T>): void {
    if (this.entry === e) this.entry = undefined;
    if (e.retired) return;
    e.retired = true;
    if (e.users === 0) this.end(e);
  }

  private end(e: Entry<T>): void {
    const closing = e.value.then((v) => v.close(), () => undefined).catch(() => undefined);
    this.ending.add(closing);
    void closing.finally(() => this.ending.delete(closing));
  }
}

/** A face finder that remembers whether it failed other than by refusing to keep a face (its detector died, say). */
function watched(faces: FaceFinder): FaceFinder & { broken: boolean } {
  const w = {
    broken: false,
    find: (frame: Parameters<FaceFinder['find']>[0]) => note(faces.find(frame)),
    scrub: (frame: Parameters<FaceFinder['scrub']>[0], seen?: Parameters<FaceFinder['scrub']>[1]) => note(faces.scrub(frame, seen)),
    renderClean: (render: Parameters<FaceFinder['renderClean']>[0], checkHeight?: number) => note(faces.renderClean(render, checkHeight)),
    warm: () => note(faces.warm()),
    close: () => faces.close(),
  };
  function note<R>(p: Promise<R>): Promise<R> {
    return p.catch((err: unknown) => {
      if (!(err instanceof FaceBlurError)) w.broken = true;
      throw err;
    });
  }
  return w;
}

/** A started pool and the face finder on it: kept, replaced and closed together. */
interface Warm {
  pool: PooledDetector;
  faces: FaceFinder & { broken: boolean };
  /** The face finder first (its views stop asking), then the pool. */
  close(): Promise<void>;
}

/** What a pool for these needs loads: a kept pool with the same models serves them (as a view). */
function keyOf(needs: ModelNeeds): string {
  return modelsFor(unionNeeds(needs, FACE_FINDER_NEEDS)).join('+');
}

/**
 * One detector pool, with the models of the last job's needs and of the face finder, and one face finder running on
 * it (as views: two threads in all, each model loaded once), shared by the clip jobs of this worker. Each job gets a
 * view of the pool for its own needs. Every set of needs, joined with the face finder's, loads the same models today
 * (CenterNet, MoveNet, BlazeFace), so one pool serves every camera; a job whose needs call for other models replaces
 * it. A pool that lost a thread for good, a face finder that failed other than by keeping a face, or a job that failed
 * other than on its input, and both are replaced; unused for `idleMs`, they are closed. `close()` at shutdown, after
 * the last job.
 */
export class ClipDetectors {
  private readonly kept: Kept<Warm>;
  private readonly acquiring = new Set<Promise<ClipDetectorsLease>>();
  private faceFinders = 0;
  private closed = false;

  constructor(private readonly options: ClipDetectorsOptions = {}) {
    this.kept = new Kept((w) => w.pool.liveThreads() === w.pool.threads && !w.faces.broken, options.idleMs ?? DEFAULT_IDLE_MS);
  }

  /**
   * Pools started so far, and face finders made on them (what keeping them saves shows here). A face finder is made
   * once its pool has started, one per pool: a pool still starting, or one that failed to, has none.
   */
  get starts(): { detectors: number; faceFinders: number } {
    return { detectors: this.kept.starts, faceFinders: this.faceFinders };
  }

  /** A view for these needs and the face finder; the pool is started now when none is warm that can serve them. */
  acquire(needs: ModelNeeds): Promise<ClipDetectorsLease> {
    if (this.closed) return Promise.reject(new Error(CLOSED));
    const lease = this.lease(needs);
    this.acquiring.add(lease);
    void lease.catch(() => undefined).finally(() => this.acquiring.delete(lease));
    return lease;
  }

  /**
   * True while a job uses (or is starting) a pool that cannot serve these needs (other models). Acquiring them now
   * would start a second pool beside it (memory and CPU taken from the running analysis) and replace the kept one: a
   * warm-up for a clip that has not arrived yet does not do that (its clip starts the pool when its turn comes).
   */
  busyWithOther(needs: ModelNeeds): boolean {
    return this.kept.heldForOther(keyOf(needs));
  }

  /** Waits for what is being started, then closes everything; a lease still held is closed when it is released. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.allSettled([...this.acquiring]);
    await this.kept.close();
  }

  private async start(needs: ModelNeeds): Promise<Warm> {
    const pool = await (this.options.createDetector ?? ((n: ModelNeeds) => createDetector({ needs: n })))(needs);
    let faces: FaceFinder & { broken: boolean };
    try {
      faces = watched((this.options.createFaces ?? ((shared: PooledDetector) => createFaceFinder({ shared })))(pool));
    } catch (err) {
      await pool.close().catch(() => undefined);
      throw err;
    }
    this.faceFinders += 1;
    // Ready before the first violation needs its keyframes blurred (on the shared pool, only its views are made; a
    // failure marks it broken: the next job gets another pool and face finder).
    void faces.warm().catch(() => undefined);
    return {
      pool,
      faces,
      close: async () => {
        await faces.close().catch(() => undefined);
        await pool.close();
      },
    };
  }

  private async lease(needs: ModelNeeds): Promise<ClipDetectorsLease> {
    const { entry, value } = await this.kept.take(keyOf(needs), () => this.start(unionNeeds(needs, FACE_FINDER_NEEDS)));
    let detector: Detector;
    try {
      if (this.closed) throw new Error(CLOSED);
      detector = value.pool.view(needs);
    } catch (err) {
      this.kept.give(entry, true);
      throw err;
    }
    let released = false;
    return {
      detector,
      faces: value.faces,
      release: (failure?: unknown) => {
        if (released) return;
        released = true;
        // A bad clip says nothing about the detector.
        this.kept.give(entry, failure === undefined || failure instanceof InputError);
      },
    };
  }
}
