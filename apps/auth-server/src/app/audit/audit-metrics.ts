import { Injectable, type OnModuleInit } from '@nestjs/common';
import { Gauge } from 'prom-client';
import { AuditService } from '@authkit/audit';
import { MetricsService } from '@authkit/observability';

/** Publishes the audit writer's counters as Prometheus gauges. */
@Injectable()
export class AuditMetrics implements OnModuleInit {
  constructor(
    private readonly audit: AuditService,
    private readonly metrics: MetricsService,
  ) {}

  onModuleInit(): void {
    const audit = this.audit;
    const gauges: [string, string, (stats: ReturnType<AuditService['getStats']>) => number][] = [
      ['audit_events_buffered', 'Audit events waiting to be written', (s) => s.buffered],
      ['audit_events_written_total', 'Audit events written since start', (s) => s.written],
      ['audit_write_failures_total', 'Failed audit batch writes since start', (s) => s.failedAttempts],
      ['audit_events_rejected_total', 'Actions refused because the audit buffer was full', (s) => s.rejected],
    ];
    for (const [name, help, read] of gauges) {
      this.metrics.register(
        new Gauge({
          name,
          help,
          registers: [],
          collect() {
            this.set(read(audit.getStats()));
          },
        }),
      );
    }
  }
}
