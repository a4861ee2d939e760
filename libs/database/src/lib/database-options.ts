import type { DataSourceOptions } from 'typeorm';
import { EMBEDDED_POOL_SIZE } from './embedded-postgres';
import { StatementCountingLogger } from './statement-counter';

/** What the app's entities and migrations are; the libs contribute theirs. */
export interface DatabaseSchema {
  readonly entities: NonNullable<DataSourceOptions['entities']>;
  readonly migrations: NonNullable<DataSourceOptions['migrations']>;
}

/** Where the database is and whether it is the embedded one. */
export interface DatabaseLocation {
  readonly url: string;
  readonly embedded: boolean;
}

const POOL_SIZE = 10; // per instance; PostgreSQL's default max_connections is 100
const CONNECT_TIMEOUT_MS = 5_000; // a database that does not answer fails readiness, it does not hang requests
const STATEMENT_TIMEOUT_MS = 15_000;

/**
 * TypeORM options for either mode: same driver, same SQL, same migrations.
 * Migrations run at start, each in its own transaction; `synchronize` is never used.
 */
export function databaseOptions(location: DatabaseLocation, schema: DatabaseSchema): DataSourceOptions {
  return {
    type: 'postgres',
    url: location.url,
    entities: schema.entities,
    migrations: schema.migrations,
    migrationsRun: true,
    migrationsTransactionMode: 'each',
    synchronize: false,
    logging: false,
    logger: new StatementCountingLogger(),
    poolSize: location.embedded ? EMBEDDED_POOL_SIZE : POOL_SIZE,
    connectTimeoutMS: CONNECT_TIMEOUT_MS,
    extra: {
      statement_timeout: STATEMENT_TIMEOUT_MS,
      keepAlive: true,
      application_name: 'authkit',
      // The embedded server's single connection is kept open rather than recycled.
      idleTimeoutMillis: location.embedded ? 0 : 30_000,
    },
  };
}
