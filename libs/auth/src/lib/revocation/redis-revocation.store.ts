import type { Redis } from 'ioredis';
import { REVOKED_KEY_PREFIX, type RevocationStore } from './revocation-store.interface';

/**
 * Revocations in Redis, where auth-server publishes them: `authkit:revoked:<jti>`,
 * expiring at the token's `exp`. Errors propagate, so the guard fails closed.
 */
export class RedisRevocationStore implements RevocationStore {
  constructor(private readonly redis: Redis) {}

  async isRevoked(jti: string): Promise<boolean> {
    return (await this.redis.exists(REVOKED_KEY_PREFIX + jti)) === 1;
  }

  async revoke(jti: string, expiresAt: number): Promise<void> {
    await this.redis.set(REVOKED_KEY_PREFIX + jti, '1', 'EXAT', expiresAt);
  }
}
