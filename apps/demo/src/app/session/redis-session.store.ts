import type { Redis } from 'ioredis';
import type { SessionCipher } from './session-cipher';
import type { SessionStore } from './session-store.interface';

/** Default key prefix; tests pass their own so that runs never collide. */
export const DEMO_SESSION_KEY_PREFIX = 'authkit:demo:';

/**
 * {@link SessionStore} in Redis, shared by every demo instance. Values are encrypted
 * with {@link SessionCipher}; expiry is Redis' own (`PX`). Errors propagate, so a request
 * that needs the session fails closed (503) rather than looking signed out.
 */
export class RedisSessionStore implements SessionStore {
  constructor(
    private readonly redis: Redis,
    private readonly cipher: SessionCipher,
    private readonly prefix = DEMO_SESSION_KEY_PREFIX,
  ) {}

  async get(key: string): Promise<string | undefined> {
    const sealed = await this.redis.get(this.prefix + key);
    return sealed === null ? undefined : this.cipher.decrypt(sealed, key);
  }

  async set(key: string, value: string, ttlMs: number): Promise<void> {
    await this.redis.set(this.prefix + key, this.cipher.encrypt(value, key), 'PX', Math.max(1, Math.ceil(ttlMs)));
  }

  async setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean> {
    const result = await this.redis.set(this.prefix + key, this.cipher.encrypt(value, key), 'PX', Math.max(1, Math.ceil(ttlMs)), 'NX');
    return result === 'OK';
  }

  async take(key: string): Promise<string | undefined> {
    // GETDEL (Redis 6.2) is atomic: two callbacks racing with one state cannot both win.
    const sealed = await this.redis.getdel(this.prefix + key);
    return sealed === null ? undefined : this.cipher.decrypt(sealed, key);
  }

  async delete(key: string): Promise<void> {
    await this.redis.del(this.prefix + key);
  }
}
