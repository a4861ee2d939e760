import { mkdir, open, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

/**
 * The embedded PostgreSQL: PGlite behind its wire-protocol socket on 127.0.0.1, so the
 * ordinary `pg` driver, TypeORM's `postgres` driver and the same migrations serve both
 * modes. PGlite is a single backend, so it takes one connection at a time; the pool in
 * front of it must have size 1 (see {@link EMBEDDED_POOL_SIZE}).
 */
export class EmbeddedPostgres {
  private constructor(
    private readonly db: PGlite,
    private readonly server: PGLiteSocketServer,
    private readonly lockFile: string | undefined,
    /** `postgres://` URL of the running socket server. */
    readonly url: string,
  ) {}

  /**
   * Starts PGlite with its data in `dataDir/pg` (or in memory when `dataDir` is undefined)
   * and serves it on a free port of 127.0.0.1.
   *
   * @throws Error when another process holds the data directory.
   */
  static async start(dataDir: string | undefined): Promise<EmbeddedPostgres> {
    let lockFile: string | undefined;
    let location = 'memory://';
    if (dataDir !== undefined) {
      location = join(dataDir, 'pg');
      await mkdir(location, { recursive: true, mode: 0o700 });
      lockFile = join(dataDir, 'pg.lock');
      await acquireLock(lockFile);
    }
    const db = await PGlite.create(location);
    const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: EMBEDDED_SOCKET_LIMIT });
    await server.start();
    return new EmbeddedPostgres(db, server, lockFile, `postgres://postgres@${server.getServerConn()}/postgres`);
  }

  /** Stops serving, closes PGlite (flushing its files) and releases the data directory. */
  async stop(): Promise<void> {
    await this.server.stop();
    await this.db.close();
    if (this.lockFile) await rm(this.lockFile, { force: true });
  }
}

/**
 * PGlite runs one backend: statements of two busy connections would interleave (one
 * connection's unnamed prepared statement replacing another's), so the pool in front of
 * it holds a single connection.
 */
export const EMBEDDED_POOL_SIZE = 1;

/**
 * The socket server closes a connection asynchronously; a little headroom lets the pool
 * reconnect (after a fault or a restart of the pool) before the old socket is reaped.
 */
const EMBEDDED_SOCKET_LIMIT = 4;

async function acquireLock(path: string): Promise<void> {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(path, 'wx', 0o600);
      await handle.writeFile(String(process.pid));
      await handle.close();
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = Number(await readFile(path, 'utf8').catch(() => '0'));
      if (holder && holder !== process.pid && isAlive(holder)) {
        throw new Error(
          `The embedded database in ${path.replace(/pg\.lock$/, '')} is in use by process ${holder}. ` +
            'Stop it, choose another DATA_DIR, or set DATABASE_URL to share a real PostgreSQL between instances.',
        );
      }
      await rm(path, { force: true }); // stale lock of a process that is gone
    }
  }
  throw new Error(`Could not lock ${path}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
