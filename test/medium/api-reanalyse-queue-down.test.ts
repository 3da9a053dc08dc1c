// Re-analysis while the job queue is down: a clear 503 for a finished clip, never a lost request or a 500.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TransportError } from '../../services/core/errors.ts';
import { ClipRepository } from '../../services/core/storage/index.ts';
import { apiFixture, USERS, type ApiFixture } from './api-fixture.ts';

describe('POST /api/clips/:id/reanalyse with the queue down', () => {
  let f: ApiFixture;
  beforeAll(async () => {
    f = await apiFixture();
  });
  afterAll(async () => {
    await f.close();
  });

  it('answers 503 for a finished clip (the reconciler would not pick it up) and 202 queued:false for a failed one', async () => {
    const clips = new ClipRepository(f.db);
    await clips.startAnalysis(f.a1.clipId);
    await clips.finish(f.a1.clipId);
    const add = f.queue.add.bind(f.queue);
    f.queue.add = async () => {
      throw new TransportError('queue add: Redis is not reachable');
    };
    try {
      const session = await f.login(USERS.managerA);
      const done = await f.call(session, { method: 'POST', url: `/api/clips/${f.a1.clipId}/reanalyse` });
      expect(done.statusCode, done.body).toBe(503);
      expect(done.json<{ message: string }>().message).toMatch(/queue is unavailable/);
      expect((await clips.get(f.a1.clipId))?.status).toBe('done');

      const other = await clips.create({ storeId: f.stores.a1, cameraId: f.a1.cameraId, filename: 'late.mp4', path: join(f.dataDir, 'clips', 'y.mp4'), bytes: 10 });
      await clips.startAnalysis(other.id);
      await clips.fail(other.id, 'decoder crashed');
      const failed = await f.call(session, { method: 'POST', url: `/api/clips/${other.id}/reanalyse` });
      expect(failed.statusCode, failed.body).toBe(202);
      expect(failed.json<{ queued: boolean }>().queued).toBe(false);
      // Back to accepted: the reconciler queues it once the queue answers again.
      expect((await clips.get(other.id))?.status).toBe('accepted');
    } finally {
      f.queue.add = add;
    }
  });
});
