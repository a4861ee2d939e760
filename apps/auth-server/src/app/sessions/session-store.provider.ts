import type { Provider } from '@nestjs/common';
import { getDataSourceToken } from '@nestjs/typeorm';
import type { Redis } from 'ioredis';
import type { DataSource } from 'typeorm';
import { SHARED_REDIS } from '../shared-redis';
import { PostgresSessionStore } from './postgres-session.store';
import { RedisSessionStore } from './redis-session.store';
import { SessionStore } from './session-store.interface';

/**
 * The {@link SessionStore}: Redis when `REDIS_URL` is set (sessions shared by every
 * instance, and fast to resolve on each page), otherwise the database.
 */
export const sessionStoreProvider: Provider = {
  provide: SessionStore,
  useFactory: (redis: Redis | undefined, dataSource: DataSource): SessionStore =>
    redis ? new RedisSessionStore(redis) : new PostgresSessionStore(dataSource),
  inject: [SHARED_REDIS, getDataSourceToken()],
};
