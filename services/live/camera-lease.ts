// Camera leases in Redis: one key per camera holding the worker id (SET NX PX), renewed and released only by
// their holder (Lua compare-and-extend / compare-and-delete), and a worker roll-call kept on Redis's own clock.
import type { Redis } from 'ioredis';

/** What the distributor needs from a lease backend (Redis in production; the same interface in tests). */
export interface LeaseStore {
  /** Marks this worker alive for `ttlMs` and returns every live worker id, sorted. */
  heartbeat(workerId: string, ttlMs: number): Promise<string[]>;
  /** Takes the camera if nobody holds it. */
  acquire(cameraId: string, workerId: string, ttlMs: number): Promise<boolean>;
  /** Extends the leases this worker still holds; returns, per camera, whether it still holds it. */
  renew(cameraIds: readonly string[], workerId: string, ttlMs: number): Promise<boolean[]>;
  /** Gives the camera up, only if this worker holds it. */
  release(cameraId: string, workerId: string): Promise<boolean>;
  /** Who holds each camera (undefined: nobody). */
  holders(cameraIds: readonly string[]): Promise<Array<string | undefined>>;
  /** Leaves the roll-call (a clean shutdown). */
  leave(workerId: string): Promise<void>;
}

const HEARTBEAT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
redis.call('ZADD', KEYS[1], now + ttl, ARGV[1])
redis.call('PEXPIRE', KEYS[1], ttl * 4)
return redis.call('ZRANGE', KEYS[1], 0, -1)`;

const RENEW = `
local out = {}
for i, key in ipairs(KEYS) do
  if redis.call('GET', key) == ARGV[1] then
    redis.call('PEXPIRE', key, ARGV[2])
    out[i] = 1
  else
    out[i] = 0
  end
end
return out`;

const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0`;

export class RedisLeaseStore implements LeaseStore {
  /**
   * @param redis a connection of its own (commands must not queue behind blocking calls of a queue worker)
   * @param prefix key prefix, e.g. `sopwatch:live:`; tests use a unique one
   */
  constructor(private readonly redis: Redis, private readonly prefix = 'sopwatch:live:') {}

  private leaseKey(cameraId: string): string {
    return `${this.prefix}lease:${cameraId}`;
  }

  private get workersKey(): string {
    return `${this.prefix}workers`;
  }

  async heartbeat(workerId: string, ttlMs: number): Promise<string[]> {
    const list = (await this.redis.eval(HEARTBEAT, 1, this.workersKey, workerId, String(Math.round(ttlMs)))) as string[];
    return [...list].sort();
  }

  async acquire(cameraId: string, workerId: string, ttlMs: number): Promise<boolean> {
    return (await this.redis.set(this.leaseKey(cameraId), workerId, 'PX', Math.round(ttlMs), 'NX')) === 'OK';
  }

  async renew(cameraIds: readonly string[], workerId: string, ttlMs: number): Promise<boolean[]> {
    if (cameraIds.length === 0) return [];
    const out = (await this.redis.eval(RENEW, cameraIds.length, ...cameraIds.map((c) => this.leaseKey(c)), workerId, String(Math.round(ttlMs)))) as number[];
    return cameraIds.map((_, i) => out[i] === 1);
  }

  async release(cameraId: string, workerId: string): Promise<boolean> {
    return (await this.redis.eval(RELEASE, 1, this.leaseKey(cameraId), workerId)) === 1;
  }

  async holders(cameraIds: readonly string[]): Promise<Array<string | undefined>> {
    if (cameraIds.length === 0) return [];
    const values = await this.redis.mget(...cameraIds.map((c) => this.leaseKey(c)));
    return values.map((v) => v ?? undefined);
  }

  async leave(workerId: string): Promise<void> {
    await this.redis.zrem(this.workersKey, workerId);
  }
}
