import { type DynamicModule, Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import { Redis } from 'ioredis';
import { APP_CONFIG, type AppConfig } from '@authkit/config';
import { DEMO_CLIENT_SECRET, demoClientSecret } from '../oidc/client-secret';
import { RelyingPartyService } from '../oidc/relying-party.service';
import { Clock } from './clock';
import { InMemorySessionStore } from './in-memory-session.store';
import { DEMO_SESSION_KEY_PREFIX, RedisSessionStore } from './redis-session.store';
import { SessionCipher } from './session-cipher';
import { SessionStore } from './session-store.interface';
import { SessionService } from './session.service';

/** Injection token of the demo's Redis connection, or null without `REDIS_URL`. */
export const DEMO_REDIS = Symbol('DEMO_REDIS');

/** Test seams of the session layer. */
export interface SessionModuleOptions {
  /** Redis key prefix of the session store (tests use one per run). */
  readonly keyPrefix?: string;
  /** The clock; default the system clock. */
  readonly clock?: Clock;
}

/**
 * Sessions and the relying party they refresh through. The store is Redis when `REDIS_URL`
 * is set (shared by demo instances, encrypted at rest), otherwise in-process.
 */
@Module({})
export class SessionModule implements OnApplicationShutdown {
  constructor(@Inject(DEMO_REDIS) private readonly redis: Redis | null) {}

  static forRoot(options: SessionModuleOptions = {}): DynamicModule {
    return {
      module: SessionModule,
      global: true,
      providers: [
        { provide: Clock, useValue: options.clock ?? new Clock() },
        { provide: DEMO_CLIENT_SECRET, useFactory: (config: AppConfig) => demoClientSecret(config), inject: [APP_CONFIG] },
        {
          provide: DEMO_REDIS,
          useFactory: (config: AppConfig) => {
            if (!config.redisUrl) return null;
            const redis = new Redis(config.redisUrl, { maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 2_000 });
            redis.on('error', () => undefined); // a failing command refuses the request instead
            return redis;
          },
          inject: [APP_CONFIG],
        },
        {
          provide: SessionStore,
          useFactory: (redis: Redis | null, secret: string, clock: Clock) =>
            redis ? new RedisSessionStore(redis, new SessionCipher(secret), options.keyPrefix ?? DEMO_SESSION_KEY_PREFIX) : new InMemorySessionStore(clock),
          inject: [DEMO_REDIS, DEMO_CLIENT_SECRET, Clock],
        },
        RelyingPartyService,
        SessionService,
      ],
      exports: [Clock, DEMO_CLIENT_SECRET, DEMO_REDIS, RelyingPartyService, SessionService],
    };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.redis?.quit().catch(() => this.redis?.disconnect());
  }
}
