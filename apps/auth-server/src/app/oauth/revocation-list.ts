import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Redis } from 'ioredis';
import { DataSource } from 'typeorm';
import { SHARED_REDIS } from '../shared-redis';
import { OAuthError } from './oauth-error';

const PURGE_EVERY_MS = 3_600_000; // expired revocations and assertion ids are dropped hourly

/** Key under which a revoked access token's `jti` is published for resource servers. */
export const REVOKED_KEY_PREFIX = 'authkit:revoked:';

/**
 * Revoked access tokens. The authoritative record is the `revoked_tokens` table (kept
 * until each token's `exp`); with `REDIS_URL` set, every revocation is also published to
 * Redis as `authkit:revoked:<jti>` expiring at the token's `exp`, where resource servers
 * using `@authkit/auth`'s shared-store strategy look it up.
 */
@Injectable()
export class RevocationList implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(RevocationList.name);
  private timer: NodeJS.Timeout | undefined;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(SHARED_REDIS) private readonly redis: Redis | undefined,
  ) {}

  /**
   * Records the revocation until `exp` (seconds since the epoch).
   * @throws OAuthError `temporarily_unavailable` when the shared store cannot be told: the
   *   client must retry rather than believe the token is dead everywhere.
   */
  async revoke(jti: string, clientId: string, exp: number): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO revoked_tokens (jti, client_id, expires_at) VALUES ($1, $2, to_timestamp($3)) ON CONFLICT (jti) DO NOTHING`,
      [jti, clientId, exp],
    );
    if (this.redis) {
      try {
        await this.redis.set(`${REVOKED_KEY_PREFIX}${jti}`, '1', 'EXAT', exp);
      } catch (error) {
        this.logger.warn(`revocation not published to Redis (${(error as Error).name})`);
        throw new OAuthError('temporarily_unavailable', 'The revocation could not be shared; retry.');
      }
    }
  }

  async isRevoked(jti: string): Promise<boolean> {
    const rows = (await this.dataSource.query('SELECT 1 FROM revoked_tokens WHERE jti = $1', [jti])) as unknown[];
    return rows.length > 0;
  }

  /** Drops entries whose tokens have expired anyway. */
  async purgeExpired(): Promise<void> {
    await this.dataSource.query('DELETE FROM revoked_tokens WHERE expires_at < now()');
    await this.dataSource.query('DELETE FROM client_assertion_jtis WHERE expires_at < now()');
  }

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.purgeExpired().catch(() => undefined), PURGE_EVERY_MS);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }
}
