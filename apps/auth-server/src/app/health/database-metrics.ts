import { Injectable, type OnModuleInit } from '@nestjs/common';
import { Gauge } from 'prom-client';
import { sqlStatementCount } from '@authkit/database';
import { MetricsService } from '@authkit/observability';

/** Publishes how many SQL statements this instance has sent (`db_statements_total`). */
@Injectable()
export class DatabaseMetrics implements OnModuleInit {
  constructor(private readonly metrics: MetricsService) {}

  onModuleInit(): void {
    this.metrics.register(
      new Gauge({
        name: 'db_statements_total',
        help: 'SQL statements sent to the database since start',
        registers: [],
        collect() {
          this.set(sqlStatementCount());
        },
      }),
    );
  }
}
