/**
 * token.*: requests per second of auth-server's token endpoint (client credentials,
 * client_secret_basic), measured with autocannon over 127.0.0.1 against a real server
 * process, each figure next to a reference measured in the same run:
 *
 *   token.client_credentials.RS256                   vs raw node:crypto RS256 signing, one core
 *   token.client_credentials.ES256.vs_oidc_provider  vs oidc-provider 9 (ES256 JWT access tokens)
 *   token.client_credentials.EdDSA                   vs raw node:crypto Ed25519 signing, one core
 *
 * Each auth-server run is a fresh server process (the sources through the swc require hook),
 * with a fresh database and a bootstrap client; oidc-provider runs as bench/servers/oidc-provider.mjs.
 * Method, members and caveats: bench/README.md.
 *
 * Run alone: node -r ./libs/testing/farm/register-ts.cjs bench/token.bench.ts
 * Protocol (see bench/README.md): the last stdout line is {"figures":[...]}.
 *
 * Environment:
 *   DATABASE_URL                  PostgreSQL to use (default postgres://postgres@127.0.0.1:5432/postgres,
 *                                 loopback only); each server run gets a fresh database
 *                                 authkit_bench_<hex>, dropped at the end. When it cannot be
 *                                 reached, the servers use the embedded database instead
 *                                 (figures then say "database": "embedded").
 *   BENCH_TOKEN_SECONDS           length of each measured load (default 8)
 *   BENCH_TOKEN_WARMUP_SECONDS    load before each measurement, not counted (default 2)
 *   BENCH_TOKEN_CONNECTIONS       autocannon connections (default 10)
 *   BENCH_TOKEN_REFERENCE_SECONDS length of each raw signing reference (default 3: half just before
 *                                 and half just after the load)
 *   BENCH_TOKEN_EDDSA             0 skips the EdDSA figure
 *   BENCH_TOKEN_SERVER            source (default: apps/auth-server/src/main.ts through the swc
 *                                 require hook) or dist (dist/apps/auth-server/main.js from `npm run build`)
 *   BENCH_TOKEN_LOG_LEVEL         LOG_LEVEL of auth-server (default warn; info logs a line per request)
 *   BENCH_TOKEN_BUILT             1: also measure the RS256 figure against the build (dist/apps/auth-server/main.js)
 *                                 and add built_value / built_ratio; skipped when the build is older
 *                                 than the sources
 *   BENCH_TOKEN_CPU_PROF          a directory: the server processes run with --cpu-prof and
 *                                 write their profiles there (see bench/tools/cpuprofile-summary.mjs)
 */
import { createPublicKey, randomBytes, verify, type JsonWebKey, type KeyObject } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { autocannon, type AutocannonResult } from './support/autocannon';
import { type Figure, positive, round, progressLog, runBenchmark } from './support/bench-kit';
import { DEFAULT_DATABASE_URL, openDatabases as openBenchDatabases, type Databases } from './support/databases';
import { describeLoad, loadMembers, measureLoad, summarise, type Load, type LoadSlice } from './support/load';
import { rate, rawSigner, threadpoolRs256Signing as threadpoolSigning, type Algorithm, type RawSigning } from './support/raw-signing';
import { authServerEnvironment } from './support/auth-server-env';
import { describeOutput, freePort, serverProcesses, STOP_TIMEOUT_MS, type ServerProcess } from './support/server-process';

const ROOT = resolve(__dirname, '..');
const REGISTER = join(ROOT, 'libs/testing/farm/register-ts.cjs');
const SERVER_SOURCE = join(ROOT, 'apps/auth-server/src/main.ts');
const SERVER_DIST = join(ROOT, 'dist/apps/auth-server/main.js');
const OIDC_PROVIDER_SERVER = join(ROOT, 'bench/servers/oidc-provider.mjs');
const SIGNING_FLOOR_SERVER = join(ROOT, 'bench/servers/signing-floor.mjs');

const SERVER_URL = process.env['DATABASE_URL'] ?? DEFAULT_DATABASE_URL;
const SECONDS = positive(process.env['BENCH_TOKEN_SECONDS'], 8);
const WARM_UP_SECONDS = positive(process.env['BENCH_TOKEN_WARMUP_SECONDS'], 2);
const CONNECTIONS = Math.round(positive(process.env['BENCH_TOKEN_CONNECTIONS'], 10));
const REFERENCE_SECONDS = positive(process.env['BENCH_TOKEN_REFERENCE_SECONDS'], 3);
const EDDSA = process.env['BENCH_TOKEN_EDDSA'] !== '0';
type ServerBuild = 'source' | 'dist';
const SERVER_BUILD: ServerBuild = process.env['BENCH_TOKEN_SERVER'] === 'dist' ? 'dist' : 'source';
const BUILT = process.env['BENCH_TOKEN_BUILT'] === '1';
const LOG_LEVEL = process.env['BENCH_TOKEN_LOG_LEVEL'] ?? 'warn';
const CPU_PROF_DIR = process.env['BENCH_TOKEN_CPU_PROF'] ? resolve(process.env['BENCH_TOKEN_CPU_PROF']) : undefined;

const SIGNAL_STOP_TIMEOUT_MS = 5_000; // when this module is being stopped itself
const CLIENT_ID = 'bench';
const CLIENT_SECRET = randomBytes(32).toString('base64url'); // 43 characters, fresh per run
const SCOPE = 'demo:read';
const AUDIENCE = 'http://localhost:4200/api';
const BODY = `grant_type=client_credentials&scope=${encodeURIComponent(SCOPE)}`;
const HEADERS = {
  'content-type': 'application/x-www-form-urlencoded',
  authorization: `Basic ${Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString('base64')}`,
};


const log = progressLog('token.bench');
const { running, startServer, stopServer } = serverProcesses({ log, cpuProfDir: CPU_PROF_DIR });

/** Async RS256 signing with as many signatures in flight as the load has connections (context). */
async function threadpoolRs256Signing(seconds: number): Promise<RawSigning> {
  return threadpoolSigning(seconds, CONNECTIONS);
}

// ---------------------------------------------------------------------------------------
// Checking that the endpoint really issues tokens

interface TokenCheck {
  readonly alg: string;
  readonly typ: string | undefined;
  readonly bytes: number;
}

function decodePart(part: string | undefined): Record<string, unknown> {
  return JSON.parse(Buffer.from(part ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
}

/**
 * One token request, as autocannon will send it: it must answer 200 with a JWT access token
 * signed with `alg` by a key published at the server's jwks_uri, for this client, audience and scope.
 */
async function checkTokenEndpoint(tokenUrl: string, issuer: string, alg: Algorithm): Promise<TokenCheck> {
  const response = await fetch(tokenUrl, { method: 'POST', headers: HEADERS, body: BODY });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`token request answered ${response.status}: ${text.slice(0, 300)}`);
  const body = JSON.parse(text) as { access_token?: string; token_type?: string; scope?: string };
  const parts = body.access_token?.split('.') ?? [];
  if (parts.length !== 3 || !/^bearer$/i.test(body.token_type ?? '')) throw new Error(`not a JWT bearer token response: ${text.slice(0, 300)}`);
  const header = decodePart(parts[0]) as { alg?: string; typ?: string; kid?: string };
  const claims = decodePart(parts[1]);
  if (header.alg !== alg) throw new Error(`token signed ${header.alg}, expected ${alg}`);
  if (claims['iss'] !== issuer) throw new Error(`token iss ${String(claims['iss'])}, expected ${issuer}`);
  if (claims['client_id'] !== CLIENT_ID) throw new Error(`token client_id ${String(claims['client_id'])}, expected ${CLIENT_ID}`);
  const aud = Array.isArray(claims['aud']) ? claims['aud'] : [claims['aud']];
  if (!aud.includes(AUDIENCE)) throw new Error(`token aud ${JSON.stringify(claims['aud'])}, expected ${AUDIENCE}`);
  if (claims['scope'] !== SCOPE) throw new Error(`token scope ${String(claims['scope'])}, expected ${SCOPE}`);

  const discovery = (await (await fetch(`${issuer}/.well-known/openid-configuration`)).json()) as { jwks_uri?: string };
  if (!discovery.jwks_uri) throw new Error('discovery names no jwks_uri');
  const jwks = (await (await fetch(discovery.jwks_uri)).json()) as { keys?: { kid?: string }[] };
  const jwk = jwks.keys?.find((k) => k.kid === header.kid);
  if (!jwk) throw new Error(`kid ${header.kid} is not in ${discovery.jwks_uri}`);
  const publicKey: KeyObject = createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' });
  const data = Buffer.from(`${parts[0]}.${parts[1]}`);
  const signature = Buffer.from(parts[2] ?? '', 'base64url');
  const ok =
    alg === 'EdDSA'
      ? verify(null, data, publicKey, signature)
      : verify('sha256', data, alg === 'ES256' ? { key: publicKey, dsaEncoding: 'ieee-p1363' } : publicKey, signature);
  if (!ok) throw new Error('token signature does not verify against the published key');
  return { alg: header.alg, typ: header.typ, bytes: body.access_token?.length ?? 0 };
}


// ---------------------------------------------------------------------------------------
// Load (accounting in support/load.ts)

async function cannon(url: string, seconds: number): Promise<AutocannonResult> {
  return autocannon({
    url,
    method: 'POST',
    headers: HEADERS,
    body: BODY,
    connections: CONNECTIONS,
    pipelining: 1,
    duration: seconds,
    timeout: 10,
  });
}

/** Load before a measurement, not counted. */
async function warmUp(url: string): Promise<void> {
  const result = await cannon(url, WARM_UP_SECONDS);
  if (result['2xx'] === 0) throw new Error(`warm-up against ${url}: no successful responses (${result.non2xx} non-2xx, ${result.errors} errors)`);
}


async function loadSlice(server: ServerProcess, url: string, seconds: number): Promise<LoadSlice> {
  return measureLoad(server, () => cannon(url, seconds), CPU_PROF_DIR ? log : undefined);
}

function assertHealthy(name: string, load: Load): void {
  if (load.ok === 0) throw new Error(`${name}: no successful responses (${load.non2xx} non-2xx, ${load.errors} errors)`);
  const bad = load.non2xx + load.errors + load.timeouts;
  if (bad > 0) {
    log(`warning: ${name}: ${load.non2xx} non-2xx responses ${JSON.stringify(load.statuses)}, ${load.errors} errors, ${load.timeouts} timeouts`);
  }
}

async function openDatabases(): Promise<Databases> {
  return openBenchDatabases(SERVER_URL, log);
}

// ---------------------------------------------------------------------------------------
// The build (npm run build writes dist/apps/auth-server/main.js)

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (entry.name.endsWith('.ts') && !/\.(spec|test|e2e-spec)\.ts$/.test(entry.name)) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

/** Why dist/apps/auth-server/main.js would not measure the current sources, or undefined. */
function distProblem(): string | undefined {
  if (!existsSync(SERVER_DIST)) return 'dist/apps/auth-server/main.js does not exist (npm run build)';
  const built = statSync(SERVER_DIST).mtimeMs;
  const libs = readdirSync(join(ROOT, 'libs')).map((lib) => join(ROOT, 'libs', lib, 'src')).filter((dir) => existsSync(dir));
  const newest = Math.max(newestSource(join(ROOT, 'apps/auth-server/src')), ...libs.map(newestSource));
  return newest > built ? 'dist/apps/auth-server/main.js is older than the sources (npm run build)' : undefined;
}

// ---------------------------------------------------------------------------------------
// auth-server and oidc-provider runs

const tempDirs = new Set<string>();

interface AuthServerRun {
  readonly alg: Algorithm;
  readonly server: ServerProcess;
  readonly database: string | undefined;
  readonly check: TokenCheck;
}

async function startAuthServer(databases: Databases, alg: Algorithm, build: ServerBuild = SERVER_BUILD): Promise<AuthServerRun> {
  const { url, name } = await databases.create();
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  const { dataDir, env } = await authServerEnvironment({
    name: 'token',
    port,
    bootstrap: {
      clients: [
        {
          client_id: CLIENT_ID,
          client_secret: CLIENT_SECRET,
          grant_types: ['client_credentials'],
          scope: SCOPE,
          token_endpoint_auth_method: 'client_secret_basic',
        },
      ],
    },
    alg,
    audience: AUDIENCE,
    logLevel: LOG_LEVEL, // warn: request lines are logged at info, and would dominate
    databaseUrl: url,
  });
  tempDirs.add(dataDir);
  const args = build === 'dist' ? [SERVER_DIST] : ['-r', REGISTER, SERVER_SOURCE];
  const started = performance.now();
  const server = await startServer(`auth-server-${alg}${build === 'dist' ? '-dist' : ''}`, args, env, port);
  log(`auth-server ${alg} listening on ${server.baseUrl} after ${((performance.now() - started) / 1000).toFixed(1)} s (${databases.mode}, ${build})`);
  try {
    const check = await checkTokenEndpoint(`${issuer}/oauth2/token`, issuer, alg);
    return { alg, server, database: name, check };
  } catch (error) {
    await stopServer(server);
    throw Object.assign(error as Error, { output: server.output });
  }
}

/**
 * Stops the server (it flushes its audit buffer), then counts the token.issued events it
 * wrote (one per token issued, warm-up and checks included) and the transactions its
 * database committed over the server's whole life (start-up included).
 */
async function finishAuthServer(databases: Databases, run: AuthServerRun): Promise<Record<string, number>> {
  const code = await stopServer(run.server);
  if (code !== 0) log(`warning: auth-server ${run.alg} exited with code ${code}${describeOutput({ output: run.server.output })}`);
  const events = await databases.count(run.database, `SELECT count(*)::bigint AS n FROM audit_events WHERE type = 'token.issued'`);
  await new Promise((r) => setTimeout(r, 600)); // backends report their statistics as they exit
  const transactions = await databases.count(
    run.database,
    `SELECT (xact_commit + xact_rollback)::bigint AS n FROM pg_stat_database WHERE datname = current_database()`,
  );
  return {
    ...(events !== undefined ? { audit_token_events: events } : {}),
    ...(transactions !== undefined ? { db_transactions: transactions } : {}),
  };
}

function oidcProviderVersion(): string {
  try {
    return (JSON.parse(readFileSync(join(ROOT, 'node_modules/oidc-provider/package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return '?';
  }
}

async function startOidcProvider(): Promise<{ server: ServerProcess; check: TokenCheck }> {
  const port = await freePort();
  const server = await startServer(
    'oidc-provider-ES256',
    [OIDC_PROVIDER_SERVER],
    {
      PATH: process.env['PATH'],
      HOME: process.env['HOME'],
      NODE_ENV: 'production',
      PORT: String(port),
      BENCH_CLIENT_ID: CLIENT_ID,
      BENCH_CLIENT_SECRET: CLIENT_SECRET,
      BENCH_AUDIENCE: AUDIENCE,
      BENCH_SCOPE: SCOPE,
    },
    port,
  );
  try {
    const check = await checkTokenEndpoint(`${server.baseUrl}/token`, server.baseUrl, 'ES256');
    return { server, check };
  } catch (error) {
    await stopServer(server);
    throw Object.assign(error as Error, { output: server.output });
  }
}

/** The floor (bench/servers/signing-floor.mjs): Fastify and one ES256 signature, nothing else. */
async function startSigningFloor(): Promise<ServerProcess> {
  const port = await freePort();
  return startServer(
    'signing-floor-ES256',
    [SIGNING_FLOOR_SERVER],
    { PATH: process.env['PATH'], HOME: process.env['HOME'], NODE_ENV: 'production', PORT: String(port), BENCH_CLIENT_ID: CLIENT_ID, BENCH_AUDIENCE: AUDIENCE, BENCH_SCOPE: SCOPE },
    port,
  );
}

// ---------------------------------------------------------------------------------------

function common(databases: Databases): Record<string, unknown> {
  return {
    connections: CONNECTIONS,
    database: databases.mode,
    log_level: LOG_LEVEL,
    server_run: SERVER_BUILD === 'dist' ? 'dist/apps/auth-server/main.js' : 'source (swc require hook)',
    cores: availableParallelism(),
  };
}

interface SigningRun {
  readonly load: Load;
  readonly reference: RawSigning;
  readonly before: RawSigning;
  readonly after: RawSigning;
  readonly threadpool: RawSigning | undefined;
  readonly database: Record<string, number>;
}

/**
 * auth-server signing with `alg` against raw signing on one core: warm-up, half the
 * reference just before the load, the load, the other half just after (so that a machine
 * growing busier or quieter meanwhile moves both alike), then a token check.
 */
async function measureAgainstRawSigning(databases: Databases, alg: Algorithm, build: ServerBuild): Promise<SigningRun> {
  const run = await startAuthServer(databases, alg, build);
  const url = `${run.server.baseUrl}/oauth2/token`;
  let result: Omit<SigningRun, 'database'>;
  try {
    const signer = rawSigner(alg);
    await warmUp(url);
    const half = REFERENCE_SECONDS / 2;
    log(`reference: raw node:crypto ${alg} signing, one core, ${half} s before and ${half} s after the load`);
    const before = signer(half);
    log(`auth-server ${alg} (${build}): ${CONNECTIONS} connections, ${SECONDS} s after ${WARM_UP_SECONDS} s warm-up`);
    const load = summarise([await loadSlice(run.server, url, SECONDS)]);
    const after = signer(half);
    const reference = rate([before, after]);
    log(`  ${describeLoad(load)}`);
    log(`  reference ${reference.opsPerSecond} ops/s (before ${rate([before]).opsPerSecond}, after ${rate([after]).opsPerSecond})`);
    let threadpool: RawSigning | undefined;
    if (alg === 'RS256') {
      threadpool = await threadpoolRs256Signing(REFERENCE_SECONDS / 2);
      log(`  context: async RS256 signing, ${CONNECTIONS} in flight on the libuv threadpool: ${threadpool.opsPerSecond} ops/s`);
    }
    assertHealthy(`auth-server ${alg} (${build})`, load);
    await checkTokenEndpoint(url, run.server.baseUrl, alg);
    result = { load, reference, before: rate([before]), after: rate([after]), threadpool };
  } catch (error) {
    await stopServer(run.server);
    throw Object.assign(error as Error, { output: run.server.output });
  }
  return { ...result, database: await finishAuthServer(databases, run) };
}

function signingMembers(run: SigningRun): Record<string, unknown> {
  return {
    ...loadMembers(run.load),
    reference_ops: run.reference.ops,
    reference_seconds: run.reference.seconds,
    reference_before_value: run.before.opsPerSecond,
    reference_after_value: run.after.opsPerSecond,
    ...(run.threadpool ? { raw_rs256_threadpool_ops_per_s: run.threadpool.opsPerSecond } : {}),
    ...run.database,
  };
}

async function rs256(databases: Databases): Promise<Figure> {
  const run = await measureAgainstRawSigning(databases, 'RS256', SERVER_BUILD);
  let built: Record<string, unknown> = {};
  if (BUILT && SERVER_BUILD === 'source') {
    const problem = distProblem();
    if (problem) {
      log(`BENCH_TOKEN_BUILT: not measuring the build: ${problem}`);
      built = { built: `not measured: ${problem}` };
    } else {
      const b = await measureAgainstRawSigning(databases, 'RS256', 'dist');
      built = {
        built_value: b.load.requestsPerSecond,
        built_reference_value: b.reference.opsPerSecond,
        built_ratio: round(b.load.requestsPerSecond / b.reference.opsPerSecond, 4),
        built_non_2xx: b.load.non2xx,
        built_server_cpu_cores: b.load.serverCpuCores,
        built_requests_per_server_cpu_second: b.load.okPerServerCpuSecond,
      };
    }
  }
  return {
    benchmark: 'token.client_credentials.RS256',
    value: run.load.requestsPerSecond,
    unit: 'req/s',
    reference: 'raw node:crypto RS256 signing, one core (ops/s)',
    reference_value: run.reference.opsPerSecond,
    ratio: round(run.load.requestsPerSecond / run.reference.opsPerSecond, 4),
    ...signingMembers(run),
    ...common(databases),
    ...built,
  };
}

/**
 * auth-server (ES256) and oidc-provider (ES256) both running, loaded in turn: auth-server
 * for half the time, oidc-provider for the whole time, auth-server for the other half,
 * so that drift in the machine's load weighs on both alike.
 */
async function es256VsOidcProvider(databases: Databases): Promise<Figure> {
  const raw = rate([rawSigner('ES256')(REFERENCE_SECONDS / 2)]);
  log(`context: raw node:crypto ES256 signing, one core: ${raw.opsPerSecond} ops/s`);

  const version = oidcProviderVersion();
  const run = await startAuthServer(databases, 'ES256');
  let provider: { server: ServerProcess; check: TokenCheck } | undefined;
  let floorServer: ServerProcess | undefined;
  let floor: Load;
  let load: Load;
  let reference: Load;
  let slices: number[];
  try {
    provider = await startOidcProvider();
    const ours = `${run.server.baseUrl}/oauth2/token`;
    const theirs = `${provider.server.baseUrl}/token`;
    await warmUp(ours);
    await warmUp(theirs);
    log(`auth-server ES256 ${SECONDS / 2} s, oidc-provider ${version} ES256 ${SECONDS} s, auth-server ${SECONDS / 2} s; ${CONNECTIONS} connections`);
    const first = await loadSlice(run.server, ours, SECONDS / 2);
    reference = summarise([await loadSlice(provider.server, theirs, SECONDS)]);
    const second = await loadSlice(run.server, ours, SECONDS / 2);
    load = summarise([first, second]);
    floorServer = await startSigningFloor();
    const bare = `${floorServer.baseUrl}/token`;
    await warmUp(bare);
    floor = summarise([await loadSlice(floorServer, bare, SECONDS / 2)]);
    slices = [summarise([first]).requestsPerSecond, summarise([second]).requestsPerSecond];
    log(`  auth-server:   ${describeLoad(load)}`);
    log(`  oidc-provider: ${describeLoad(reference)}`);
    log(`  context, Fastify and the ES256 signature alone (no client authentication, database, audit or throttling): ${describeLoad(floor)}, ${round(floor.requestsPerSecond / reference.requestsPerSecond, 2)} times oidc-provider`);
    assertHealthy('auth-server ES256', load);
    assertHealthy('signing floor ES256', floor);
    assertHealthy('oidc-provider ES256', reference);
    await checkTokenEndpoint(ours, run.server.baseUrl, 'ES256');
    await checkTokenEndpoint(theirs, provider.server.baseUrl, 'ES256');
  } catch (error) {
    await stopServer(run.server);
    throw Object.assign(error as Error, { output: [...run.server.output, ...(provider?.server.output ?? []), ...(floorServer?.output ?? [])] });
  } finally {
    if (floorServer) await stopServer(floorServer);
    if (provider) {
      const code = await stopServer(provider.server);
      if (code !== 0) log(`warning: oidc-provider exited with code ${code}${describeOutput({ output: provider.server.output })}`);
    }
  }
  const database = await finishAuthServer(databases, run);
  return {
    benchmark: 'token.client_credentials.ES256.vs_oidc_provider',
    value: load.requestsPerSecond,
    unit: 'req/s',
    reference: `oidc-provider ${version} token endpoint, client_credentials, ES256 JWT access tokens (same load and run)`,
    reference_value: reference.requestsPerSecond,
    ratio: round(load.requestsPerSecond / reference.requestsPerSecond, 4),
    ...loadMembers(load),
    value_slices: slices,
    ...loadMembers(reference, 'reference_'),
    ...loadMembers(floor, 'floor_'),
    floor: 'Fastify answering with an ES256 JWT signed in the thread pool, nothing else (bench/servers/signing-floor.mjs)',
    ...database,
    raw_es256_sign_ops_per_s: raw.opsPerSecond,
    token_bytes: run.check.bytes,
    reference_token_bytes: provider.check.bytes,
    ...common(databases),
  };
}

async function eddsa(databases: Databases): Promise<Figure> {
  const run = await measureAgainstRawSigning(databases, 'EdDSA', SERVER_BUILD);
  return {
    benchmark: 'token.client_credentials.EdDSA',
    value: run.load.requestsPerSecond,
    unit: 'req/s',
    reference: 'raw node:crypto EdDSA (Ed25519) signing, one core (ops/s)',
    reference_value: run.reference.opsPerSecond,
    ratio: round(run.load.requestsPerSecond / run.reference.opsPerSecond, 4),
    ...signingMembers(run),
    ...common(databases),
  };
}

/** Stops what is still running, drops the databases, removes the data directories. */
async function cleanUp(databases: Databases | undefined, stopTimeoutMs = STOP_TIMEOUT_MS): Promise<void> {
  await Promise.all([...running].map((server) => stopServer(server, stopTimeoutMs).catch(() => undefined)));
  await databases?.dropAll();
  for (const dir of tempDirs) await rm(dir, { recursive: true, force: true }).catch(() => undefined);
  tempDirs.clear();
}

async function main(): Promise<number> {
  if (SERVER_BUILD === 'dist') {
    const problem = distProblem();
    if (problem && !existsSync(SERVER_DIST)) {
      log(`BENCH_TOKEN_SERVER=dist: ${problem}`);
      return 2;
    }
    if (problem) log(`warning: BENCH_TOKEN_SERVER=dist: ${problem}; measuring it anyway`);
  }
  if (CPU_PROF_DIR) await mkdir(CPU_PROF_DIR, { recursive: true });

  let databases: Databases | undefined;
  const figures: Figure[] = [];
  let failed = false;
  let stopping = false;
  // Stopped by the orchestrator's timeout or by Ctrl-C: stop the servers, drop the databases.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      stopping = true;
      log(`${signal}: stopping servers and dropping databases`);
      // bench/run.mjs sends SIGKILL 10 s after SIGTERM: leave time to drop the databases.
      void cleanUp(databases, SIGNAL_STOP_TIMEOUT_MS).finally(() => {
        process.stdout.write(`${JSON.stringify({ figures })}\n`);
        process.exit(signal === 'SIGINT' ? 130 : 143);
      });
    });
  }

  try {
    databases = await openDatabases();
    const steps: [string, (d: Databases) => Promise<Figure>][] = [
      ['RS256', rs256],
      ['ES256 vs oidc-provider', es256VsOidcProvider],
      ...(EDDSA ? ([['EdDSA', eddsa]] as [string, (d: Databases) => Promise<Figure>][]) : []),
    ];
    for (const [name, step] of steps) {
      if (stopping) break;
      try {
        figures.push(await step(databases));
      } catch (error) {
        failed = true;
        if (!stopping) log(`${name} failed: ${(error as Error).stack ?? String(error)}${describeOutput(error)}`);
      }
    }
  } catch (error) {
    failed = true;
    log(`failed: ${(error as Error).message}`);
    if ((error as { usage?: boolean }).usage) {
      await cleanUp(databases);
      process.stdout.write(`${JSON.stringify({ figures })}\n`);
      return 2;
    }
  } finally {
    if (!stopping) await cleanUp(databases);
  }
  if (stopping) return new Promise<number>(() => undefined); // the signal handler exits
  if (CPU_PROF_DIR) log(`CPU profiles in ${CPU_PROF_DIR}: node bench/tools/cpuprofile-summary.mjs <file>`);
  process.stdout.write(`${JSON.stringify({ figures })}\n`);
  return failed ? 1 : 0;
}

runBenchmark(main, log);
