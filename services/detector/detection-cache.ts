// The detector's answers for one clip, kept in a file beside the clip's evidence, so that a later run over the same
// clip (a dry run of a draft SOP, a re-analysis) asks the real detector only about pixels it has never seen.
//
// An answer is keyed by a hash of the exact pixels the detector was given (the whole frame or the frame stage's
// crop), so a hit is the answer the detector would give: moved zones give other crops and simply miss. The file also
// names everything else the answer depends on (models, detector code, TF.js packages, backend, scores): a file made
// under anything else is ignored, as is one that is damaged, too big or not ours. On doubt: detect.
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { gunzip, gzip } from 'node:zlib';
import type { Box, Detection, Detections, Frame } from '../core/contracts.ts';
import { env } from '../core/env.ts';
import { readManifest } from './model-files.ts';
import { createDetector } from './index.ts';
import { withCheckModel } from './needs.ts';
import type { BackendChoice, Detector, DetectorNeeds, DetectorOptions, ModelName, PooledDetector } from './types.ts';

/** The file's name inside a clip's evidence folder (`<data>/evidence/<clipId>/`). */
export const DETECTION_CACHE_FILE = 'detections.json.gz';
const FORMAT = 'sopwatch.detections';
const VERSION = 1;
/** 32 MiB of JSON: some 190 000 answers of about one person each (the 40 s demo clip's 136 take 24 KB, 8 KB gzipped). */
const DEFAULT_MAX_BYTES = 32 * 1024 ** 2;
/** JSON around the answers: the file's header, and each entry's key and needs (generous, so the file stays in bounds). */
const HEADER_BYTES = 512;
const ENTRY_BYTES = 64;
const NEEDS = ['persons', 'pose', 'hands', 'objects', 'faces'] as const;
const KINDS = new Set(['person', 'hand', 'face', 'object']);

export interface DetectionCacheOptions {
  /**
   * The detector the cache starts on its first miss; only these settings, so the file can name them. `threads`
   * (default `env().detectorThreads`) bounds the single-thread detectors started as misses pile up.
   */
  detector?: Pick<DetectorOptions, 'backend' | 'minScore' | 'minScores' | 'maxPersons' | 'threads'>;
  /** Uncompressed JSON bytes the file may hold; answers past it are not kept (they are still used in this run). */
  maxBytes?: number;
  /** Starts the real detector; default createDetector (tests count its calls). */
  start?: (options: DetectorOptions) => Promise<Detector>;
}

export interface DetectionCacheStats {
  /** What became of the file on opening. */
  file: 'absent' | 'loaded' | 'ignored';
  /** Why the file was ignored. */
  reason?: string;
  hits: number;
  /** Frames sent to the real detector. */
  misses: number;
  /** Answers held (loaded and new). */
  entries: number;
  /** New answers not kept because the file is full. */
  dropped: number;
  /** The real detector was started (on the first miss). */
  started: boolean;
}

interface Entry {
  /** Which needs the answer was made under (bit i = NEEDS[i]). */
  needs: number;
  /** The object labels it was made for (DetectorNeeds.labels); absent: every label. */
  labels?: readonly string[];
  items: Detection[];
}

interface CacheFile {
  format: typeof FORMAT;
  version: typeof VERSION;
  fingerprint: string;
  /** The backend that made the answers, when known. */
  backend?: string;
  entries: Array<{ k: string; n: number; l?: string[]; i: Detection[] }>;
}

// Off the event loop: the API process answers other requests while a dry run opens or writes a big file.
const inflate = promisify(gunzip);
const deflate = promisify(gzip);

const maskOf = (needs: DetectorNeeds): number => NEEDS.reduce((m, name, i) => (needs[name] ? m | (1 << i) : m), 0);
const has = (mask: number, name: (typeof NEEDS)[number]): boolean => (mask & (1 << NEEDS.indexOf(name))) !== 0;

/**
 * An answer made under `made` gives the answer under `want` when it holds every kind `want` reports: the models
 * run on the same pixels whatever else is asked, and the needs only choose what is returned (model-set.ts).
 */
function covers(made: Entry, want: number, labels: readonly string[] | undefined): boolean {
  const persons = (m: number): boolean => has(m, 'persons') || has(m, 'pose');
  if (persons(want) && !persons(made.needs)) return false;
  // Objects of some labels are in an answer made for every label, or for those labels and more.
  const madeFor = made.labels;
  if (has(want, 'objects') && madeFor !== undefined && (labels === undefined || !labels.every((l) => madeFor.includes(l)))) return false;
  return (['pose', 'hands', 'objects', 'faces'] as const).every((n) => !has(want, n) || has(made.needs, n));
}

function narrowed(items: readonly Detection[], want: number, labels: readonly string[] | undefined): Detection[] {
  const keep = (d: Detection): boolean =>
    d.kind === 'person' ? has(want, 'persons') || has(want, 'pose')
      : d.kind === 'hand' ? has(want, 'hands')
        : d.kind === 'object' ? has(want, 'objects') && (labels === undefined || labels.includes(d.label))
          : has(want, 'faces');
  return items.filter(keep).map((d) => {
    const copy = structuredClone(d);
    if (!has(want, 'pose')) delete copy.keypoints;
    return copy;
  });
}

/** The answers of Detector.keypointsAt: persons with their keypoints. */
const POSE = maskOf({ persons: false, pose: true, hands: false, objects: false, faces: false });

/** The key of a keypointsAt answer: the frame's pixels and the boxes asked about (never a frame's own key). */
function keyAt(frame: Frame, boxes: readonly Box[]): string {
  return createHash('sha256').update(`${keyOf(frame)} at ${JSON.stringify(boxes)}`).digest('hex').slice(0, 32);
}

function keyOf(frame: Frame): string {
  // A region crop is answered within its whole frame's budget (Frame.cropOf), a thumbnail at its own size
  // (Frame.noUpscale): the same pixels asked otherwise are another question. A plain frame keeps its old key.
  const extra = frame.cropOf !== undefined || frame.noUpscale === true;
  const size = Buffer.alloc(extra ? 17 : 8);
  size.writeUInt32LE(frame.width, 0);
  size.writeUInt32LE(frame.height, 4);
  if (extra) {
    size.writeUInt32LE(frame.cropOf?.width ?? 0, 8);
    size.writeUInt32LE(frame.cropOf?.height ?? 0, 12);
    size.writeUInt8(frame.noUpscale === true ? 1 : 0, 16);
  }
  return createHash('sha256').update(size).update(frame.rgb).digest('hex').slice(0, 32);
}

const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const point = (v: unknown): boolean => Array.isArray(v) && v.length === 2 && v.every(finite);

function isDetection(v: unknown): v is Detection {
  if (typeof v !== 'object' || v === null) return false;
  const d = v as Record<string, unknown>;
  if (Object.keys(d).some((k) => !['kind', 'label', 'score', 'box', 'keypoints'].includes(k))) return false;
  if (typeof d.kind !== 'string' || !KINDS.has(d.kind) || typeof d.label !== 'string' || d.label.length > 100) return false;
  if (!finite(d.score) || !Array.isArray(d.box) || d.box.length !== 4 || !d.box.every(finite)) return false;
  if (d.keypoints === undefined) return true;
  return Array.isArray(d.keypoints) && d.keypoints.every((k: unknown) => {
    if (typeof k !== 'object' || k === null) return false;
    const kp = k as Record<string, unknown>;
    return Object.keys(kp).length === 3 && typeof kp.part === 'string' && point(kp.point) && finite(kp.score);
  });
}

/** The parsed file, or why it cannot be used. Every entry is checked: one bad entry condemns the file. */
async function parse(bytes: Buffer, maxBytes: number, fingerprint: string): Promise<CacheFile | string> {
  let text: string;
  try {
    text = (await inflate(bytes, { maxOutputLength: maxBytes })).toString('utf8');
  } catch (err) {
    return `not a whole gzip file within ${maxBytes} bytes (${(err as Error).message})`;
  }
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return 'not JSON';
  }
  const f = v as Partial<CacheFile> | null;
  if (typeof f !== 'object' || f === null || f.format !== FORMAT || f.version !== VERSION) return `not a ${FORMAT} file of version ${VERSION}`;
  if (f.fingerprint !== fingerprint) return 'made by another detector (models, code, packages or settings differ)';
  if (f.backend !== undefined && typeof f.backend !== 'string') return 'a bad backend';
  if (!Array.isArray(f.entries)) return 'no entries';
  for (const e of f.entries as unknown[]) {
    const x = e as Record<string, unknown> | null;
    if (typeof x !== 'object' || x === null || typeof x.k !== 'string' || !/^[0-9a-f]{32}$/.test(x.k)) return 'an entry without a key';
    if (typeof x.n !== 'number' || !Number.isInteger(x.n) || x.n <= 0 || x.n >= 1 << NEEDS.length) return `entry ${x.k}: bad needs`;
    if (x.l !== undefined && (!Array.isArray(x.l) || !x.l.every((l) => typeof l === 'string'))) return `entry ${x.k}: bad labels`;
    if (!Array.isArray(x.i) || !x.i.every(isDetection)) return `entry ${x.k}: bad detections`;
  }
  return f as CacheFile;
}

const DETECTOR_DIR = fileURLToPath(new URL('./', import.meta.url));
const MODELS: ModelName[] = ['centernet', 'movenet-lightning', 'blazeface'];
const TFJS_PACKAGES = ['@tensorflow/tfjs-core', '@tensorflow/tfjs-backend-wasm', '@tensorflow/tfjs-backend-cpu', '@tensorflow/tfjs-converter'];

let codeHash: Promise<string> | undefined;

/** Everything of this install an answer depends on, besides the settings: model manifests, detector code, TF.js. */
function installHash(): Promise<string> {
  codeHash ??= (async () => {
    const h = createHash('sha256');
    for (const name of MODELS) h.update(JSON.stringify(await readManifest(name)));
    for (const dir of [DETECTOR_DIR, join(DETECTOR_DIR, 'models')]) {
      for (const name of (await readdir(dir)).filter((n) => /\.(ts|mjs)$/.test(n)).sort()) {
        h.update(name).update(await readFile(join(dir, name)));
      }
    }
    const require = createRequire(import.meta.url);
    for (const pkg of [...TFJS_PACKAGES, '@tensorflow/tfjs-node']) {
      let version = 'absent';
      try {
        // Which packages resolve decides what `auto` runs; their versions, the arithmetic.
        const main = require.resolve(pkg);
        version = await findVersion(main, pkg);
      } catch {
        // Not installed: `auto` will not pick it.
      }
      h.update(`${pkg}@${version}`);
    }
    return h.digest('hex');
  })();
  return codeHash;
}

async function findVersion(entry: string, pkg: string): Promise<string> {
  for (let dir = dirname(entry); dir !== dirname(dir); dir = dirname(dir)) {
    try {
      const json = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (json.name === pkg) return json.version ?? 'unknown';
    } catch {
      // No package.json at this level: go up.
    }
  }
  return 'unknown';
}

async function fingerprintOf(settings: NonNullable<DetectionCacheOptions['detector']>): Promise<string> {
  const { threads: _threads, ...rest } = settings;
  const backend: BackendChoice = rest.backend ?? env().tfjsBackend;
  return createHash('sha256').update(await installHash()).update(JSON.stringify({ ...rest, backend })).digest('hex');
}

/**
 * Opens the answers kept at `path` (none yet is fine). `detector(needs)` gives the Detector to hand to the frame
 * stage; `save()` writes what is new. Nothing here ever fails a run: a file that cannot be read or written is
 * reported in `stats()` and the real detector answers.
 */
export class DetectionCache {
  private readonly entries = new Map<string, Entry[]>();
  private readonly s: DetectionCacheStats = { file: 'absent', hits: 0, misses: 0, entries: 0, dropped: 0, started: false };
  private bytes = 0;
  private added = 0;
  private backend: string | undefined;

  private constructor(
    readonly path: string,
    private readonly fingerprint: string,
    private readonly options: DetectionCacheOptions,
  ) {}

  static async open(path: string, options: DetectionCacheOptions = {}): Promise<DetectionCache> {
    let fingerprint: string;
    try {
      fingerprint = await fingerprintOf(options.detector ?? {});
    } catch (err) {
      // Without knowing what made the answers none can be trusted, and none is written: every frame is detected.
      const cache = new DetectionCache(path, '', options);
      cache.ignore(`the detector's fingerprint cannot be taken (${(err as Error).message})`);
      return cache;
    }
    const cache = new DetectionCache(path, fingerprint, options);
    await cache.load();
    return cache;
  }

  stats(): DetectionCacheStats {
    return { ...this.s };
  }

  private get maxBytes(): number {
    return this.options.maxBytes ?? DEFAULT_MAX_BYTES;
  }

  private async load(): Promise<void> {
    let bytes: Buffer;
    try {
      const size = (await stat(this.path)).size;
      // A gzip file bigger than its JSON may be is not one we wrote.
      if (size > this.maxBytes) return this.ignore(`${size} bytes, more than ${this.maxBytes}`);
      bytes = await readFile(this.path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      return this.ignore(`cannot be read (${(err as Error).message})`);
    }
    const parsed = await parse(bytes, this.maxBytes, this.fingerprint);
    if (typeof parsed === 'string') return this.ignore(parsed);
    for (const e of parsed.entries) this.keep(e.k, { needs: e.n, ...(e.l === undefined ? {} : { labels: e.l }), items: e.i });
    this.backend = parsed.backend;
    this.s.file = 'loaded';
  }

  private ignore(reason: string): void {
    this.s.file = 'ignored';
    this.s.reason = reason;
  }

  private keep(key: string, entry: Entry): boolean {
    const size = JSON.stringify({ i: entry.items, l: entry.labels }).length + ENTRY_BYTES;
    if (this.bytes + size > this.maxBytes - HEADER_BYTES) return false;
    this.bytes += size;
    this.s.entries += 1;
    const list = this.entries.get(key);
    if (list === undefined) this.entries.set(key, [entry]);
    else list.push(entry);
    return true;
  }

  /**
   * A Detector for these needs: known pixels are answered from the cache, others by the real detector, which is
   * started on the first of them (a run that needs none never loads a model) and closed by `close()`.
   */
  /** A detector answering from the cache that sends misses to `detector` (the caller's: started and closed by it). */
  over(detector: Detector, needs: DetectorNeeds): Detector {
    return new CachedDetector(this, needs, detector.threads, 1, async () => detector, false);
  }

  detector(needs: DetectorNeeds): Detector {
    const settings = this.options.detector ?? {};
    const lanes = settings.threads ?? env().detectorThreads;
    // As many calls in flight as the uncached detector would have: the frame stage picks its frames from the frames
    // and its lookahead alone (not from how fast answers come), so a cached run asks for the frames the first run saw.
    // Where persons alone are wanted a lane loads the pose model too, for the frame stage's checks
    // (Detector.keypointsAt), and answers frames as a view of the needs asked: a rerun checks where the first run did.
    const start = async (): Promise<Detector> => {
      const loaded = withCheckModel(needs);
      const started = await (this.options.start ?? createDetector)({ ...settings, needs: loaded, threads: 1 });
      if (loaded === needs || !('view' in started)) return started;
      const pool = started as PooledDetector;
      return { ...pool.view(needs), keypointsAt: (frame, boxes) => pool.keypointsAt(frame, boxes), close: () => pool.close() };
    };
    return new CachedDetector(this, needs, lanes, lanes, start);
  }

  /** For CachedDetector: the answer kept for these pixels that covers these needs, narrowed to them. */
  lookup(key: string, want: number, labels: readonly string[] | undefined): Detection[] | undefined {
    const hit = this.entries.get(key)?.find((e) => covers(e, want, labels));
    if (hit === undefined) {
      this.s.misses += 1;
      return undefined;
    }
    this.s.hits += 1;
    return narrowed(hit.items, want, labels);
  }

  add(key: string, want: number, labels: readonly string[] | undefined, items: readonly Detection[]): void {
    if (this.fingerprint === '') return;
    if (this.keep(key, { needs: want, ...(labels === undefined ? {} : { labels: [...labels] }), items: structuredClone([...items]) })) this.added += 1;
    else this.s.dropped += 1;
  }

  started(backend: string): void {
    this.s.started = true;
    this.backend = backend;
  }

  backendName(): string {
    return this.s.started ? (this.backend ?? 'unknown') : `cache (${this.backend ?? 'unknown'})`;
  }

  /** Writes the answers when some are new (temp file, then rename: a reader sees the old file or the new one). */
  async save(): Promise<{ saved: boolean; error?: string }> {
    if (this.added === 0) return { saved: false };
    const file: CacheFile = {
      format: FORMAT,
      version: VERSION,
      fingerprint: this.fingerprint,
      ...(this.backend === undefined ? {} : { backend: this.backend }),
      entries: [...this.entries].flatMap(([k, list]) => list.map((e) => ({ k, n: e.needs, ...(e.labels === undefined ? {} : { l: [...e.labels] }), i: e.items }))),
    };
    const temp = join(dirname(this.path), `.${basename(this.path)}.${process.pid}.${randomBytes(4).toString('hex')}.partial`);
    try {
      await mkdir(dirname(this.path), { recursive: true });
      await writeFile(temp, await deflate(JSON.stringify(file)), { flag: 'wx' });
      await rename(temp, this.path);
      this.added = 0;
      return { saved: true };
    } catch (err) {
      await rm(temp, { force: true }).catch(() => undefined);
      return { saved: false, error: `${this.path}: ${(err as Error).message}` };
    }
  }
}

/** One single-thread detector of the cached detector, and the frames it holds. */
interface Lane {
  detector: Promise<Detector>;
  busy: number;
}

/**
 * The frame stage's detector while a cache is open: a hit costs a hash of the pixels, a miss a real detection. The
 * real detector starts with one thread on the first miss (a few misses do not pay for loading the models twice);
 * another starts when misses outnumber hits (the cache does not know this run: moved zones, a first analysis) and
 * every thread is busy, up to `maxLanes`.
 */
class CachedDetector implements Detector {
  private readonly want: number;
  private readonly labels: readonly string[] | undefined;
  private readonly lanes: Lane[] = [];

  constructor(
    private readonly cache: DetectionCache,
    needs: DetectorNeeds,
    readonly threads: number,
    private readonly maxLanes: number,
    private readonly start: () => Promise<Detector>,
    private readonly owned = true,
  ) {
    this.want = maskOf(needs);
    this.labels = needs.objects ? needs.labels : undefined;
  }

  get backend(): string {
    return this.cache.backendName();
  }

  async detect(frame: Frame): Promise<Detections> {
    const key = keyOf(frame);
    const items = this.cache.lookup(key, this.want, this.labels);
    if (items !== undefined) {
      return { cameraId: frame.cameraId, frameIndex: frame.index, tMs: frame.tMs, width: frame.width, height: frame.height, items, inferenceMs: 0 };
    }
    const lane = this.lane();
    lane.busy += 1;
    try {
      const d = await (await lane.detector).detect(frame);
      this.cache.add(key, this.want, this.labels, d.items);
      return d;
    } finally {
      lane.busy -= 1;
    }
  }

  async keypointsAt(frame: Frame, boxes: readonly Box[]): Promise<Detections | undefined> {
    const key = keyAt(frame, boxes);
    const items = this.cache.lookup(key, POSE, undefined);
    if (items !== undefined) {
      return { cameraId: frame.cameraId, frameIndex: frame.index, tMs: frame.tMs, width: frame.width, height: frame.height, items, inferenceMs: 0 };
    }
    const lane = this.lane();
    lane.busy += 1;
    try {
      const d = await (await lane.detector).keypointsAt?.(frame, boxes);
      if (d !== undefined) this.cache.add(key, POSE, undefined, d.items);
      return d;
    } finally {
      lane.busy -= 1;
    }
  }

  private lane(): Lane {
    const { hits, misses } = this.cache.stats();
    const grow = this.lanes.length === 0 || (this.lanes.length < this.maxLanes && misses > hits && this.lanes.every((l) => l.busy > 0));
    if (grow) {
      const detector = this.start().then((d) => {
        this.cache.started(d.backend);
        return d;
      });
      // A start that fails fails the frames sent to it; close() must not fail on it again.
      detector.catch(() => undefined);
      this.lanes.push({ detector, busy: 0 });
    }
    return this.lanes.reduce((a, b) => (b.busy < a.busy ? b : a));
  }

  async close(): Promise<void> {
    if (!this.owned) return;
    await Promise.all(this.lanes.map(async (l) => (await l.detector.catch(() => undefined))?.close()));
  }
}
