import { type DynamicModule, Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditModule } from '@authkit/audit';
import { AuthThrottlerModule } from '@authkit/auth';
import { ConfigModule, type AppConfig } from '@authkit/config';
import { databaseOptions, type DatabaseLocation } from '@authkit/database';
import { ObservabilityModule, RequestContext } from '@authkit/observability';
import { AuditMetrics } from './audit/audit-metrics';
import { AuditRetentionScheduler } from './audit/audit-retention.scheduler';
import { AUTH_SERVER_SCHEMA } from './database-schema';
import { GracefulShutdown } from './graceful-shutdown';
import { DatabaseMetrics } from './health/database-metrics';
import { HealthController } from './health/health.controller';
import { OAuthModule } from './oauth/oauth.module';
import { createSharedRedis, SHARED_REDIS, SharedRedisLifecycle } from './shared-redis';
import type { DestinationStream } from 'pino';

/** Per-process inputs the module cannot read from the environment itself. */
export interface AuthServerRuntime {
  readonly config: AppConfig;
  readonly database: DatabaseLocation;
  /** The key-encryption key (`AUTH_KEK` or the development key). */
  readonly kek: Buffer;
  /** Log destination; standard output when omitted. */
  readonly logDestination?: DestinationStream;
}

/** The authorization server. */
@Module({})
export class AppModule {
  static forRoot({ config, database, kek, logDestination }: AuthServerRuntime): DynamicModule {
    const redis = createSharedRedis(config.redisUrl);
    const perMinute = { limit: config.tokenRateLimitPerMinute, ttlMs: 60_000 };
    return {
      global: true,
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        ObservabilityModule.forRoot({
          service: 'auth-server',
          logLevel: config.logLevel,
          trustProxy: config.trustProxy,
          logDestination,
        }),
        TypeOrmModule.forRoot(databaseOptions(database, AUTH_SERVER_SCHEMA)),
        AuditModule.forRoot({
          isGlobal: true,
          bufferLimit: config.audit.bufferLimit,
          flushIntervalMs: config.audit.flushIntervalMs,
          context: () => RequestContext.current(),
        }),
        TerminusModule.forRoot({ logger: false }),
        AuthThrottlerModule.forRoot({ trustProxy: config.trustProxy, redis, presets: { token: { perIp: perMinute, perAccount: perMinute } } }),
        OAuthModule.forRoot(kek),
      ],
      controllers: [HealthController],
      providers: [AuditMetrics, DatabaseMetrics, AuditRetentionScheduler, GracefulShutdown, { provide: SHARED_REDIS, useValue: redis }, SharedRedisLifecycle],
      exports: [SHARED_REDIS],
    };
  }
}
