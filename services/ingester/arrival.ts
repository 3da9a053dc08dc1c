// A clip whose file is still arriving (a resumable upload of a streamable format, registered before its last byte):
// the record beside the file that says so, and a follower that reads the growing file for the decoder until the upload
// completes, or stops clearly when it is abandoned or expires. The API writes the record; whichever process analyses
// the clip reads it, so a worker elsewhere needs the same data directory (as it already does for the clip itself).
import { watch, type FSWatcher } from 'node:fs';
import { open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import type { Container } from './container-sniff.ts';

/**
 * Formats a decoder can read from the front while the rest is still coming: nothing they need sits at the end of
 * the file (MP4/MOV keep their index at the end, AVI its index, MKV its cues; those start after the upload completes).
 */
export const STREAMABLE: ReadonlySet<Container> = new Set<Container>(['ts', 'h264', 'h265', 'flv']);

/** `arriving` while the upload runs; `abandoned` (terminated by the uploader) and `expired` are final. */
export type ArrivalState = 'arriving' | 'abandoned' | 'expired';

export interface ArrivalRecord {
  state: ArrivalState;
  /** The tus upload the bytes come from. */
  uploadId: string;
  /** Upload-Length: what the file will be when complete. */
  totalBytes: number;
  /** After this instant an upload still arriving has expired (its bytes are swept). */
  expiresAt: string;
  /** Set when the arrival ended early: the bytes that had arrived. */
  receivedBytes?: number;
}

/** What the API shows of a clip still arriving (or whose upload ended early). */
export interface ArrivalView {
  state: ArrivalState;
  receivedBytes: number;
  totalBytes: number;
}

/** The record lives beside the clip file; once the upload is complete it is removed (a missing record: the file is whole). */
export const arrivalPath = (clipPath: string): string => `${clipPath}.arrival.json`;

export async function readArrival(clipPath: string): Promise<ArrivalRecord | undefined> {
  let text: string;
  try {
    text = await readFile(arrivalPath(clipPath), 'utf8');
  } catch {
    return undefined;
  }
  try {
    const r = JSON.parse(text) as Partial<ArrivalRecord>;
    if (typeof r.uploadId !== 'string' || typeof r.totalBytes !== 'number' || typeof r.expiresAt !== 'string') return undefined;
    const state: ArrivalState = r.state === 'abandoned' || r.state === 'expired' ? r.state : 'arriving';
    return { state, uploadId: r.uploadId, totalBytes: r.totalBytes, expiresAt: r.expiresAt, ...(typeof r.receivedBytes === 'number' ? { receivedBytes: r.receivedBytes } : {}) };
  } catch {
    return undefined;
  }
}

/** Written whole and renamed into place: a reader never sees half a record. */
export async function writeArrival(clipPath: string, record: ArrivalRecord): Promise<void> {
  const tmp = `${arrivalPath(clipPath)}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify(record));
  await rename(tmp, arrivalPath(clipPath));
}

/** The upload completed: the file is whole. */
export async function endArrival(clipPath: string): Promise<void> {
  await rm(arrivalPath(clipPath), { force: true });
}

/** The state as a reader should take it: an upload past its expiry is expired even before the sweep has marked it. */
export function effectiveState(record: ArrivalRecord, nowMs = Date.now()): ArrivalState {
  if (record.state === 'arriving' && Date.parse(record.expiresAt) < nowMs) return 'expired';
  return record.state;
}

/** For the API: what has arrived of a clip, or undefined when its file is whole. */
export async function arrivalView(clipPath: string): Promise<ArrivalView | undefined> {
  const record = await readArrival(clipPath);
  if (record === undefined) return undefined;
  const size = await stat(clipPath).then((s) => s.size, () => 0);
  return { state: effectiveState(record), receivedBytes: record.receivedBytes ?? size, totalBytes: record.totalBytes };
}

/** How a follow ended: the whole file was read, or the upload stopped before its end. */
export type FollowEnd =
  | { kind: 'complete'; bytes: number }
  | { kind: 'abandoned' | 'expired'; bytes: number; totalBytes: number }
  /** The reader was stopped (the decoder ended first, or an abort) before the arrival ended. */
  | { kind: 'stopped'; bytes: number };

export interface FollowOptions {
  /** Bytes at the start that are not the stream (a recorder's header). */
  startAt?: number;
  /** While the reader waits for bytes that have not arrived (true) and once they have (false). */
  onStarved?: (starved: boolean) => void;
  /** The file is re-checked at least this often while waiting; growth is also noticed at once by a watcher. */
  pollMs?: number;
  chunkBytes?: number;
  signal?: AbortSignal;
}

export interface GrowingFile {
  stream: Readable;
  /** Settles when the stream has ended (or was destroyed: then `complete` is never claimed). */
  end: Promise<FollowEnd>;
  /** Bytes handed to the stream so far (the header skipped included). */
  readonly bytes: number;
}

/**
 * Reads `path` from the front as it grows, for as long as its arrival record says the upload is alive; a pause in the
 * upload (a flaky connection) only makes the reader wait. The stream ends after the last byte once the record is
 * gone (complete), or after the bytes that did arrive once the upload was abandoned or expired (`end` says which).
 */
export function followGrowingFile(path: string, options: FollowOptions = {}): GrowingFile {
  const pollMs = options.pollMs ?? 250;
  const chunk = options.chunkBytes ?? 256 * 1024;
  let position = options.startAt ?? 0;
  let settle: (e: FollowEnd) => void = () => undefined;
  const end = new Promise<FollowEnd>((resolve) => {
    settle = resolve;
  });
  let watcher: FSWatcher | undefined;
  let wake: (() => void) | undefined;
  const nudge = (): void => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const waitForMore = async (): Promise<void> => {
    if (watcher === undefined) {
      try {
        watcher = watch(path, { persistent: false }, nudge);
        watcher.on('error', () => undefined);
      } catch {
        // No watcher (an odd file system): polling alone still notices.
      }
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, pollMs);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  };
  options.signal?.addEventListener('abort', nudge, { once: true });

  async function* read(): AsyncGenerator<Buffer, void, undefined> {
    const fh = await open(path, 'r');
    let starved = false;
    const setStarved = (on: boolean): void => {
      if (on !== starved) options.onStarved?.(on);
      starved = on;
    };
    let buf = Buffer.allocUnsafe(chunk);
    try {
      for (;;) {
        if (options.signal?.aborted === true) return;
        const { bytesRead } = await fh.read(buf, 0, chunk, position);
        if (bytesRead > 0) {
          setStarved(false);
          position += bytesRead;
          const out = buf.subarray(0, bytesRead);
          // The chunk handed on is ffmpeg's stdin's now: the next read gets a buffer of its own.
          buf = Buffer.allocUnsafe(chunk);
          yield out;
          continue;
        }
        // Nothing more on disk: is more coming? The state is read before the size, so no byte written before the
        // upload ended can be missed.
        const record = await readArrival(path);
        const size = (await fh.stat()).size;
        if (position < size) continue;
        if (record === undefined) {
          settle({ kind: 'complete', bytes: position });
          return;
        }
        const state = effectiveState(record);
        if (state !== 'arriving') {
          settle({ kind: state, bytes: position, totalBytes: record.totalBytes });
          return;
        }
        setStarved(true);
        await waitForMore();
      }
    } finally {
      setStarved(false);
      watcher?.close();
      options.signal?.removeEventListener('abort', nudge);
      await fh.close();
      // Stopped before an end was reached (the consumer went away, or an abort): the bytes so far, never "complete".
      settle({ kind: 'stopped', bytes: position });
    }
  }

  const stream = Readable.from(read(), { objectMode: false });
  return {
    stream,
    end,
    get bytes() {
      return position;
    },
  };
}
