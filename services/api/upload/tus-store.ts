// Where resumable (tus) uploads are written while they arrive: @tus/server's file store, with the first bytes sniffed as
// soon as they are in (a file of no accepted format is refused at once and deleted), and a sweep of stale uploads.
import { open, readdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline, Transform, type Readable, type TransformCallback } from 'node:stream';
import { FileStore } from '@tus/file-store';
import { SNIFF_BYTES, sniffOrRefuse } from '../../ingester/index.ts';
import type { HttpError } from '../http-errors.ts';
import { notAVideo } from './clip-upload.ts';

/** Upload ids are ours (`@tus/server`'s 32 hex digits): anything else names no upload. */
export const UPLOAD_ID = /^[0-9a-f]{32}$/;

/** What @tus/server turns into a response: thrown from a hook or a store, it becomes the status and body sent. */
export class TusRefusal extends Error {
  constructor(readonly status_code: number, readonly body: string) {
    super(body);
  }
}

/** An API error in the shape every other route answers with (`{ error, message }`), for @tus/server to send. */
export function tusRefusal(e: HttpError): TusRefusal {
  return new TusRefusal(e.statusCode, JSON.stringify({ error: e.code, message: e.message }));
}

class HeadSniff extends Transform {
  refused: HttpError | undefined;
  private decided = false;

  constructor(private head: Buffer, private readonly size: number | undefined, private readonly filename: string, private readonly discard: () => Promise<void>) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    if (!this.decided) {
      this.head = Buffer.concat([this.head, chunk.subarray(0, SNIFF_BYTES - this.head.length)]);
      if (this.head.length >= SNIFF_BYTES || this.head.length === this.size) {
        const refusal = this.check();
        // The bytes are gone before the refusal reaches anyone (@tus/server answers as soon as the stream fails).
        if (refusal !== undefined) return void this.discard().then(() => done(refusal), () => done(refusal));
      }
    }
    done(null, chunk);
  }

  private check(): Error | undefined {
    this.decided = true;
    const found = sniffOrRefuse(this.head);
    if (found !== undefined && 'container' in found) return undefined;
    this.refused = notAVideo(this.filename, found?.refused);
    return this.refused;
  }
}

/**
 * Analysis on what has arrived: once `everyBytes` more of an upload are in, `start` may register its clip early (it
 * decides whether the format and the upload allow it). Called while a PATCH streams in, and at its end (awaited, so
 * that the answer to a PATCH comes after the decision on what it brought).
 */
export interface EarlyStart {
  everyBytes: number;
  start: (id: string) => Promise<void>;
}

/** Counts the bytes of a PATCH as they pass, and calls `kick` each time another `every` of them have gone by. */
class ArrivalCount extends Transform {
  private next: number;

  constructor(private offset: number, private readonly step: number, private readonly kick: () => void) {
    super();
    this.next = (Math.floor(offset / step) + 2) * step;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.offset += chunk.length;
    // One step behind what passes here, so that at least `every` bytes are on disk when the kick reads the file.
    if (this.offset >= this.next) {
      this.next = (Math.floor(this.offset / this.step) + 1) * this.step;
      this.kick();
    }
    done(null, chunk);
  }
}

export class ClipUploadStore extends FileStore {
  private readonly starting = new Map<string, Promise<void>>();

  constructor(readonly dir: string, expiryMs: number, private readonly early?: EarlyStart) {
    super({ directory: dir, expirationPeriodInMilliseconds: expiryMs });
  }

  /** The bytes before SNIFF_BYTES are checked as they arrive (a resumed upload reads its earlier ones back). */
  override async write(readable: Readable, id: string, offset: number): Promise<number> {
    const counted = this.early === undefined ? readable : pipeline(readable, new ArrivalCount(offset, this.early.everyBytes, () => void this.kick(id)), () => undefined);
    const written = await this.sniffedWrite(counted, id, offset);
    // A try started while the bytes streamed in saw fewer of them: decide again on all that came.
    await this.settled(id);
    await this.kick(id);
    return written;
  }

  /** Settles when no early start of this upload is under way (the finish waits for one that is). */
  async settled(id: string): Promise<void> {
    await this.starting.get(id);
  }

  private kick(id: string): Promise<void> {
    const early = this.early;
    if (early === undefined) return Promise.resolve();
    const running = this.starting.get(id);
    if (running !== undefined) return running;
    const run = early.start(id).catch(() => undefined).finally(() => this.starting.delete(id));
    this.starting.set(id, run);
    return run;
  }

  private async sniffedWrite(readable: Readable, id: string, offset: number): Promise<number> {
    if (offset >= SNIFF_BYTES) return super.write(readable, id, offset);
    const upload = await this.getUpload(id);
    const head = offset === 0 ? Buffer.alloc(0) : await readHead(join(this.dir, id), offset);
    const sniff = new HeadSniff(head, upload.size, upload.metadata?.filename ?? 'the file', () => this.discard(id));
    try {
      return await super.write(pipeline(readable, sniff, () => undefined), id, offset);
    } catch (err) {
      if (sniff.refused === undefined) throw err;
      throw tusRefusal(sniff.refused);
    }
  }

  /** The upload's data and info file, gone (a refused or registered upload, or a stale one). */
  async discard(id: string): Promise<void> {
    await rm(join(this.dir, id), { force: true });
    await rm(join(this.dir, `${id}.json`), { force: true });
  }

  /**
   * Deletes uploads created more than `expiryMs` ago (unfinished ones, and the records of registered ones), and data
   * files left without an info file. @tus/file-store's own sweep stops at the first data file that is already gone.
   */
  async sweep(expiryMs: number, nowMs = Date.now(), onExpired?: (metadata: Record<string, string | null>) => Promise<void>): Promise<number> {
    let removed = 0;
    for (const name of await readdir(this.dir).catch(() => [] as string[])) {
      const id = name.endsWith('.json') ? name.slice(0, -5) : name;
      if (!UPLOAD_ID.test(id)) continue;
      let createdMs: number;
      let info: { creation_date?: string; metadata?: Record<string, string | null> } | undefined;
      if (name.endsWith('.json')) {
        info = JSON.parse(await readFile(join(this.dir, name), 'utf8').catch(() => '{}')) as typeof info;
        createdMs = Date.parse(info?.creation_date ?? '') || 0;
      } else {
        if (await stat(join(this.dir, `${id}.json`)).then(() => true, () => false)) continue;
        createdMs = (await stat(join(this.dir, name)).catch(() => ({ mtimeMs: nowMs }))).mtimeMs;
      }
      if (!(createdMs + expiryMs < nowMs)) continue;
      if (info?.metadata !== undefined && onExpired !== undefined) await onExpired(info.metadata).catch(() => undefined);
      await this.discard(id);
      removed += 1;
    }
    return removed;
  }
}

/** Up to SNIFF_BYTES of a file's first `bytes`. */
export async function readHead(path: string, bytes: number): Promise<Buffer> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(Math.min(bytes, SNIFF_BYTES));
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}
