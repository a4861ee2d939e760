import { Logger } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { SessionStoreUnavailableError } from './session-errors';
import type { SessionStore, StoredSession } from './session-store.interface';

/** Key prefix of sessions in the shared Redis. */
export const SESSION_KEY_PREFIX = 'authkit:';

/**
 * KEYS: session key, user index. ARGV: record, session expiry (ms), created at (ms), token
 * hash, absolute expiry (ms). The index lives as long as the longest session it lists, so
 * revoking all of a user's sessions always finds every one.
 */
const CREATE = `
redis.call('SET', KEYS[1], ARGV[1], 'PXAT', ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[4])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local pttl = redis.call('PTTL', KEYS[2])
if pttl < 0 or now + pttl < tonumber(ARGV[5]) then redis.call('PEXPIREAT', KEYS[2], ARGV[5]) end
return 1`;

/** KEYS: user index. ARGV: session key prefix. Ends every listed session in one step. */
const END_ALL = `
local hashes = redis.call('ZRANGE', KEYS[1], 0, -1)
local ended = {}
for _, hash in ipairs(hashes) do
  local value = redis.call('GETDEL', ARGV[1] .. hash)
  if value then ended[#ended + 1] = value end
end
redis.call('DEL', KEYS[1])
return ended`;

/**
 * Sessions in Redis, shared by every instance: `<prefix>session:<sha256 of cookie>` holds
 * the session as JSON and expires at its idle expiry (never after the absolute one);
 * `<prefix>user-sessions:<user id>` is a sorted set of the user's session hashes by
 * creation time, for listing and revocation. Ending a session deletes its key. Any Redis
 * failure rejects with {@link SessionStoreUnavailableError} (fail closed).
 */
export class RedisSessionStore implements SessionStore {
  private readonly logger = new Logger(RedisSessionStore.name);

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string = SESSION_KEY_PREFIX,
  ) {}

  create(tokenHash: string, s: StoredSession): Promise<void> {
    return this.guard(async () => {
      await this.redis.eval(CREATE, 2, this.sessionKey(tokenHash), this.userKey(s.userId), JSON.stringify(s), s.idleExpiresAt, s.createdAt, tokenHash, s.absoluteExpiresAt);
    });
  }

  findLive(tokenHash: string, now: number): Promise<StoredSession | undefined> {
    return this.guard(async () => live(parse(await this.redis.get(this.sessionKey(tokenHash))), now));
  }

  touch(tokenHash: string, s: StoredSession): Promise<void> {
    return this.guard(async () => {
      // XX: a session ended meanwhile stays ended.
      await this.redis.call('SET', this.sessionKey(tokenHash), JSON.stringify(s), 'PXAT', s.idleExpiresAt, 'XX');
    });
  }

  endByHash(tokenHash: string, now: number): Promise<StoredSession | undefined> {
    return this.guard(async () => {
      const ended = parse(await this.redis.getdel(this.sessionKey(tokenHash)));
      if (ended) await this.redis.zrem(this.userKey(ended.userId), tokenHash);
      return live(ended, now);
    });
  }

  endById(userId: string, sessionId: string, now: number): Promise<StoredSession | undefined> {
    return this.guard(async () => {
      const hashes = await this.redis.zrange(this.userKey(userId), 0, -1);
      if (hashes.length === 0) return undefined;
      const values = await this.redis.mget(hashes.map((hash) => this.sessionKey(hash)));
      const hash = hashes.find((_, i) => parse(values[i] ?? null)?.id === sessionId);
      if (hash === undefined) return undefined;
      const ended = parse(await this.redis.getdel(this.sessionKey(hash)));
      await this.redis.zrem(this.userKey(userId), hash);
      return ended?.userId === userId ? live(ended, now) : undefined;
    });
  }

  endAllForUser(userId: string, now: number): Promise<StoredSession[]> {
    return this.guard(async () => {
      const values = (await this.redis.eval(END_ALL, 1, this.userKey(userId), `${this.prefix}session:`)) as string[];
      return values.map((value) => live(parse(value), now)).filter((s): s is StoredSession => s !== undefined);
    });
  }

  listLive(userId: string, now: number): Promise<StoredSession[]> {
    return this.guard(async () => {
      const hashes = await this.redis.zrange(this.userKey(userId), 0, -1);
      if (hashes.length === 0) return [];
      const values = await this.redis.mget(hashes.map((hash) => this.sessionKey(hash)));
      const gone = hashes.filter((_, i) => values[i] === null);
      if (gone.length > 0) await this.redis.zrem(this.userKey(userId), ...gone);
      return values
        .map((value) => live(parse(value), now))
        .filter((s): s is StoredSession => s !== undefined && s.userId === userId)
        .sort((a, b) => b.createdAt - a.createdAt);
    });
  }

  /** Nothing to do: session keys expire by themselves, stale index members go on listing. */
  async purgeExpired(): Promise<void> {
    return undefined;
  }

  private sessionKey(tokenHash: string): string {
    return `${this.prefix}session:${tokenHash}`;
  }

  private userKey(userId: string): string {
    return `${this.prefix}user-sessions:${userId}`;
  }

  private async guard<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      // The error's name only: a Redis reply could echo a key, which holds a token hash.
      this.logger.warn(`session store unavailable (${(error as Error).name})`);
      throw new SessionStoreUnavailableError();
    }
  }
}

/** A stored record, or undefined when absent or not the shape this store writes (fail closed). */
function parse(value: string | null): StoredSession | undefined {
  if (value === null) return undefined;
  try {
    const s = JSON.parse(value) as StoredSession;
    const numbers = [s.authTime, s.createdAt, s.lastSeenAt, s.idleExpiresAt, s.absoluteExpiresAt];
    const ok = typeof s.id === 'string' && typeof s.userId === 'string' && Array.isArray(s.amr) && numbers.every(Number.isFinite);
    return ok ? s : undefined;
  } catch {
    return undefined;
  }
}

function live(s: StoredSession | undefined, now: number): StoredSession | undefined {
  return s && s.idleExpiresAt > now && s.absoluteExpiresAt > now ? s : undefined;
}
