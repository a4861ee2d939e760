import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { Redis } from 'ioredis';

/** Injection token of the Redis client for state shared between instances (undefined without `REDIS_URL`). */
export const SHARED_REDIS = Symbol('SHARED_REDIS');

/** One client per process; commands fail fast instead of queueing while Redis is away (fail closed). */
export function createSharedRedis(url: string | undefined): Redis | undefined {
  if (!url) return undefined;
  // commandTimeout: a partition that drops packets must fail a request (503), not hang it.
  const redis = new Redis(url, { maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 2_000, commandTimeout: 2_000 });
  redis.on('error', () => undefined); // each failing command reports its own error
  return redis;
}

/** Closes the shared client at shutdown. */
@Injectable()
export class SharedRedisLifecycle implements OnApplicationShutdown {
  constructor(@Inject(SHARED_REDIS) private readonly redis: Redis | undefined) {}

  async onApplicationShutdown(): Promise<void> {
    if (this.redis && this.redis.status !== 'end') await this.redis.quit().catch(() => this.redis?.disconnect());
  }
}
