import 'reflect-metadata';
import { ConfigError, loadConfig } from '@authkit/config';
import { createDemo } from './server';

async function main(): Promise<void> {
  const config = loadConfig();
  const app = await createDemo(config);
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => void app.close().then(() => process.exit(0), () => process.exit(1)));
  }
  await app.listen({ port: config.demoPort, host: config.host });
  process.stdout.write(`${JSON.stringify({ level: 'info', service: 'demo', msg: `listening on ${config.demo.publicUrl}`, port: config.demoPort })}\n`);
}

main().catch((error: unknown) => {
  const message = error instanceof ConfigError ? error.message : `failed to start: ${(error as Error)?.name}: ${(error as Error)?.message}`;
  process.stderr.write(`demo: ${message}\n`);
  process.exit(1);
});
