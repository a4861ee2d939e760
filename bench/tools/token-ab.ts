/**
 * A/B of the token endpoint: this checkout's auth-server (A) against another checkout's (B),
 * measured in alternating slices of one run, so that a change is judged against the code
 * before it on the same machine at the same time (absolute figures move by 30% or more
 * between runs here; alternating slices move together).
 *
 *   git worktree add /tmp/authkit-base HEAD~1 && ln -s "$PWD/node_modules" /tmp/authkit-base/node_modules
 *   node -r ./libs/testing/farm/register-ts.cjs bench/tools/token-ab.ts /tmp/authkit-base
 *
 * Each side is a fresh server process (sources through the swc require hook) on a fresh
 * database of DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres; the embedded
 * database when that cannot be reached), with one client_credentials client. Prints, per
 * slice and in total, 2xx responses per second and main-thread CPU per request, then A/B.
 *
 * Environment: AB_ALG (RS256, ES256 or EdDSA; default ES256), AB_SECONDS per slice (4),
 * AB_ROUNDS (4; each round measures both sides, in alternating order), AB_CONNECTIONS (10),
 * AB_ENV_A / AB_ENV_B (JSON objects of extra server variables, e.g. {"UV_THREADPOOL_SIZE":"1"}
 * to compare a setting with B the same checkout as A).
 */
import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import { autocannon } from '../support/autocannon';
import { positive, progressLog } from '../support/bench-kit';
import { DEFAULT_DATABASE_URL, openDatabases, type Databases } from '../support/databases';
import { measureLoad } from '../support/load';
import type { Algorithm } from '../support/raw-signing';
import { authServerEnvironment } from '../support/auth-server-env';
import { freePort, serverProcesses, type ServerProcess } from '../support/server-process';

const ROOT = resolve(__dirname, '../..');
const ALG = (process.env['AB_ALG'] ?? 'ES256') as Algorithm;
const SECONDS = positive(process.env['AB_SECONDS'], 4);
const ROUNDS = Math.round(positive(process.env['AB_ROUNDS'], 4));
const CONNECTIONS = Math.round(positive(process.env['AB_CONNECTIONS'], 10));
const SECRET = randomBytes(32).toString('base64url');
const HEADERS = {
  'content-type': 'application/x-www-form-urlencoded',
  authorization: `Basic ${Buffer.from(`bench:${SECRET}`).toString('base64')}`,
};
const BODY = 'grant_type=client_credentials&scope=demo%3Aread';

const log = progressLog('token-ab');
const { startServer, stopServer } = serverProcesses({ log });

async function start(databases: Databases, root: string, name: string, extra: string | undefined): Promise<ServerProcess> {
  const { url } = await databases.create();
  const port = await freePort();
  const { env } = await authServerEnvironment({
    name: `ab-${name}`,
    port,
    alg: ALG,
    audience: 'http://localhost:4200/api',
    logLevel: 'warn',
    databaseUrl: url,
    bootstrap: {
      clients: [{ client_id: 'bench', client_secret: SECRET, grant_types: ['client_credentials'], scope: 'demo:read', token_endpoint_auth_method: 'client_secret_basic' }],
    },
    extra: extra ? (JSON.parse(extra) as NodeJS.ProcessEnv) : {},
  });
  return startServer(name, ['-r', join(root, 'libs/testing/farm/register-ts.cjs'), join(root, 'apps/auth-server/src/main.ts')], env, port);
}

async function main(): Promise<void> {
  const other = process.argv[2];
  if (!other) throw new Error('usage: node -r ./libs/testing/farm/register-ts.cjs bench/tools/token-ab.ts <other checkout>');
  const databases = await openDatabases(process.env['DATABASE_URL'] ?? DEFAULT_DATABASE_URL, log);
  const servers = { A: await start(databases, ROOT, 'A', process.env['AB_ENV_A']), B: await start(databases, resolve(other), 'B', process.env['AB_ENV_B']) };
  const totals = { A: { ok: 0, seconds: 0, main: 0 }, B: { ok: 0, seconds: 0, main: 0 } };
  try {
    for (let round = 0; round < ROUNDS; round++) {
      for (const side of round % 2 ? (['B', 'A'] as const) : (['A', 'B'] as const)) {
        const options = { url: `${servers[side].baseUrl}/oauth2/token`, method: 'POST' as const, headers: HEADERS, body: BODY, connections: CONNECTIONS };
        await autocannon({ ...options, duration: 1 }); // warm-up, not counted
        const slice = await measureLoad(servers[side], () => autocannon({ ...options, pipelining: 1, duration: SECONDS }));
        if (slice.non2xx + slice.errors > 0) log(`warning: ${side}: ${slice.non2xx} non-2xx ${JSON.stringify(slice.statuses)}, ${slice.errors} errors`);
        totals[side].ok += slice.ok;
        totals[side].seconds += slice.seconds;
        totals[side].main += slice.serverMainThreadCpu ?? 0;
        log(`${side} ${(slice.ok / slice.seconds).toFixed(0)} req/s, main thread ${(((slice.serverMainThreadCpu ?? 0) / slice.ok) * 1e6).toFixed(0)} µs/request`);
      }
    }
    const rate = (side: 'A' | 'B') => totals[side].ok / totals[side].seconds;
    for (const side of ['A', 'B'] as const) log(`${side} in all: ${rate(side).toFixed(0)} req/s, main thread ${((totals[side].main / totals[side].ok) * 1e6).toFixed(0)} µs/request`);
    log(`A/B: ${(rate('A') / rate('B')).toFixed(3)} (${ALG}, ${CONNECTIONS} connections, ${ROUNDS} rounds of ${SECONDS} s)`);
  } finally {
    await stopServer(servers.A);
    await stopServer(servers.B);
    await databases.dropAll();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
