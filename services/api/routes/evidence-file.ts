// Sends one evidence image: no caching, no sniffing, a server-made file name; 404 when the file is gone.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { FastifyReply } from 'fastify';
import { notFound } from '../http-errors.ts';

export async function sendEvidenceFile(reply: FastifyReply, path: string, downloadName: string): Promise<FastifyReply> {
  let size: number;
  try {
    const s = await stat(path);
    if (!s.isFile()) throw new Error('not a file');
    size = s.size;
  } catch {
    throw notFound('evidence file');
  }
  return reply
    .header('content-type', 'image/jpeg')
    .header('content-length', String(size))
    .header('cache-control', 'private, no-store')
    .header('content-disposition', `inline; filename="${downloadName.replace(/[^A-Za-z0-9._-]/g, '_')}"`)
    .send(createReadStream(path));
}
