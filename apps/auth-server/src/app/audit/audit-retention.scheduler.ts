import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { AuditRetentionService } from '@authkit/audit';
import { InjectAppConfig, type AppConfig } from '@authkit/config';

const PURGE_EVERY_MS = 6 * 3_600_000; // four times a day; a purge is cheap when there is nothing to remove

/** Applies `AUDIT_RETENTION_DAYS`, when set, at start and then periodically. */
@Injectable()
export class AuditRetentionScheduler implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(AuditRetentionScheduler.name);
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly retention: AuditRetentionService,
    @InjectAppConfig() private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    const days = this.config.audit.retentionDays;
    if (days === undefined) return;
    const purge = () =>
      this.retention.purgeOlderThan(days).then(
        (result) => result.purged && this.logger.log(`audit retention purged ${result.purged} events older than ${days} days`),
        (error: Error) => this.logger.warn(`audit retention purge failed (${error.name}); retrying later`),
      );
    void purge();
    this.timer = setInterval(purge, PURGE_EVERY_MS);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }
}
