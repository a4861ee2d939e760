import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Redis } from 'ioredis';
import { DataSource, type EntityManager } from 'typeorm';
import { returnedRows } from '../crypto/opaque-token';
import { SHARED_REDIS } from '../shared-redis';
import { OAuthError } from './oauth-error';

const PURGE_EVERY_MS = 3_600_000; // expired revocations and assertion ids are dropped hourly
const REPUBLISH_EVERY_MS = 5_000; // a revocation Redis missed is offered again this often, by every instance
const REPUBLISH_BATCH = 500; // revocations per attempt

/** Key under which a revoked access token's `jti` is published for resource servers. */
export const REVOKED_KEY_PREFIX = 'authkit:revoked:';

/**
 * Revoked access tokens. The authoritative record is the `revoked_tokens` table (kept
 * until each token's `exp`); with `REDIS_URL` set, every revocation is also published to
 * Redis as `authkit:revoked:<jti>` expiring at the token's `exp`, where resource servers
 * using `@authkit/auth`'s shared-store strategy look it up. A revocation is recorded as
 * unpublished first and marked once Redis has it; one that Redis missed (the caller got a
 * 503, or never retried: an admin action, a reuse detection) is published again every
 * {@link REPUBLISH_EVERY_MS} until Redis takes it, so no outage leaves it unknown there.
 */
@Injectable()
export class RevocationList implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(RevocationList.name);
  private timer: NodeJS.Timeout | undefined;
  private republisher: NodeJS.Timeout | undefined;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(SHARED_REDIS) private readonly redis: Redis | undefined,
  ) {}

  /**
   * Records the revocation until `exp` and shares it with Redis, best effort: when Redis
   * misses it, it is published again later (see the class comment). For revocations nobody
   * would retry (a replayed code); the revocation endpoint uses {@link revoke}.
   */
  async record(jti: string, clientId: string, exp: number): Promise<void> {
    await this.revoke(jti, clientId, exp).catch((error: unknown) => {
      if (!(error instanceof OAuthError && error.code === 'temporarily_unavailable')) throw error;
    });
  }

  /**
   * Records the revocation until `exp` (seconds since the epoch).
   * @throws OAuthError `temporarily_unavailable` when the shared store cannot be told: the
   *   client must retry rather than believe the token is dead everywhere.
   */
  async revoke(jti: string, clientId: string, exp: number): Promise<void> {
    await this.list(this.dataSource.manager, 'SELECT $1::text AS jti, $2::text AS client_id, to_timestamp($3) AS expires_at', [jti, clientId, exp]);
    if (this.redis) {
      try {
        await this.redis.set(`${REVOKED_KEY_PREFIX}${jti}`, '1', 'EXAT', exp);
      } catch (error) {
        this.logger.warn(`revocation not published to Redis (${(error as Error).name}); it will be offered again`);
        throw new OAuthError('temporarily_unavailable', 'The revocation could not be shared; retry.');
      }
      await this.dataSource.query('UPDATE revoked_tokens SET published = true WHERE jti = $1 AND NOT published', [jti]);
    }
  }

  /**
   * Records, through `manager` (inside the caller's transaction), the revocation of every
   * access token `select` yields as rows of `jti`, `client_id`, `expires_at`; unpublished when
   * Redis is to be told (call {@link sharePending} once the transaction has committed).
   * Returns how many were not already on the list.
   */
  async list(manager: EntityManager, select: string, params: readonly unknown[]): Promise<number> {
    const listed = (await manager.query(
      `INSERT INTO revoked_tokens (jti, client_id, expires_at, published)
       SELECT jti, client_id, expires_at, $${params.length + 1} FROM (${select}) AS revoked
       ON CONFLICT (jti) DO NOTHING
       RETURNING jti`,
      [...params, this.redis === undefined],
    )) as unknown;
    return returnedRows(listed).length;
  }

  /**
   * Offers Redis what it does not have yet, best effort: a failure is logged and the
   * periodic republisher tries again.
   */
  async sharePending(): Promise<void> {
    try {
      const published = await this.republishPending();
      if (published > 0) this.logger.log(`published ${published} revocations to Redis`);
    } catch (error) {
      this.logger.warn(`revocations not yet published to Redis (${(error as Error).name}); retrying in ${REPUBLISH_EVERY_MS} ms`);
    }
  }

  /**
   * Publishes to Redis the unexpired revocations it does not have yet (see the class
   * comment). Returns how many were published; throws when Redis or the database fails.
   */
  async republishPending(): Promise<number> {
    if (!this.redis) return 0;
    const pending = (await this.dataSource.query(
      `SELECT jti, floor(extract(epoch FROM expires_at))::bigint AS exp FROM revoked_tokens
       WHERE NOT published AND expires_at > now() + interval '1 second' LIMIT $1`,
      [REPUBLISH_BATCH],
    )) as { jti: string; exp: string }[];
    if (pending.length === 0) return 0;
    const batch = this.redis.pipeline();
    for (const { jti, exp } of pending) batch.set(`${REVOKED_KEY_PREFIX}${jti}`, '1', 'EXAT', Number(exp));
    const results = (await batch.exec()) ?? [];
    const failed = results.find(([error]) => error);
    if (failed || results.length !== pending.length) throw failed?.[0] ?? new Error('Redis answered part of the batch');
    await this.dataSource.query('UPDATE revoked_tokens SET published = true WHERE jti = ANY($1::text[])', [pending.map((r) => r.jti)]);
    return pending.length;
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
    if (this.redis) {
      this.republisher = setInterval(() => void this.sharePending(), REPUBLISH_EVERY_MS);
      this.republisher.unref();
    }
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
    clearInterval(this.republisher);
  }
}
