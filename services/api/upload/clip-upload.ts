// Receives one uploaded clip: the name checked, bytes streamed to a temporary file while hashed and sniffed, then ffprobe.
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { MultipartFile } from '@fastify/multipart';
import { InputError } from '../../core/errors.ts';
import { ACCEPTED_LIST, SNIFF_BYTES, probeClip, sniffOrRefuse, type Container, type Sniffed } from '../../ingester/index.ts';
import { HttpError, badRequest, tooLarge, unsupportedMedia } from '../http-errors.ts';

/** Names recorders give their exports; the content decides what the file is, the name only has to be plausible. */
export const CLIP_EXTENSIONS = [
  'mp4', 'm4v', 'mov', 'mkv', 'webm', 'gif', 'avi', 'ts', 'mts', 'm2ts', 'mpg', 'mpeg', 'ps', 'vob', 'dav', 'h264', '264', 'h265', '265', 'hevc', 'flv',
] as const;
const HEAD_BYTES = SNIFF_BYTES;

export interface ReceivedClip {
  tmpPath: string;
  bytes: number;
  sha256: string;
  /** The uploader's name, checked: for display only. */
  filename: string;
  container: Container;
  durationMs: number;
  /** The container's `creation_time` tag, when it has one. */
  creationTime?: string;
  /** The file's first bytes (a recorder header may hold the recording time). */
  head: Buffer;
}

/** The client's file name is shown, never used as a path: anything path-like is refused outright. */
export function checkUploadName(raw: string): string {
  const name = raw.normalize('NFC');
  if (name === '' || Buffer.byteLength(name) > 255) throw badRequest('file name refused: it must be 1 to 255 bytes');
  if (/[\x00-\x1f\x7f\u202a-\u202e\u2066-\u2069]/.test(name)) throw badRequest('file name refused: it contains control characters');
  if (/[/\\]/.test(name) || name.includes('..') || name.startsWith('.') || /^[A-Za-z]:/.test(name)) {
    throw badRequest('file name refused: it must be a plain name, without folders or ".."');
  }
  const ext = name.split('.').pop()?.toLowerCase() ?? '';
  if (!(CLIP_EXTENSIONS as readonly string[]).includes(ext)) {
    throw unsupportedMedia(`file name refused: ".${ext}" is not a video type sopwatch reads (${CLIP_EXTENSIONS.join(', ')})`);
  }
  return name;
}

class NotAVideo extends Error {
  constructor(readonly refused?: string) {
    super(refused ?? 'not a video');
  }
}

/** Passes bytes through, hashing and counting them, and fails as soon as the first bytes are no video container. */
class SniffAndHash extends Transform {
  readonly hash = createHash('sha256');
  bytes = 0;
  sniffed: Sniffed | undefined;
  refused: string | undefined;
  head = Buffer.alloc(0);

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    this.hash.update(chunk);
    if (this.sniffed === undefined) {
      this.head = Buffer.concat([this.head, chunk]).subarray(0, HEAD_BYTES);
      if (this.head.length >= HEAD_BYTES && !this.check()) return done(new NotAVideo(this.refused));
    }
    done(null, chunk);
  }

  override _flush(done: TransformCallback): void {
    done(this.sniffed !== undefined || this.check() ? null : new NotAVideo(this.refused));
  }

  private check(): boolean {
    const found = sniffOrRefuse(this.head);
    if (found !== undefined && 'refused' in found) this.refused = found.refused;
    else this.sniffed = found;
    return this.sniffed !== undefined;
  }
}

/** Streams the part into `<clipsDir>/.incoming/`; on any refusal the partial file is gone before this throws. */
export async function receiveClip(part: MultipartFile, clipsDir: string, maxBytes: number): Promise<ReceivedClip> {
  const filename = checkUploadName(part.filename);
  const incoming = join(clipsDir, '.incoming');
  await mkdir(incoming, { recursive: true });
  const tmpPath = join(incoming, `${randomUUID()}.part`);
  const sniff = new SniffAndHash();
  const out = createWriteStream(tmpPath, { flags: 'wx' });
  try {
    await pipeline(part.file, sniff, out);
    if (part.file.truncated) throw tooLarge(`the clip is larger than the limit of ${maxBytes} bytes`);
  } catch (err) {
    // Refused on its first bytes, the pipeline fails while the file may still be being opened: it is removed once the
    // stream has closed, or the open would create it again after the removal.
    if (!out.closed) await once(out, 'close').catch(() => undefined);
    await rm(tmpPath, { force: true });
    throw refusal(err, tmpPath, filename, maxBytes);
  }
  return inspectClip({ tmpPath, filename, bytes: sniff.bytes, sha256: sniff.hash.digest('hex'), head: sniff.head }, maxBytes);
}

/**
 * A file received whole (multipart or resumable upload) is probed: what ffprobe says is added, or the file is deleted
 * and the refusal names the uploader's file, never our path.
 */
export async function inspectClip(got: Pick<ReceivedClip, 'tmpPath' | 'filename' | 'bytes' | 'sha256' | 'head'>, maxBytes: number): Promise<ReceivedClip> {
  try {
    const info = await probeClip(got.tmpPath, { maxBytes });
    return {
      ...got, container: info.container, durationMs: info.durationMs,
      ...(info.creationTime === undefined ? {} : { creationTime: info.creationTime }),
    };
  } catch (err) {
    await rm(got.tmpPath, { force: true });
    throw refusal(err, got.tmpPath, got.filename, maxBytes);
  }
}

/** A file that arrived in pieces is hashed once whole, streaming; its first bytes are kept for the recording time. */
export async function hashFile(path: string): Promise<{ bytes: number; sha256: string; head: Buffer }> {
  const hash = createHash('sha256');
  let bytes = 0;
  let head = Buffer.alloc(0);
  for await (const chunk of createReadStream(path)) {
    const b = chunk as Buffer;
    if (head.length < HEAD_BYTES) head = Buffer.concat([head, b.subarray(0, HEAD_BYTES - head.length)]);
    hash.update(b);
    bytes += b.length;
  }
  return { bytes, sha256: hash.digest('hex'), head };
}

/** The refusal of a file whose first bytes are no accepted format (resumable uploads sniff as the bytes arrive). */
export function notAVideo(filename: string, refused?: string): HttpError {
  if (refused !== undefined) return unsupportedMedia(`${filename} is ${refused}`);
  return unsupportedMedia(`${filename} is not a video: its first bytes are none of the formats accepted (${ACCEPTED_LIST}); playlists, scripts and text renamed to a video name are refused`);
}

/**
 * busboy's complaints about the request body itself (no boundary, truncated, a broken part header) are the client's
 * fault: a 400, never a 500. System errors (a full disk) carry a `code` and stay internal.
 */
export function malformedMultipart(err: unknown): unknown {
  if (err instanceof HttpError || !(err instanceof Error) || (err as { code?: unknown }).code !== undefined) return err;
  if (!/multipart|boundary|malformed part header|unexpected end of form/i.test(err.message)) return err;
  return withClose(badRequest(`the upload is not well-formed multipart/form-data: ${err.message}`));
}

function refusal(err: unknown, tmpPath: string, filename: string, maxBytes: number): unknown {
  if (err instanceof HttpError) return err;
  const malformed = malformedMultipart(err);
  if (malformed !== err) return malformed;
  if (err instanceof NotAVideo) return withClose(notAVideo(filename, err.refused));
  if ((err as { code?: string }).code === 'FST_REQ_FILE_TOO_LARGE') return tooLarge(`the clip is larger than the limit of ${maxBytes} bytes`);
  if (err instanceof InputError) {
    // ffprobe's message names our temporary path: show the uploader's name instead.
    return unsupportedMedia(`${filename} is not a readable video: ${err.message.split(tmpPath).join(filename)}`);
  }
  return err;
}

function withClose(e: HttpError): HttpError {
  return new HttpError(e.statusCode, e.code, e.message, { headers: { ...e.headers, connection: 'close' } });
}
