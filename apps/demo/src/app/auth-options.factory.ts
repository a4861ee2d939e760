import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import { Redis } from 'ioredis';
import { RedisRevocationStore, type AuthModuleOptions } from '@authkit/auth';
import type { AppConfig } from '@authkit/config';

const DEV_CREDENTIALS_WAIT_MS = 60_000; // npm start launches auth-server and demo together

/**
 * The demo's `AuthModule` settings: auth-server is the issuer, `AUTH_DEFAULT_AUDIENCE` the
 * audience. Revocation: the shared Redis list when `REDIS_URL` is set, otherwise RFC 7662
 * introspection with the demo's own client credentials, uncached, so that a revoked token
 * is refused at once.
 */
export async function demoAuthOptions(config: AppConfig): Promise<AuthModuleOptions> {
  const base = { issuer: config.issuer, audience: config.defaultAudience, realm: 'demo' };
  if (config.redisUrl) {
    const redis = new Redis(config.redisUrl, { maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 2_000 });
    redis.on('error', () => undefined); // a failing lookup refuses the request instead
    return { ...base, revocation: { strategy: 'shared-store', store: new RedisRevocationStore(redis) } };
  }
  const clientSecret = config.demo.clientSecret ?? (await devClientSecret(config));
  return {
    ...base,
    revocation: { strategy: 'introspection', clientId: config.demo.clientId, clientSecret, authMethod: 'client_secret_post', cacheTtlMs: 0 },
  };
}

/** In development, auth-server writes the demo's secret to DATA_DIR/dev-credentials.json. */
async function devClientSecret(config: AppConfig): Promise<string> {
  const file = join(config.dataDir, 'dev-credentials.json');
  const deadline = Date.now() + DEV_CREDENTIALS_WAIT_MS;
  let announced = false;
  for (;;) {
    try {
      const secret = (JSON.parse(await readFile(file, 'utf8')) as { demo?: { DEMO_CLIENT_SECRET?: string } }).demo?.DEMO_CLIENT_SECRET;
      if (secret) return secret;
    } catch {
      // not written yet
    }
    if (Date.now() > deadline) {
      throw new Error(`DEMO_CLIENT_SECRET must be set (or auth-server must write ${file} in development)`);
    }
    if (!announced) new Logger('DemoAuth').log(`waiting for auth-server to write ${file}`);
    announced = true;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}
