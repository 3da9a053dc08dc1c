// A received clip becomes a clip: its recording time settled, the file moved under a generated name, the row written,
// the upload audited and the analysis queued. Multipart and resumable (tus) uploads both end here.
import { randomUUID } from 'node:crypto';
import { link, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyBaseLogger } from 'fastify';
import type { Clip } from '../../core/storage/index.ts';
import type { JobQueue } from '../../core/queue/index.ts';
import { queueClipAnalysis } from '../clip-jobs.ts';
import type { Repos } from '../plugins/app/repositories.ts';
import { endArrival, writeArrival, type ArrivalRecord } from '../../ingester/index.ts';
import type { ReceivedClip } from './clip-upload.ts';
import { recordedAtOf } from './recorded-at.ts';

export interface RegisterClip {
  repos: Repos;
  queue: JobQueue;
  clipsDir: string;
  log: FastifyBaseLogger;
  actor: string;
  storeId: string;
  cameraId: string;
  received: ReceivedClip;
  /** The uploader's "recorded at", as typed (the store's time zone applies). */
  recordedAtInput: string | undefined;
  /** How the clip came: kept in the audit entry. */
  via: 'multipart' | 'tus';
}

/** On any failure before the row exists the received file is deleted; `queued: false` leaves the clip to the reconciler. */
export async function registerClip(r: RegisterClip): Promise<{ clip: Clip; queued: boolean }> {
  const { repos, received } = r;
  let recorded;
  try {
    const store = await repos.stores.get(r.storeId);
    recorded = recordedAtOf(received, r.recordedAtInput, store?.tz ?? 'UTC');
  } catch (err) {
    await rm(received.tmpPath, { force: true });
    throw err;
  }
  const id = randomUUID();
  const path = join(r.clipsDir, `${id}.${received.container}`);
  let clip;
  try {
    await rename(received.tmpPath, path);
    clip = await repos.clips.create({
      id, storeId: r.storeId, cameraId: r.cameraId, filename: received.filename, path, bytes: received.bytes, sha256: received.sha256,
      ...(recorded ?? {}),
    });
  } catch (err) {
    await rm(received.tmpPath, { force: true });
    await rm(path, { force: true });
    throw err;
  }
  await repos.audit.append({
    actor: r.actor, storeId: clip.storeId, action: 'clip.upload', target: clip.id,
    detail: { bytes: clip.bytes, sha256: clip.sha256, ...(r.via === 'tus' ? { via: 'tus' } : {}) },
  });
  let queued = true;
  try {
    await queueClipAnalysis(r.queue, clip);
  } catch (err) {
    // The row is the source of truth: the reconciler queues it when the queue is back.
    r.log.warn({ err, clipId: clip.id }, 'clip accepted but not queued');
    queued = false;
  }
  return { clip, queued };
}

export interface RegisterArriving extends Omit<RegisterClip, 'received' | 'via'> {
  /** What the first bytes and a probe of the arrived part say (`sha256` is unknown yet: empty). */
  received: Omit<ReceivedClip, 'sha256'>;
  /** The upload the rest comes from: its id, declared length and expiry. */
  arrival: Omit<ArrivalRecord, 'state'>;
}

/**
 * A clip of a streamable format whose upload is still arriving: the upload's file is linked (not moved) under the
 * clip's name, so the bytes still to come land in the clip's file too; the arrival record beside it says the file
 * grows. Then the row, the audit entry and the analysis, which reads the file as it arrives. The upload's data stays
 * where the upload writes it; on any failure here the link and the record are gone and the upload goes on as usual.
 */
export async function registerArrivingClip(r: RegisterArriving): Promise<{ clip: Clip; queued: boolean }> {
  const { repos, received } = r;
  const store = await repos.stores.get(r.storeId);
  const recorded = recordedAtOf({ ...received, sha256: '' }, r.recordedAtInput, store?.tz ?? 'UTC');
  const id = randomUUID();
  const path = join(r.clipsDir, `${id}.${received.container}`);
  let clip;
  try {
    // The record first: a worker that sees the row sees a growing file, never a short one taken as whole.
    await writeArrival(path, { ...r.arrival, state: 'arriving' });
    await link(received.tmpPath, path);
    clip = await repos.clips.create({
      id, storeId: r.storeId, cameraId: r.cameraId, filename: received.filename, path, bytes: r.arrival.totalBytes,
      ...(recorded ?? {}),
    });
  } catch (err) {
    await rm(path, { force: true });
    await endArrival(path);
    throw err;
  }
  await repos.audit.append({
    actor: r.actor, storeId: clip.storeId, action: 'clip.upload', target: clip.id,
    detail: { bytes: clip.bytes, via: 'tus', analysedWhileArriving: true },
  });
  let queued = true;
  try {
    await queueClipAnalysis(r.queue, clip);
  } catch (err) {
    r.log.warn({ err, clipId: clip.id }, 'clip accepted while arriving but not queued');
    queued = false;
  }
  return { clip, queued };
}
