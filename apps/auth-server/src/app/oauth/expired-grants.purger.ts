import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

const PURGE_EVERY_MS = 3_600_000; // hourly, on every instance (the deletes are idempotent)
const KEEP_AFTER_EXPIRY = "interval '1 day'"; // past the longest access token (24 h), so nothing still usable is forgotten

/**
 * Drops refresh tokens and authorization codes nothing can use or revoke any more, so the
 * tables do not grow with every sign-in forever:
 * - a refresh token once its family has passed its absolute lifetime (every token of it is
 *   dead, and the access tokens issued with them expired within a day);
 * - an authorization code a day after it expired, unless the refresh-token family it issued
 *   still lives: a replay of the code must still be able to revoke that family (RFC 6749 s4.1.2).
 */
@Injectable()
export class ExpiredGrantsPurger implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('ExpiredGrants');
  private timer: NodeJS.Timeout | undefined;

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Deletes what is past use; returns how many codes and refresh tokens went. */
  async purge(): Promise<{ codes: number; refreshTokens: number }> {
    const codes = (await this.dataSource.query(
      `WITH gone AS (
         DELETE FROM authorization_codes c
         WHERE c.expires_at < now() - ${KEEP_AFTER_EXPIRY}
           AND NOT EXISTS (SELECT 1 FROM refresh_tokens r WHERE r.family_id = c.issued_refresh_family AND r.family_expires_at > now() - ${KEEP_AFTER_EXPIRY})
         RETURNING 1)
       SELECT count(*)::int AS n FROM gone`,
    )) as { n: number }[];
    const refreshTokens = (await this.dataSource.query(
      `WITH gone AS (DELETE FROM refresh_tokens WHERE family_expires_at < now() - ${KEEP_AFTER_EXPIRY} RETURNING 1)
       SELECT count(*)::int AS n FROM gone`,
    )) as { n: number }[];
    return { codes: codes[0]?.n ?? 0, refreshTokens: refreshTokens[0]?.n ?? 0 };
  }

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => {
      this.purge().catch((error: unknown) => this.logger.warn(`expired grants not purged (${(error as Error).name}); retrying in an hour`));
    }, PURGE_EVERY_MS);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }
}
