import { DataSource } from 'typeorm';
import { AUDIT_ENTITIES, AUDIT_MIGRATIONS, AuditChainWriter, AuditService, type AuditModuleOptions } from '../src/index';
import { openTestDataSource, type TestDatabase } from '@authkit/testing';

export const auditSchema = { entities: AUDIT_ENTITIES, migrations: AUDIT_MIGRATIONS };

/** An AuditService writing through its own chain writer, as one server instance would. */
export function auditWriter(dataSource: DataSource, options: AuditModuleOptions = {}): AuditService {
  return new AuditService(new AuditChainWriter(dataSource), { flushIntervalMs: 5, ...options });
}

/**
 * A second "instance": its own connection pool on a real server. The embedded database
 * serves one connection, so there the second writer shares the first one's pool.
 */
export async function secondInstance(database: TestDatabase, first: DataSource): Promise<DataSource> {
  return database.embedded ? first : openTestDataSource(database, auditSchema, { migrationsRun: false });
}

/** Runs SQL as the owner with triggers disabled for this session, as an attacker with DB access would. */
export async function tamper(dataSource: DataSource, sql: string, params: unknown[] = []): Promise<void> {
  await dataSource.transaction(async (manager) => {
    await manager.query(`SET LOCAL session_replication_role = replica`);
    await manager.query(sql, params);
  });
}
