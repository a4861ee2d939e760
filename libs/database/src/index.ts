export { EmbeddedPostgres, EMBEDDED_POOL_SIZE } from './lib/embedded-postgres';
export { databaseOptions, type DatabaseLocation, type DatabaseSchema } from './lib/database-options';
export { openDatabase, type OpenDatabase } from './lib/open-database';
export { sqlStatementCount, StatementCountingLogger } from './lib/statement-counter';
