// Fresh PostgreSQL databases for the server processes of the benchmarks.
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

/** The default PostgreSQL of the benchmarks (DATABASE_URL overrides it). */
export const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/postgres';
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

// Databases

export interface Databases {
  readonly mode: 'postgres' | 'embedded';
  /** A fresh database URL (postgres), or undefined (embedded: the server uses DATA_DIR). */
  create(): Promise<{ url: string | undefined; name: string | undefined }>;
  count(name: string | undefined, sql: string): Promise<number | undefined>;
  dropAll(): Promise<void>;
}

/**
 * Fresh databases `authkit_bench_<hex>` on the PostgreSQL at `serverUrl` (loopback only),
 * dropped by dropAll(); when it cannot be reached, the embedded mode (the server uses DATA_DIR).
 */
export async function openDatabases(serverUrl: string, log: (message: string) => void): Promise<Databases> {
  const server = new URL(serverUrl);
  if (!LOOPBACK.has(server.hostname)) {
    throw Object.assign(new Error(`refusing to benchmark against ${server.hostname}: the benchmarks only talk to 127.0.0.1`), { usage: true });
  }
  const admin = new Client({ connectionString: server.href, connectionTimeoutMillis: 5_000 });
  try {
    await admin.connect();
  } catch (error) {
    await admin.end().catch(() => undefined);
    log(`cannot reach PostgreSQL at ${server.hostname}:${server.port || 5432} (${(error as Error).message}); using the embedded database`);
    return {
      mode: 'embedded',
      create: async () => ({ url: undefined, name: undefined }),
      count: async () => undefined,
      dropAll: async () => undefined,
    };
  }
  const created = new Set<string>();
  const urlOf = (name: string) => {
    const url = new URL(server.href);
    url.pathname = `/${name}`;
    return url.href;
  };
  let closed = false;
  return {
    mode: 'postgres',
    async create() {
      const name = `authkit_bench_${randomBytes(6).toString('hex')}`;
      created.add(name);
      await admin.query(`CREATE DATABASE ${name}`);
      log(`created database ${name}`);
      return { url: urlOf(name), name };
    },
    async count(name, sql) {
      if (!name) return undefined;
      const client = new Client({ connectionString: urlOf(name), connectionTimeoutMillis: 5_000 });
      try {
        await client.connect();
        const { rows } = await client.query<{ n: string }>(sql);
        return Number(rows[0]?.n);
      } catch (error) {
        log(`could not count in ${name}: ${(error as Error).message}`);
        return undefined;
      } finally {
        await client.end().catch(() => undefined);
      }
    },
    async dropAll() {
      if (closed) return;
      closed = true;
      for (const name of created) {
        await admin
          .query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
          .then(() => log(`dropped database ${name}`))
          .catch((error: Error) => log(`could not drop database ${name}: ${error.message}`));
      }
      created.clear();
      await admin.end().catch(() => undefined);
    },
  };
}
