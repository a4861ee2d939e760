import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { databaseOptions, type DatabaseLocation, type DatabaseSchema } from '@authkit/database';

/** `embedded` always runs; `postgres` runs too when `DATABASE_URL` is set. */
export type TestDatabaseKind = 'embedded' | 'postgres';

/** A database made for one test suite, dropped by {@link TestDatabase.drop}. */
export interface TestDatabase extends DatabaseLocation {
  readonly kind: TestDatabaseKind;
  drop(): Promise<void>;
}

/** The kinds of database the integration suites run against on this machine. */
export function testDatabaseKinds(): TestDatabaseKind[] {
  return process.env['DATABASE_URL'] ? ['embedded', 'postgres'] : ['embedded'];
}

/**
 * Creates a database for one suite: a fresh embedded PostgreSQL from the PGlite farm
 * (`libs/testing/farm`, started by the project's Jest globalSetup), or a new database on
 * the server of `DATABASE_URL` named `authkit_test_<random>`. Suites never see each
 * other's data.
 */
export async function createTestDatabase(kind: TestDatabaseKind): Promise<TestDatabase> {
  if (kind === 'embedded') {
    const farm = process.env['AUTHKIT_PGLITE_FARM'];
    if (!farm) throw new Error('No PGlite farm: add libs/testing/farm/global-setup.cjs to this Jest project');
    const response = await fetch(`${farm}/databases`, { method: 'POST' });
    if (response.status !== 201) throw new Error(`PGlite farm answered ${response.status}: ${await response.text()}`);
    const { id, url } = (await response.json()) as { id: string; url: string };
    return {
      kind,
      url,
      embedded: true,
      drop: async () => void (await fetch(`${farm}/databases/${id}`, { method: 'DELETE' })),
    };
  }
  const serverUrl = process.env['DATABASE_URL'];
  if (!serverUrl) throw new Error('DATABASE_URL is not set');
  const name = `authkit_test_${randomBytes(6).toString('hex')}`;
  await withAdminClient(serverUrl, (client) => client.query(`CREATE DATABASE ${name}`));
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    kind,
    url: url.toString(),
    embedded: false,
    drop: async () => {
      await withAdminClient(serverUrl, (client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    },
  };
}

async function withAdminClient<T>(url: string, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** Opens a TypeORM data source on a test database and runs the migrations. */
export async function openTestDataSource(
  database: DatabaseLocation,
  schema: DatabaseSchema,
  overrides: Partial<DataSourceOptions> = {},
): Promise<DataSource> {
  const dataSource = new DataSource({ ...databaseOptions(database, schema), ...overrides } as DataSourceOptions);
  await dataSource.initialize();
  return dataSource;
}

/**
 * Declares the suite once per database kind, each with its own database.
 *
 * @example
 * describeEachDatabase('audit chain', (db) => {
 *   it('stores', async () => { const ds = await openTestDataSource(db(), schema); ... });
 * });
 */
export function describeEachDatabase(title: string, body: (database: () => TestDatabase) => void): void {
  describe.each(testDatabaseKinds())(`${title} [%s]`, (kind) => {
    let database: TestDatabase | undefined;
    beforeAll(async () => {
      database = await createTestDatabase(kind);
    });
    afterAll(async () => {
      await database?.drop();
    });
    body(() => {
      if (!database) throw new Error('the test database is not ready yet');
      return database;
    });
  });
}
