import { isIP } from 'node:net';
import { z } from 'zod';

const port = z.coerce.number().int().min(0).max(65535);
const seconds = z.coerce.number().int().positive();

/** An absolute http(s) URL with no query, fragment or credentials, as an issuer must be (RFC 8414 s2). */
const issuerUrl = z.string().refine((value) => {
  try {
    const url = new URL(value);
    return (
      (url.protocol === 'https:' || url.protocol === 'http:') &&
      !url.search && !url.hash && !url.username && !url.password && !value.endsWith('/')
    );
  } catch {
    return false;
  }
}, 'an absolute http(s) URL without query, fragment, credentials or trailing slash, e.g. https://auth.example.com');

const httpUrl = z.string().refine((value) => {
  try {
    return ['http:', 'https:'].includes(new URL(value).protocol);
  } catch {
    return false;
  }
}, 'an absolute http(s) URL');

const urlWithScheme = (schemes: string[], example: string) =>
  z.string().refine((value) => {
    try {
      return schemes.includes(new URL(value).protocol);
    } catch {
      return false;
    }
  }, `a ${schemes.map((s) => s.replace(':', '://')).join(' or ')} URL, e.g. ${example}`);

const kek = z.string().refine(
  (value) => /^[A-Za-z0-9+/]{43}=$/.test(value) && Buffer.from(value, 'base64').length === 32,
  'base64 of exactly 32 random bytes, e.g. the output of `openssl rand -base64 32`',
);

const trustProxy = z.string().refine((value) => {
  if (/^\d+$/.test(value)) return true;
  return value.split(',').every((entry) => {
    const [address, prefix, ...rest] = entry.trim().split('/');
    if (rest.length || !address || !isIP(address)) return false;
    if (prefix === undefined) return true;
    const max = isIP(address) === 4 ? 32 : 128;
    return /^\d+$/.test(prefix) && Number(prefix) <= max;
  });
}, 'a number of proxy hops (e.g. 1) or a comma-separated list of IP addresses or CIDRs (e.g. 10.0.0.0/8,::1)');

/**
 * The environment variables the kit reads (see the configuration table in the README).
 * Unknown variables are ignored; every listed one is validated here and nowhere else.
 */
export const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  HOST: z.string().min(1).optional(),
  PORT: port.default(3000),
  DEMO_PORT: port.default(4200),
  AUTH_ISSUER: issuerUrl.optional(),
  DATABASE_URL: urlWithScheme(['postgres:', 'postgresql:'], 'postgres://user:password@host:5432/authkit').optional(),
  DATA_DIR: z.string().min(1).default('.data'),
  REDIS_URL: urlWithScheme(['redis:', 'rediss:'], 'redis://127.0.0.1:6379').optional(),
  AUTH_BOOTSTRAP_FILE: z.string().min(1).optional(),
  AUTH_KEK: kek.optional(),
  AUTH_DEFAULT_AUDIENCE: httpUrl.default('http://localhost:4200/api'),
  AUTH_SIGNING_ALG: z
    .string()
    .refine((v) => !/^HS/i.test(v), 'an asymmetric algorithm: symmetric (HS*) signing is refused')
    .pipe(z.enum(['RS256', 'ES256', 'EdDSA']))
    .default('RS256'),
  ACCESS_TOKEN_TTL: seconds.default(600),
  REFRESH_TOKEN_TTL: seconds.default(86_400),
  REFRESH_TOKEN_ABSOLUTE_TTL: seconds.default(2_592_000),
  AUTH_CODE_TTL: seconds.max(600).default(60),
  SESSION_IDLE_TTL: seconds.default(1_800),
  SESSION_ABSOLUTE_TTL: seconds.default(43_200),
  DEMO_CLIENT_ID: z.string().min(1).default('demo-web'),
  AUTH_ACCOUNT_CLIENTS: z
    .string()
    .regex(/^[^\s,]+(,[^\s,]+)*$/, 'comma-separated client ids')
    .refine((v) => !v.includes('\u0000'), 'no NUL characters')
    .optional(),
  DEMO_CLIENT_SECRET: z.string().min(32, 'at least 32 characters').optional(),
  DEMO_PUBLIC_URL: httpUrl.optional(),
  TRUST_PROXY: trustProxy.optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  RATE_LIMIT_TOKEN_PER_MINUTE: z.coerce.number().int().min(1).max(10_000_000).default(6_000),
  AUDIT_BUFFER_LIMIT: z.coerce.number().int().min(100).default(50_000),
  AUDIT_FLUSH_INTERVAL_MS: z.coerce.number().int().min(1).max(10_000).default(50),
  AUDIT_RETENTION_DAYS: z.coerce.number().int().positive().optional(),
});

/**
 * The expected form of each variable, as boot errors state it. Messages are built from
 * this table only, so a rejected value (perhaps a secret) is never echoed back.
 */
export const EXPECTED_FORM: Readonly<Record<keyof z.input<typeof envSchema>, string>> = {
  NODE_ENV: 'one of development, test, production',
  HOST: 'a host name or IP address to listen on, e.g. 0.0.0.0',
  PORT: 'a TCP port number (0-65535)',
  DEMO_PORT: 'a TCP port number (0-65535)',
  AUTH_ISSUER: 'an absolute http(s) URL without query, fragment, credentials or trailing slash, e.g. https://auth.example.com',
  DATABASE_URL: 'a postgres:// URL, e.g. postgres://user:password@host:5432/authkit',
  DATA_DIR: 'a directory path',
  REDIS_URL: 'a redis:// or rediss:// URL, e.g. redis://127.0.0.1:6379',
  AUTH_BOOTSTRAP_FILE: 'the path of a JSON bootstrap file',
  AUTH_KEK: 'base64 of exactly 32 random bytes, e.g. the output of `openssl rand -base64 32`',
  AUTH_DEFAULT_AUDIENCE: 'an absolute http(s) URL',
  AUTH_SIGNING_ALG: 'one of RS256, ES256, EdDSA (symmetric HS* signing is refused)',
  ACCESS_TOKEN_TTL: 'a positive whole number of seconds',
  REFRESH_TOKEN_TTL: 'a positive whole number of seconds',
  REFRESH_TOKEN_ABSOLUTE_TTL: 'a positive whole number of seconds',
  AUTH_CODE_TTL: 'a whole number of seconds between 1 and 600 (RFC 6749 s4.1.2 recommends at most 600)',
  SESSION_IDLE_TTL: 'a positive whole number of seconds',
  SESSION_ABSOLUTE_TTL: 'a positive whole number of seconds',
  DEMO_CLIENT_ID: 'a non-empty client id',
  AUTH_ACCOUNT_CLIENTS: 'comma-separated client ids without spaces, e.g. demo-web,account-console',
  DEMO_CLIENT_SECRET: 'a secret of at least 32 characters',
  DEMO_PUBLIC_URL: 'an absolute http(s) URL',
  TRUST_PROXY: 'a number of proxy hops (e.g. 1) or a comma-separated list of IP addresses or CIDRs (e.g. 10.0.0.0/8,::1)',
  LOG_LEVEL: 'one of fatal, error, warn, info, debug, trace, silent',
  RATE_LIMIT_TOKEN_PER_MINUTE: 'a whole number of requests per minute, at least 1',
  AUDIT_BUFFER_LIMIT: 'a whole number of events, at least 100',
  AUDIT_FLUSH_INTERVAL_MS: 'a whole number of milliseconds between 1 and 10000',
  AUDIT_RETENTION_DAYS: 'a positive whole number of days',
};

export type Env = z.infer<typeof envSchema>;
