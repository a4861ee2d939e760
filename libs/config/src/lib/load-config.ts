import { resolve } from 'node:path';
import type { AppConfig, TrustProxySetting } from './app-config.interface';
import { ConfigError } from './config-error';
import { envSchema, EXPECTED_FORM, type Env } from './env-schema';

/**
 * Reads and validates the configuration once, at boot.
 *
 * @throws ConfigError naming each invalid variable and its expected form, and, with
 *   `NODE_ENV=production`, each unsafe setting (CONTRACT: non-https issuer, no
 *   `AUTH_KEK`, embedded database, symmetric signing).
 * @example
 * const config = loadConfig(process.env);
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  // Empty variables count as unset, as they do for most twelve-factor tools.
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) {
    const variables = [...new Set(parsed.error.issues.map((issue) => String(issue.path[0])))];
    throw new ConfigError(
      variables.map((name) => `${name} must be ${EXPECTED_FORM[name as keyof typeof EXPECTED_FORM] ?? 'valid'}`),
    );
  }
  const values = parsed.data;
  const unsafe = values.NODE_ENV === 'production' ? productionProblems(values) : [];
  if (unsafe.length) throw new ConfigError(unsafe);
  return toAppConfig(values);
}

function productionProblems(env: Env): string[] {
  const problems: string[] = [];
  if (!env.AUTH_ISSUER?.startsWith('https://')) {
    problems.push('AUTH_ISSUER must be an https:// URL when NODE_ENV=production (RFC 8414 s2; RFC 9700 s2.6)');
  }
  if (!env.AUTH_KEK) {
    problems.push('AUTH_KEK must be set when NODE_ENV=production: base64 of 32 random bytes (`openssl rand -base64 32`)');
  }
  if (!env.DATABASE_URL) {
    problems.push('DATABASE_URL must point at a real PostgreSQL when NODE_ENV=production: the embedded database serves one instance and is for development');
  }
  return problems;
}

function toAppConfig(env: Env): AppConfig {
  return Object.freeze({
    nodeEnv: env.NODE_ENV,
    host: env.HOST ?? (env.NODE_ENV === 'production' ? '0.0.0.0' : 'localhost'),
    port: env.PORT,
    demoPort: env.DEMO_PORT,
    issuer: env.AUTH_ISSUER ?? `http://localhost:${env.PORT}`,
    databaseUrl: env.DATABASE_URL,
    dataDir: resolve(env.DATA_DIR),
    redisUrl: env.REDIS_URL,
    bootstrapFile: env.AUTH_BOOTSTRAP_FILE && resolve(env.AUTH_BOOTSTRAP_FILE),
    kek: env.AUTH_KEK ? Buffer.from(env.AUTH_KEK, 'base64') : undefined,
    defaultAudience: env.AUTH_DEFAULT_AUDIENCE,
    lifetimes: Object.freeze({
      accessToken: env.ACCESS_TOKEN_TTL,
      refreshToken: env.REFRESH_TOKEN_TTL,
      refreshTokenAbsolute: env.REFRESH_TOKEN_ABSOLUTE_TTL,
      authorizationCode: env.AUTH_CODE_TTL,
    }),
    sessions: Object.freeze({ idle: env.SESSION_IDLE_TTL, absolute: env.SESSION_ABSOLUTE_TTL }),
    signingAlgorithm: env.AUTH_SIGNING_ALG,
    demo: Object.freeze({
      clientId: env.DEMO_CLIENT_ID,
      clientSecret: env.DEMO_CLIENT_SECRET,
      publicUrl: (env.DEMO_PUBLIC_URL ?? `http://localhost:${env.DEMO_PORT}`).replace(/\/$/, ''),
    }),
    accountClients: Object.freeze((env.AUTH_ACCOUNT_CLIENTS ?? env.DEMO_CLIENT_ID).split(',')),
    trustProxy: parseTrustProxy(env.TRUST_PROXY),
    tokenRateLimitPerMinute: env.RATE_LIMIT_TOKEN_PER_MINUTE,
    logLevel: env.LOG_LEVEL,
    audit: Object.freeze({
      bufferLimit: env.AUDIT_BUFFER_LIMIT,
      flushIntervalMs: env.AUDIT_FLUSH_INTERVAL_MS,
      retentionDays: env.AUDIT_RETENTION_DAYS,
    }),
  });
}

function parseTrustProxy(value: string | undefined): TrustProxySetting {
  if (value === undefined) return false;
  if (/^\d+$/.test(value)) return Number(value);
  return Object.freeze(value.split(',').map((entry) => entry.trim()));
}
