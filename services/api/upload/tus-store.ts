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

export class ClipUploadStore extends FileStore {
  constructor(readonly dir: string, expiryMs: number) {
    super({ directory: dir, expirationPeriodInMilliseconds: expiryMs });
  }

  /** The bytes before SNIFF_BYTES are checked as they arrive (a resumed upload reads its earlier ones back). */
  override async write(readable: Readable, id: string, offset: number): Promise<number> {
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
  async sweep(expiryMs: number, nowMs = Date.now()): Promise<number> {
    let removed = 0;
    for (const name of await readdir(this.dir).catch(() => [] as string[])) {
      const id = name.endsWith('.json') ? name.slice(0, -5) : name;
      if (!UPLOAD_ID.test(id)) continue;
      let createdMs: number;
      if (name.endsWith('.json')) {
        const info = JSON.parse(await readFile(join(this.dir, name), 'utf8').catch(() => '{}')) as { creation_date?: string };
        createdMs = Date.parse(info.creation_date ?? '') || 0;
      } else {
        if (await stat(join(this.dir, `${id}.json`)).then(() => true, () => false)) continue;
        createdMs = (await stat(join(this.dir, name)).catch(() => ({ mtimeMs: nowMs }))).mtimeMs;
      }
      if (!(createdMs + expiryMs < nowMs)) continue;
      await this.discard(id);
      removed += 1;
    }
    return removed;
  }
}

async function readHead(path: string, bytes: number): Promise<Buffer> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(Math.min(bytes, SNIFF_BYTES));
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}
