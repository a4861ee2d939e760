import { Controller, Get, Header, Inject } from '@nestjs/common';
import { HealthCheck, HealthCheckService, HealthIndicatorService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import type { Redis } from 'ioredis';
import { SHARED_REDIS } from '../shared-redis';

const READY_TIMEOUT_MS = 1_500; // a dependency slower than this is not ready

/** Liveness and readiness probes. */
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly database: TypeOrmHealthIndicator,
    private readonly indicators: HealthIndicatorService,
    @Inject(SHARED_REDIS) private readonly redis: Redis | undefined,
  ) {}

  /** `GET /health`: the process is up and serving. */
  @Get()
  @Header('Cache-Control', 'no-store')
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /** `GET /health/ready`: the database and, with `REDIS_URL`, the shared state answer; 503 otherwise. */
  @Get('ready')
  @Header('Cache-Control', 'no-store')
  @HealthCheck()
  ready() {
    const redis = this.redis;
    return this.health.check([
      () => this.database.pingCheck('database', { timeout: READY_TIMEOUT_MS }),
      ...(redis ? [() => this.redisCheck(redis)] : []),
    ]);
  }

  private async redisCheck(redis: Redis) {
    const indicator = this.indicators.check('shared_state');
    try {
      const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timeout')), READY_TIMEOUT_MS).unref());
      await Promise.race([redis.ping(), timeout]);
      return indicator.up();
    } catch {
      return indicator.down();
    }
  }
}
