import 'reflect-metadata';
import { ConfigError, loadConfig } from '@authkit/config';
import { openDatabase } from '@authkit/database';
import { createAuthServer } from './server';

/**
 * Boots auth-server: validate the configuration (a bad one stops here, naming the
 * variable), open the database (embedded unless DATABASE_URL), run migrations, listen.
 * On SIGTERM/SIGINT: stop accepting, finish in-flight requests, flush the audit buffer,
 * close the database.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  const database = await openDatabase(config);
  try {
    const app = await createAuthServer({ config, database });
    // app.close() stops accepting, lets in-flight requests finish, then runs the shutdown
    // hooks (the audit buffer is flushed, TypeORM disconnects); the database goes last.
    // Installed before listening, so that a signal right after start-up is never missed.
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      process.once(signal, () => {
        void app
          .close()
          .finally(() => database.close())
          .then(
            () => process.exit(0),
            () => process.exit(1),
          );
      });
    }
    await app.listen({ port: config.port, host: config.host });
    const { port } = app.getHttpServer().address() as { port: number };
    process.stdout.write(
      `${JSON.stringify({ level: 'info', service: 'auth-server', msg: 'listening', issuer: config.issuer, host: config.host, port, database: database.embedded ? 'embedded' : 'postgres' })}\n`,
    );
  } catch (error) {
    await database.close();
    throw error;
  }
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) {
    process.stderr.write(`auth-server: ${error.message}\n`);
  } else {
    process.stderr.write(`auth-server failed to start: ${(error as Error)?.name ?? 'Error'}: ${(error as Error)?.message ?? ''}\n`);
  }
  process.exit(1);
});
