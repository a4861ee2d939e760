import type { Logger } from 'typeorm';

let statements = 0;

/**
 * SQL statements this process has sent through TypeORM (queries, migrations and the
 * transaction statements TypeORM issues), for the `db_statements_total` metric and the
 * benchmark's statements-per-flow figure.
 */
export function sqlStatementCount(): number {
  return statements;
}

/**
 * A TypeORM logger that logs nothing and counts every statement. TypeORM hands every
 * statement to the data source's logger whatever `logging` says, so counting costs one
 * increment per statement.
 */
export class StatementCountingLogger implements Logger {
  logQuery(): void {
    statements++;
  }
  logQueryError(): void {
    // failures are counted in logQuery, which precedes them
  }
  logQuerySlow(): void {
    // slowness is not counted
  }
  logSchemaBuild(): void {
    // synchronize is never used
  }
  logMigration(): void {
    // migration statements are counted in logQuery
  }
  log(): void {
    // TypeORM's own messages are not logged
  }
}
