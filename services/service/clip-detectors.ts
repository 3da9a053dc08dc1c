// The detector pool and face finder of the clip worker, kept warm from one ClipAnalyse job to the next: starting them
// (worker threads, TF.js, model load and warm-up) cost seconds of CPU per clip, all of it before the first alert.
import { createFaceFinder, type FaceFinder } from '../analysis/face-finder.ts';
import type { ModelNeeds } from '../analysis/index.ts';
import { InputError } from '../core/errors.ts';
import { createDetector, type Detector, type PooledDetector } from '../detector/index.ts';
import { FaceBlurError } from '../evidence/index.ts';

export interface ClipDetectorsOptions {
  /** Default: `createDetector` for these needs, threads from the environment (as each clip job used to). */
  createDetector?: (needs: ModelNeeds) => Promise<PooledDetector>;
  /** Default: `createFaceFinder`. */
  createFaces?: () => FaceFinder;
  /** Closed after this long without a job, so that a worker with no clips to analyse gives the memory back. Default 10 min. */
  idleMs?: number;
}

export interface ClipDetectorsLease {
  detector: Detector;
  faces: FaceFinder;
  /**
   * The job is done with them. After a failure that may be theirs, they are closed once no job uses them, and the
   * next job starts new ones.
   */
  release(failure?: unknown): void;
}

const CLOSED = 'the clip detectors are closed: the worker is shutting down';
/** The four model threads hold 400-500 MiB while warm (BENCHMARKS.md), against seconds of CPU saved per clip. */
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

/**
 * One detector pool (for the needs of the last job; another job's needs replace it) and one face finder, shared by
 * the clip jobs of this worker. A pool that lost a thread for good, a face finder that failed, or a job that failed
 * other than on its input, and they are replaced; unused for `idleMs`, they are closed. `close()` at shutdown, after
 * the last job.
 */
export class ClipDetectors {
  private readonly pools: Kept<PooledDetector>;
  private readonly finders: Kept<FaceFinder & { broken: boolean }>;
  private readonly acquiring = new Set<Promise<ClipDetectorsLease>>();
  private closed = false;

  constructor(private readonly options: ClipDetectorsOptions = {}) {
    const idleMs = options.idleMs ?? DEFAULT_IDLE_MS;
    this.pools = new Kept((d) => d.liveThreads() === d.threads, idleMs);
    this.finders = new Kept((f) => !f.broken, idleMs);
  }

  /** Pools and face finders started so far (what keeping them saves shows here). */
  get starts(): { detectors: number; faceFinders: number } {
    return { detectors: this.pools.starts, faceFinders: this.finders.starts };
  }

  /** Both, for these needs; whatever is not warm yet is started now, the two at once. */
  acquire(needs: ModelNeeds): Promise<ClipDetectorsLease> {
    if (this.closed) return Promise.reject(new Error(CLOSED));
    const lease = this.lease(needs);
    this.acquiring.add(lease);
    void lease.catch(() => undefined).finally(() => this.acquiring.delete(lease));
    return lease;
  }

  /**
   * True while a job uses (or is starting) a pool for other needs. Acquiring these needs now would start a second pool
   * beside it (memory and CPU taken from the running analysis) and replace the kept one: a warm-up for a clip that has
   * not arrived yet does not do that (its clip starts the pool when its turn comes).
   */
  busyWithOther(needs: ModelNeeds): boolean {
    return this.pools.heldForOther(JSON.stringify(needs));
  }

  /** Waits for what is being started, then closes everything; a lease still held is closed when it is released. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.allSettled([...this.acquiring]);
    await Promise.all([this.pools.close(), this.finders.close()]);
  }

  private async lease(needs: ModelNeeds): Promise<ClipDetectorsLease> {
    const startPool = this.options.createDetector ?? ((n: ModelNeeds) => createDetector({ needs: n }));
    const startFaces = (): Promise<FaceFinder & { broken: boolean }> => {
      const f = watched((this.options.createFaces ?? createFaceFinder)());
      // Loaded while the clip's first seconds are analysed, not when the first violation needs its keyframes blurred
      // (a failure marks it broken: the next job gets another).
      void f.warm().catch(() => undefined);
      return Promise.resolve(f);
    };
    const [pool, finder] = await Promise.allSettled([this.pools.take(JSON.stringify(needs), () => startPool(needs)), this.finders.take('', startFaces)]);
    if (pool.status === 'rejected' || finder.status === 'rejected') {
      if (pool.status === 'fulfilled') this.pools.give(pool.value.entry, true);
      if (finder.status === 'fulfilled') this.finders.give(finder.value.entry, true);
      throw pool.status === 'rejected' ? pool.reason : (finder as PromiseRejectedResult).reason;
    }
    if (this.closed) {
      this.pools.give(pool.value.entry, true);
      this.finders.give(finder.value.entry, true);
      throw new Error(CLOSED);
    }
    let released = false;
    return {
      detector: pool.value.value,
      faces: finder.value.value,
      release: (failure?: unknown) => {
        if (released) return;
        released = true;
        // A bad clip says nothing about the detector.
        const healthy = failure === undefined || failure instanceof InputError;
        this.pools.give(pool.value.entry, healthy);
        this.finders.give(finder.value.entry, healthy);
      },
    };
  }
}
