// Sends a video file with HTTP range requests (RFC 9110 §14), so a browser's <video> can seek: one range per
// request (206 + Content-Range), the whole file without a usable Range header (200), 416 when nothing of it is there.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { HttpError, notFound } from '../http-errors.ts';

export type ByteRange = { start: number; end: number };

/**
 * The range asked for in a Range header, for a file of `size` bytes: `undefined` when the header is absent, not
 * about bytes, malformed or asks several ranges (the whole file is then sent, as the RFC allows); `'unsatisfiable'`
 * when no byte of the range exists.
 */
export function parseRange(header: string | undefined, size: number): ByteRange | 'unsatisfiable' | undefined {
  if (header === undefined) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (m === null) return undefined;
  const [, a = '', b = ''] = m;
  if (a === '' && b === '') return undefined;
  if (a.length > 15 || b.length > 15) return 'unsatisfiable';
  if (a === '') {
    const suffix = Number(b);
    if (suffix === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(a);
  const end = b === '' ? size - 1 : Math.min(Number(b), size - 1);
  if (b !== '' && Number(b) < start) return undefined;
  if (start >= size) return 'unsatisfiable';
  return { start, end };
}

export async function sendRangedFile(
  req: FastifyRequest, reply: FastifyReply, path: string, contentType: string, downloadName: string, disposition: 'inline' | 'attachment' = 'inline',
): Promise<FastifyReply> {
  let size: number;
  try {
    const s = await stat(path);
    if (!s.isFile()) throw new Error('not a file');
    size = s.size;
  } catch {
    throw notFound(contentType.startsWith('video/mp4') ? 'video file' : 'file');
  }
  const range = parseRange(req.headers.range, size);
  if (range === 'unsatisfiable') {
    throw new HttpError(416, 'range_not_satisfiable', `the file has ${size} bytes; the range asked for "${req.headers.range ?? ''}" is outside it`, {
      headers: { 'content-range': `bytes */${size}`, 'accept-ranges': 'bytes' },
    });
  }
  reply
    .header('content-type', contentType)
    .header('accept-ranges', 'bytes')
    .header('cache-control', 'private, no-store')
    .header('x-content-type-options', 'nosniff')
    .header('content-disposition', `${disposition}; filename="${downloadName.replace(/[^A-Za-z0-9._-]/g, '_')}"`);
  if (range === undefined) return reply.header('content-length', String(size)).send(createReadStream(path));
  return reply
    .code(206)
    .header('content-range', `bytes ${range.start}-${range.end}/${size}`)
    .header('content-length', String(range.end - range.start + 1))
    .send(createReadStream(path, { start: range.start, end: range.end }));
}
