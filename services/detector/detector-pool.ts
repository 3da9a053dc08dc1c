// The detector as the pipeline calls it: worker threads with one model set each; a frame goes to an idle worker.
import { Worker } from 'node:worker_threads';
import type { Box, Detections, Frame } from '../core/contracts.ts';
import { DetectorError, InputError, UsageError } from '../core/errors.ts';
import { frameMeta, type FromWorker, type ToWorker, type WireError, type WorkerConfig } from './protocol.ts';
import { modelsFor } from './needs.ts';
import type { BackendName, Detector, DetectorNeeds, MinScores, ModelName, PooledDetector, WorkerStats } from './types.ts';
import { bundledEntry } from '../core/bundled-entry.ts';

export interface PoolOptions {
  threads: number;
  frameTimeoutMs: number;
  startTimeoutMs: number;
}

type Ready = Extract<FromWorker, { type: 'ready' }>;

interface Job {
  frame: Frame;
  /** A view's needs: only these models run on the frame. */
  needs?: DetectorNeeds;
  /** The pose model alone on these boxes (Detector.keypointsAt). */
  at?: Box[];
  /** Sent before the frames of views without it (PooledDetector.view's `first`). */
  first?: boolean;
  resolve(d: Detections): void;
  reject(e: Error): void;
}

interface Slot {
  index: number;
  worker: Worker | undefined;
  /** Bumped for every new worker and when one is given up: events of an older worker are ignored. */
  generation: number;
  state: 'starting' | 'idle' | 'busy' | 'dead';
  current?: { id: number; job: Job; timer: NodeJS.Timeout };
  lastError?: Error;
  /** Restarts since the last frame answered; a worker that keeps dying is given up. */
  restarts: number;
  frames: number;
}

/** Through tsx: the fallback when the bundle cannot be made (services/core/bundled-entry.ts). */
const WORKER_TSX_ENTRY = new URL('./detector.worker.mjs', import.meta.url);
const MAX_RESTARTS = 3;
/** How long a closing worker may take to finish its frame and free its tensors before it is terminated. */
const CLOSE_GRACE_MS = 5_000;

/** Where detector threads start from: the esbuild bundle, or through tsx when no bundle can be made (`sopwatch doctor`). */
export async function detectorThreadEntry(): Promise<{ url: URL; bundled: boolean }> {
  const url = await bundledEntry('detector.worker', WORKER_TSX_ENTRY);
  return { url, bundled: url.href !== WORKER_TSX_ENTRY.href };
}

const describe = (f: Frame): string => `${f.cameraId}#${f.index}`;

function fromWire(e: WireError, context: string): Error {
  const message = `${context}: ${e.message}`;
  if (e.name === 'UsageError') return new UsageError(message);
  if (e.name === 'InputError') return new InputError(message);
  return new DetectorError(message, { cause: e });
}

export class DetectorPool implements PooledDetector {
  backend: BackendName = 'cpu';
  models: readonly ModelName[] = [];
  minScores: MinScores | undefined;
  private readonly slots: Slot[];
  private readonly queue: Job[] = [];
  private readonly alive = new Set<Worker>();
  private readonly exits = new Set<Promise<unknown>>();
  private readonly memoryWaiters = new Map<number, (m: WorkerStats) => void>();
  private seq = 0;
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly config: WorkerConfig,
    private readonly options: PoolOptions,
    /** The worker thread's entry module, kept for restarts. */
    private readonly entry: URL,
  ) {
    this.slots = Array.from({ length: options.threads }, (_, index) => ({ index, worker: undefined, generation: 0, state: 'dead', restarts: 0, frames: 0 }));
  }

  /** Starts every worker and waits until all have loaded their models; the first failure stops them all. */
  static async start(config: WorkerConfig, options: PoolOptions): Promise<DetectorPool> {
    const pool = new DetectorPool(config, options, (await detectorThreadEntry()).url);
    const started = await Promise.allSettled(pool.slots.map((s) => pool.spawn(s)));
    const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) {
      await pool.close();
      throw failed.reason;
    }
    const ready = (started[0] as PromiseFulfilledResult<Ready>).value;
    pool.backend = ready.backend;
    pool.models = ready.models;
    pool.minScores = ready.minScores;
    return pool;
  }

  get threads(): number {
    return this.slots.length;
  }

  liveThreads(): number {
    return this.alive.size;
  }

  detect(frame: Frame): Promise<Detections> {
    return this.enqueue(frame, undefined);
  }

  /** Detector.keypointsAt; undefined when the workers have no pose model. */
  keypointsAt(frame: Frame, boxes: readonly Box[]): Promise<Detections | undefined> {
    if (!this.models.includes('movenet-lightning')) return Promise.resolve(undefined);
    if (boxes.length === 0) return Promise.reject(new UsageError('detector: keypointsAt needs at least one box'));
    return this.enqueue(frame, undefined, boxes.map((b): Box => [b[0], b[1], b[2], b[3]]));
  }

  view(needs: DetectorNeeds, options: { first?: boolean } = {}): Detector {
    const wanted = modelsFor(needs);
    if (wanted.length === 0) throw new UsageError('detector view: the needs ask for nothing');
    const missing = wanted.filter((m) => !this.models.includes(m));
    if (missing.length > 0) throw new UsageError(`detector view: needs ${missing.join(', ')}, which this pool did not load (${this.models.join(', ')})`);
    const asked = { ...needs };
    const first = options.first === true;
    return {
      backend: this.backend,
      threads: this.threads,
      detect: (frame) => this.enqueue(frame, asked, undefined, first),
      ...(this.models.includes('movenet-lightning') ? { keypointsAt: (frame: Frame, boxes: readonly Box[]) => this.keypointsAt(frame, boxes) } : {}),
      close: () => Promise.resolve(),
    };
  }

  private enqueue(frame: Frame, needs: DetectorNeeds | undefined, at?: Box[], first = false): Promise<Detections> {
    if (this.closing) return Promise.reject(new DetectorError(`detector is closed; frame ${describe(frame)} not detected`));
    const expected = frame.width * frame.height * 3;
    if (!Number.isInteger(frame.width) || !Number.isInteger(frame.height) || frame.width < 1 || frame.height < 1 || frame.rgb.byteLength !== expected) {
      return Promise.reject(new InputError(`frame ${describe(frame)}: ${frame.width}x${frame.height} needs ${expected} RGB bytes, got ${frame.rgb.byteLength}`));
    }
    return new Promise((resolve, reject) => {
      this.queue.push({ frame, resolve, reject, ...(needs === undefined ? {} : { needs }), ...(at === undefined ? {} : { at }), ...(first ? { first } : {}) });
      this.pump();
    });
  }

  async stats(): Promise<WorkerStats[]> {
    const asks = this.slots.flatMap((slot) => {
      const worker = slot.worker;
      if (!worker || slot.state === 'dead' || slot.state === 'starting') return [];
      const id = ++this.seq;
      return [
        new Promise<WorkerStats>((resolve, reject) => {
          const timer = setTimeout(() => {
            this.memoryWaiters.delete(id);
            reject(new DetectorError(`detector worker ${slot.index} did not report its memory within ${this.options.frameTimeoutMs} ms`));
          }, this.options.frameTimeoutMs);
          this.memoryWaiters.set(id, (m) => {
            clearTimeout(timer);
            resolve(m);
          });
          worker.postMessage({ type: 'memory', id } satisfies ToWorker);
        }),
      ];
    });
    return Promise.all(asks);
  }

  async terminateWorker(index: number): Promise<void> {
    const worker = this.slots[index]?.worker;
    if (!worker) throw new UsageError(`detector worker ${index} does not exist or is not running`);
    await worker.terminate();
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    for (const job of this.queue.splice(0)) job.reject(new DetectorError(`detector closed before frame ${describe(job.frame)} was detected`));
    await Promise.all(this.slots.map((slot) => this.stop(slot)));
    await Promise.all(this.exits);
  }

  /** Asks a worker to free its tensors, then ends its thread whether or not it answered. */
  private async stop(slot: Slot): Promise<void> {
    const worker = slot.worker;
    slot.generation++;
    slot.state = 'dead';
    slot.worker = undefined;
    const current = slot.current;
    slot.current = undefined;
    if (current) {
      clearTimeout(current.timer);
      current.job.reject(new DetectorError(`detector closed while detecting frame ${describe(current.job.frame)}`));
    }
    if (!worker || !this.alive.has(worker)) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, CLOSE_GRACE_MS);
      const done = (): void => {
        clearTimeout(timer);
        resolve();
      };
      worker.on('message', (msg: FromWorker) => {
        if (msg.type === 'closed') done();
      });
      worker.once('exit', done);
      worker.postMessage({ type: 'close' } satisfies ToWorker);
    });
    await worker.terminate();
  }

  private spawn(slot: Slot): Promise<Ready> {
    const generation = ++slot.generation;
    const worker = new Worker(this.entry, { workerData: this.config, execArgv: [] });
    slot.worker = worker;
    slot.state = 'starting';
    this.alive.add(worker);
    this.exits.add(new Promise((resolve) => worker.once('exit', resolve)));
    worker.once('exit', () => this.alive.delete(worker));
    const mine = (): boolean => slot.generation === generation;
    return new Promise<Ready>((resolve, reject) => {
      let settled = false;
      const fail = (e: Error): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (mine()) {
          slot.generation++;
          slot.state = 'dead';
          slot.worker = undefined;
          slot.lastError = e;
          void worker.terminate();
          this.pump();
        }
        reject(e);
      };
      const timer = setTimeout(
        () => fail(new DetectorError(`detector worker ${slot.index} did not load its models within ${this.options.startTimeoutMs} ms`)),
        this.options.startTimeoutMs,
      );
      worker.on('message', (msg: FromWorker) => {
        if (!settled) {
          if (msg.type === 'fatal') fail(fromWire(msg.error, `detector worker ${slot.index} could not start`));
          if (msg.type === 'ready' && mine()) {
            settled = true;
            clearTimeout(timer);
            slot.state = 'idle';
            resolve(msg);
            this.pump();
          }
          return;
        }
        if (mine()) this.onMessage(slot, msg);
      });
      worker.on('error', (err) => {
        if (!settled) fail(new DetectorError(`detector worker ${slot.index} crashed while starting`, { cause: err }));
        else if (mine()) this.abandon(slot, new DetectorError(`detector worker ${slot.index} crashed${this.during(slot)}`, { cause: err }));
      });
      worker.on('exit', (code) => {
        if (!settled) fail(new DetectorError(`detector worker ${slot.index} exited with code ${code} while starting`));
        else if (mine()) this.abandon(slot, new DetectorError(`detector worker ${slot.index} exited with code ${code}${this.during(slot)}`));
      });
    });
  }

  private during(slot: Slot): string {
    return slot.current ? ` while detecting frame ${describe(slot.current.job.frame)}` : '';
  }

  private onMessage(slot: Slot, msg: FromWorker): void {
    switch (msg.type) {
      case 'result':
      case 'failed': {
        const current = slot.current;
        if (!current || current.id !== msg.id) return;
        clearTimeout(current.timer);
        slot.current = undefined;
        slot.state = 'idle';
        const { frame } = current.job;
        if (msg.type === 'failed') {
          current.job.reject(fromWire(msg.error, `detector worker ${slot.index}, frame ${describe(frame)}`));
        } else {
          slot.restarts = 0;
          slot.frames++;
          current.job.resolve({
            cameraId: frame.cameraId,
            frameIndex: frame.index,
            tMs: frame.tMs,
            width: frame.width,
            height: frame.height,
            items: msg.items,
            inferenceMs: msg.inferenceMs,
          });
        }
        this.pump();
        return;
      }
      case 'memory':
        this.memoryWaiters.get(msg.id)?.({ worker: slot.index, frames: slot.frames, numTensors: msg.numTensors, numBytes: msg.numBytes });
        this.memoryWaiters.delete(msg.id);
        return;
      case 'fatal':
        this.abandon(slot, fromWire(msg.error, `detector worker ${slot.index} failed${this.during(slot)}`));
        return;
      case 'ready':
      case 'closed':
        return;
    }
  }

  /** Fails the worker's frame with `error`, ends the worker and starts another in its place. */
  private abandon(slot: Slot, error: Error): void {
    const worker = slot.worker;
    const current = slot.current;
    slot.current = undefined;
    slot.generation++;
    slot.state = 'dead';
    slot.worker = undefined;
    slot.lastError = error;
    if (current) {
      clearTimeout(current.timer);
      current.job.reject(error);
    }
    if (worker) void worker.terminate();
    if (!this.closing && slot.restarts < MAX_RESTARTS) {
      slot.restarts++;
      this.spawn(slot).catch(() => this.pump());
    }
    this.pump();
  }

  private pump(): void {
    for (const slot of this.slots) {
      if (this.queue.length === 0) return;
      if (slot.state !== 'idle') continue;
      const next = Math.max(0, this.queue.findIndex((j) => j.first === true));
      this.send(slot, this.queue.splice(next, 1)[0] as Job);
    }
    if (this.queue.length > 0 && this.slots.every((s) => s.state === 'dead')) {
      const cause = this.slots.find((s) => s.lastError)?.lastError;
      for (const job of this.queue.splice(0)) job.reject(new DetectorError(`no detector worker is running; frame ${describe(job.frame)} not detected`, { cause }));
    }
  }

  private send(slot: Slot, job: Job): void {
    const worker = slot.worker as Worker;
    const id = ++this.seq;
    // One copy, then the copy is moved (not cloned) to the worker: the caller keeps its frame intact.
    const rgb = new Uint8Array(job.frame.rgb.byteLength);
    rgb.set(job.frame.rgb);
    const timer = setTimeout(() => {
      if (slot.current?.id !== id) return;
      this.abandon(
        slot,
        new DetectorError(`detector worker ${slot.index} did not answer frame ${describe(job.frame)} within ${this.options.frameTimeoutMs} ms; it was stopped and is being restarted`),
      );
    }, this.options.frameTimeoutMs);
    slot.current = { id, job, timer };
    slot.state = 'busy';
    const msg: ToWorker = { type: 'detect', id, frame: frameMeta(job.frame), rgb: rgb.buffer, ...(job.needs === undefined ? {} : { needs: job.needs }), ...(job.at === undefined ? {} : { at: job.at }) };
    worker.postMessage(msg, [rgb.buffer]);
  }
}
