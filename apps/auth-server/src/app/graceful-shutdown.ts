import { Injectable, Logger, type BeforeApplicationShutdown } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { AuditService } from '@authkit/audit';

const AUDIT_FLUSH_TIMEOUT_MS = 10_000;

/**
 * Orders shutdown: stop accepting and let in-flight requests finish, then flush the audit
 * buffer, and only then let the shutdown hooks close the database. Nest's own order runs
 * the database's shutdown hook before or after the audit one depending on module
 * distance, so the flush happens here, before any of them.
 */
@Injectable()
export class GracefulShutdown implements BeforeApplicationShutdown {
  private readonly logger = new Logger(GracefulShutdown.name);

  constructor(
    private readonly http: HttpAdapterHost,
    private readonly audit: AuditService,
  ) {}

  async beforeApplicationShutdown(): Promise<void> {
    await this.http.httpAdapter?.close();
    try {
      await this.audit.flush(AUDIT_FLUSH_TIMEOUT_MS);
    } catch (error) {
      this.logger.error(`${(error as Error).message}; those events are lost`);
    }
  }
}
