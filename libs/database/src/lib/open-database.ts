import { EmbeddedPostgres } from './embedded-postgres';
import type { DatabaseLocation } from './database-options';

/** A database location and what it takes to release it at shutdown. */
export interface OpenDatabase extends DatabaseLocation {
  /** Stops the embedded server, if one was started; a real server is left alone. */
  close(): Promise<void>;
}

/**
 * Resolves the database for this process: `databaseUrl` when set, otherwise an
 * embedded PostgreSQL whose files live in `dataDir`.
 */
export async function openDatabase(options: { databaseUrl: string | undefined; dataDir: string }): Promise<OpenDatabase> {
  if (options.databaseUrl) {
    return { url: options.databaseUrl, embedded: false, close: async () => undefined };
  }
  const embedded = await EmbeddedPostgres.start(options.dataDir);
  return { url: embedded.url, embedded: true, close: () => embedded.stop() };
}
