// Start-up checks of the Redis that carries the jobs. BullMQ itself only warns about eviction; we refuse.
import type { Redis } from 'ioredis';
import { QueueConfigError } from './queue-errors.ts';

/** The URL without its password, for messages. */
export function redactRedisUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password !== '') u.password = '***';
    return u.toString();
  } catch {
    return 'redis (unparsable URL)';
  }
}

/**
 * Refuses a Redis whose maxmemory-policy is not `noeviction`: under memory pressure any other policy deletes
 * keys, and a deleted job key is a clip that is silently never analysed (BullMQ docs, "Going to production").
 */
export async function assertNoEviction(redis: Redis, where: string): Promise<void> {
  // INFO is allowed where CONFIG is often disabled (managed Redis).
  const info = await redis.info('memory');
  const policy = /^maxmemory_policy:(\S+)/m.exec(info)?.[1];
  if (policy === undefined) throw new QueueConfigError(`cannot read maxmemory_policy from INFO of ${where}`);
  if (policy !== 'noeviction') {
    throw new QueueConfigError(
      `Redis at ${where} has maxmemory-policy "${policy}"; sopwatch needs "noeviction", otherwise Redis may delete ` +
        `queued jobs under memory pressure. Set "maxmemory-policy noeviction" in redis.conf ` +
        `(or CONFIG SET maxmemory-policy noeviction) and start again.`,
    );
  }
}
