/**
 * flow.authorization_code: complete OAuth 2.0 authorization code flows per second (with PKCE
 * and OpenID Connect) against a real auth-server process, driven by autocannon over 127.0.0.1:
 *
 *   GET /oauth2/authorize (signed-in session cookie, skip_consent client) -> 302 with the code
 *   POST /oauth2/token (authorization_code, PKCE verifier, client_secret_basic) -> 200 with
 *   access token, ID token and refresh token
 *
 * The sign-in itself (argon2id, deliberately slow and throttled) happens once, through the
 * real pages, before the load. Reference: raw node:crypto RS256 signing on one core, halved
 * (a flow signs two JWTs). Also reports `sql_per_flow` from the server's db_statements_total.
 * Method, members and caveats: bench/README.md.
 *
 * Run alone: node -r ./libs/testing/farm/register-ts.cjs bench/flow.bench.ts
 * Protocol (see bench/README.md): the last stdout line is {"figures":[...]}.
 *
 * Environment:
 *   DATABASE_URL                 PostgreSQL to use (default postgres://postgres@127.0.0.1:5432/postgres,
 *                                loopback only); the server gets a fresh database authkit_bench_<hex>,
 *                                dropped at the end. When it cannot be reached, the server uses the
 *                                embedded database (the figure then says "database": "embedded").
 *   BENCH_FLOW_SECONDS           length of the measured load (default 8)
 *   BENCH_FLOW_WARMUP_SECONDS    load before the measurement, not counted (default 2)
 *   BENCH_FLOW_CONNECTIONS       autocannon connections, each running flows one after another (default 10)
 *   BENCH_FLOW_REFERENCE_SECONDS length of the raw signing reference (default 3: half just before and
 *                                half just after the load)
 *   BENCH_FLOW_LOG_LEVEL         LOG_LEVEL of auth-server (default warn)
 */
import { createHash, createPublicKey, randomBytes, verify, type JsonWebKey } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { UserAgent } from '@authkit/testing';
import { autocannon, type AutocannonRequest, type AutocannonResult } from './support/autocannon';
import { type Figure, positive, round, progressLog, runBenchmark } from './support/bench-kit';
import { DEFAULT_DATABASE_URL, openDatabases, type Databases } from './support/databases';
import { loadMembers, measureLoad, summarise, type Load } from './support/load';
import { rate, rawSigner } from './support/raw-signing';
import { authServerEnvironment } from './support/auth-server-env';
import { describeOutput, freePort, serverProcesses, type ServerProcess } from './support/server-process';

const ROOT = resolve(__dirname, '..');
const REGISTER = join(ROOT, 'libs/testing/farm/register-ts.cjs');
const SERVER_SOURCE = join(ROOT, 'apps/auth-server/src/main.ts');

const SERVER_URL = process.env['DATABASE_URL'] ?? DEFAULT_DATABASE_URL;
const SECONDS = positive(process.env['BENCH_FLOW_SECONDS'], 8);
const WARM_UP_SECONDS = positive(process.env['BENCH_FLOW_WARMUP_SECONDS'], 2);
const CONNECTIONS = Math.round(positive(process.env['BENCH_FLOW_CONNECTIONS'], 10));
const REFERENCE_SECONDS = positive(process.env['BENCH_FLOW_REFERENCE_SECONDS'], 3);
const LOG_LEVEL = process.env['BENCH_FLOW_LOG_LEVEL'] ?? 'warn';
const SIGNAL_STOP_TIMEOUT_MS = 5_000;
const AUDIT_SETTLE_MS = 300; // the audit buffer flushes every 50 ms: let a load's events reach the database

const CLIENT_ID = 'bench-web';
const CLIENT_SECRET = randomBytes(32).toString('base64url'); // 43 characters, fresh per run
const REDIRECT_URI = 'https://rp.bench.test/callback'; // never contacted: the flow stops at the 302
const SCOPE = 'openid offline_access demo:read';
const AUDIENCE = 'http://localhost:4200/api';
const EMAIL = 'bench@example.com';
const PASSWORD = randomBytes(18).toString('base64url');
const BASIC = `Basic ${Buffer.from(`${encodeURIComponent(CLIENT_ID)}:${encodeURIComponent(CLIENT_SECRET)}`).toString('base64')}`;
const SIGNATURES_PER_FLOW = 2; // access token and ID token

const log = progressLog('flow.bench');
const { running, startServer, stopServer } = serverProcesses({ log });
const tempDirs = new Set<string>();

// ---------------------------------------------------------------------------------------
// One flow, as autocannon sends it

interface Pkce {
  readonly verifier: string;
  readonly challenge: string;
}

function pkce(): Pkce {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

function authorizePath(p: Pkce, state: string, nonce: string): string {
  const query = new URLSearchParams({
    response_type: 'code',
    client_id: CLIENT_ID,
    redirect_uri: REDIRECT_URI,
    scope: SCOPE,
    state,
    nonce,
    code_challenge: p.challenge,
    code_challenge_method: 'S256',
  });
  return `/oauth2/authorize?${query}`;
}

function tokenBody(code: string, verifier: string): string {
  return new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, code_verifier: verifier }).toString();
}

function header(headers: Record<string, string | string[]>, name: string): string | undefined {
  for (const [key, value] of Object.entries(headers)) if (key.toLowerCase() === name) return Array.isArray(value) ? value[0] : value;
  return undefined;
}

/** What the flows of one autocannon run did, as seen by the requests' callbacks. */
interface FlowStats {
  flows: number; // token responses 200 with access, ID and refresh tokens
  readonly authorizeFailures: Record<string, number>; // by status, or "302 <error>" for error redirects
  readonly tokenFailures: Record<string, number>;
  readonly authorizeMs: number[];
  readonly tokenMs: number[];
  readonly flowMs: number[];
}

function newStats(): FlowStats {
  return { flows: 0, authorizeFailures: {}, tokenFailures: {}, authorizeMs: [], tokenMs: [], flowMs: [] };
}

/**
 * The two requests of a flow for autocannon's `requests` array. Every flow has its own PKCE
 * pair, state and nonce (made in the first request's setupRequest, in this process). Each
 * step's latency runs from its setupRequest (the request is written right after) to its
 * onResponse.
 */
function flowRequests(stats: FlowStats, cookie: string): AutocannonRequest[] {
  const count = (failures: Record<string, number>, key: string) => (failures[key] = (failures[key] ?? 0) + 1);
  return [
    {
      method: 'GET',
      setupRequest: (request, context) => {
        const p = pkce();
        const state = randomBytes(12).toString('base64url');
        context['verifier'] = p.verifier;
        context['state'] = state;
        context['started'] = performance.now();
        return { ...request, method: 'GET', path: authorizePath(p, state, randomBytes(12).toString('base64url')), headers: { cookie } };
      },
      onResponse: (status, _body, context, headers) => {
        stats.authorizeMs.push(performance.now() - (context['started'] as number));
        const location = header(headers, 'location');
        let code: string | null = null;
        if (status === 302 && location) {
          const target = new URL(location, 'http://placeholder.invalid');
          code = target.searchParams.get('code');
          if (!code) count(stats.authorizeFailures, `302 ${target.searchParams.get('error') ?? `to ${target.pathname}`}`);
          else if (target.searchParams.get('state') !== context['state']) {
            count(stats.authorizeFailures, '302 state mismatch');
            code = null;
          }
        } else {
          count(stats.authorizeFailures, String(status));
        }
        context['code'] = code ?? 'none'; // the token request then fails, and is counted as such
      },
    },
    {
      method: 'POST',
      setupRequest: (request, context) => {
        context['tokenStarted'] = performance.now();
        return {
          ...request,
          method: 'POST',
          path: '/oauth2/token',
          headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: BASIC },
          body: tokenBody(context['code'] as string, context['verifier'] as string),
        };
      },
      onResponse: (status, body, context) => {
        const now = performance.now();
        stats.tokenMs.push(now - (context['tokenStarted'] as number));
        if (status === 200 && body.includes('"access_token"') && body.includes('"id_token"') && body.includes('"refresh_token"')) {
          stats.flows += 1;
          stats.flowMs.push(now - (context['started'] as number));
        } else if (context['code'] !== 'none') {
          count(stats.tokenFailures, status === 200 ? '200 without the three tokens' : String(status));
        } else {
          count(stats.tokenFailures, `${status} (no code)`);
        }
      },
    },
  ];
}

async function cannon(baseUrl: string, seconds: number, stats: FlowStats, cookie: string): Promise<AutocannonResult> {
  return autocannon({
    url: baseUrl,
    requests: flowRequests(stats, cookie),
    connections: CONNECTIONS,
    pipelining: 1,
    duration: seconds,
    timeout: 10,
  });
}

function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return round(sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? 0, 1);
}

function failures(stats: FlowStats): number {
  const total = (r: Record<string, number>) => Object.values(r).reduce((a, b) => a + b, 0);
  return total(stats.authorizeFailures) + total(stats.tokenFailures);
}

// ---------------------------------------------------------------------------------------
// The server, the sign-in, the checks

async function startAuthServer(databases: Databases): Promise<ServerProcess> {
  const { url } = await databases.create();
  const port = await freePort();
  const { dataDir, env } = await authServerEnvironment({
    name: 'flow',
    port,
    bootstrap: {
      clients: [
        {
          client_id: CLIENT_ID,
          client_secret: CLIENT_SECRET,
          grant_types: ['authorization_code', 'refresh_token'],
          redirect_uris: [REDIRECT_URI],
          scope: SCOPE,
          token_endpoint_auth_method: 'client_secret_basic',
          skip_consent: true,
        },
      ],
      users: [{ email: EMAIL, password: PASSWORD, roles: ['reader'] }],
    },
    alg: 'RS256',
    audience: AUDIENCE,
    logLevel: LOG_LEVEL,
    databaseUrl: url,
    // /oauth2/authorize has no limiter; the sign-in (login preset) is used once. The session
    // signed in before the load must outlive it (the defaults, 30 min idle and 12 h
    // absolute, would too; this only makes it independent of them).
    extra: { SESSION_IDLE_TTL: '86400', SESSION_ABSOLUTE_TTL: '86400' },
  });
  tempDirs.add(dataDir);
  const started = performance.now();
  const server = await startServer('auth-server-flow', ['-r', REGISTER, SERVER_SOURCE], env, port);
  log(`auth-server listening on ${server.baseUrl} after ${((performance.now() - started) / 1000).toFixed(1)} s (${databases.mode})`);
  return server;
}

function decodePart(part: string | undefined): Record<string, unknown> {
  return JSON.parse(Buffer.from(part ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
}

/** Verifies an RS256 JWT against the server's JWKS and returns its claims. */
async function verifiedClaims(token: string | undefined, jwksUri: string, typ?: string): Promise<Record<string, unknown>> {
  const parts = token?.split('.') ?? [];
  if (parts.length !== 3) throw new Error(`not a JWT: ${String(token).slice(0, 40)}`);
  const head = decodePart(parts[0]) as { alg?: string; kid?: string; typ?: string };
  if (head.alg !== 'RS256') throw new Error(`JWT signed ${head.alg}, expected RS256`);
  if (typ && head.typ !== typ) throw new Error(`JWT typ ${head.typ}, expected ${typ}`);
  const jwks = (await (await fetch(jwksUri)).json()) as { keys?: { kid?: string }[] };
  const jwk = jwks.keys?.find((k) => k.kid === head.kid);
  if (!jwk) throw new Error(`kid ${head.kid} is not in ${jwksUri}`);
  const ok = verify('sha256', Buffer.from(`${parts[0]}.${parts[1]}`), createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' }), Buffer.from(parts[2] ?? '', 'base64url'));
  if (!ok) throw new Error('JWT signature does not verify against the published key');
  return decodePart(parts[1]);
}

/**
 * Signs in once through the real pages (authorize -> login form -> POST with the CSRF cookie,
 * its token and the sealed request -> back to authorize -> 302 to the client), exchanges that
 * code and checks the tokens. Returns the session cookie the load will send.
 */
async function signInAndCheck(baseUrl: string): Promise<{ cookie: string }> {
  const agent = new UserAgent(baseUrl);
  const p = pkce();
  const state = randomBytes(12).toString('base64url');
  const nonce = randomBytes(12).toString('base64url');
  const started = performance.now();
  let callback = await agent.open(`${baseUrl}${authorizePath(p, state, nonce)}`);
  if (!callback) callback = await agent.submit('Sign in', { Email: EMAIL, Password: PASSWORD });
  if (!callback) throw new Error(`sign-in did not redirect to the client; last page ${agent.page.url} (${agent.page.status}): ${agent.page.html.slice(0, 300)}`);
  const session = agent.cookie('auth_session');
  if (!session) throw new Error('no auth_session cookie after signing in');
  log(`signed in through the pages in ${((performance.now() - started) / 1000).toFixed(2)} s`);
  const code = callback.searchParams.get('code');
  if (!code || callback.searchParams.get('state') !== state) throw new Error(`callback without code or with another state: ${callback.search}`);

  const discovery = (await (await fetch(`${baseUrl}/.well-known/openid-configuration`)).json()) as { jwks_uri?: string; issuer?: string; token_endpoint?: string };
  if (!discovery.jwks_uri || discovery.token_endpoint !== `${baseUrl}/oauth2/token`) throw new Error(`unexpected discovery: ${JSON.stringify(discovery).slice(0, 300)}`);
  const response = await fetch(discovery.token_endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: BASIC },
    body: tokenBody(code, p.verifier),
  });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`code exchange answered ${response.status}: ${text.slice(0, 300)}`);
  const tokens = JSON.parse(text) as { access_token?: string; id_token?: string; refresh_token?: string; scope?: string };
  if (!tokens.refresh_token) throw new Error(`no refresh token: ${text.slice(0, 300)}`);
  const access = await verifiedClaims(tokens.access_token, discovery.jwks_uri, 'at+jwt');
  const id = await verifiedClaims(tokens.id_token, discovery.jwks_uri);
  if (access['client_id'] !== CLIENT_ID || access['iss'] !== baseUrl) throw new Error(`unexpected access token claims ${JSON.stringify(access)}`);
  if (id['aud'] !== CLIENT_ID && !(Array.isArray(id['aud']) && id['aud'].includes(CLIENT_ID))) throw new Error(`ID token aud ${JSON.stringify(id['aud'])}`);
  if (id['nonce'] !== nonce) throw new Error(`ID token nonce ${String(id['nonce'])}, expected ${nonce}`);
  if (id['sub'] !== access['sub']) throw new Error('ID token and access token name different subjects');
  return { cookie: `auth_session=${session}` };
}

/** db_statements_total from GET /metrics. */
async function sqlStatements(baseUrl: string): Promise<number> {
  const text = await (await fetch(`${baseUrl}/metrics`)).text();
  const match = /^db_statements_total(?:\{[^}]*\})? ([0-9.e+]+)$/m.exec(text);
  if (!match) throw new Error('GET /metrics has no db_statements_total');
  return Number(match[1]);
}

// ---------------------------------------------------------------------------------------

async function measure(databases: Databases): Promise<{ figure: Figure; healthy: boolean }> {
  const server = await startAuthServer(databases);
  try {
    const { cookie } = await signInAndCheck(server.baseUrl);
    const signer = rawSigner('RS256', { sub: 'a-user-id', client_id: CLIENT_ID, scope: SCOPE });

    const warm = newStats();
    const warmResult = await cannon(server.baseUrl, WARM_UP_SECONDS, warm, cookie);
    if (warm.flows === 0) {
      throw new Error(
        `warm-up: no complete flow (${warmResult.errors} errors; authorize ${JSON.stringify(warm.authorizeFailures)}, token ${JSON.stringify(warm.tokenFailures)})`,
      );
    }
    log(`warm-up: ${warm.flows} flows in ${WARM_UP_SECONDS} s`);
    await new Promise((r) => setTimeout(r, AUDIT_SETTLE_MS));

    // A read of /metrics may itself cost statements: read twice and take it out.
    const first = await sqlStatements(server.baseUrl);
    const statementsBefore = await sqlStatements(server.baseUrl);
    const perMetricsRead = statementsBefore - first;

    const half = REFERENCE_SECONDS / 2;
    log(`reference: raw node:crypto RS256 signing, one core, ${half} s before and ${half} s after the load`);
    const before = signer(half);
    log(`flows: ${CONNECTIONS} connections, ${SECONDS} s`);
    const stats = newStats();
    let result: AutocannonResult | undefined;
    const slice = await measureLoad(server, async () => (result = await cannon(server.baseUrl, SECONDS, stats, cookie)));
    const after = signer(half);
    await new Promise((r) => setTimeout(r, AUDIT_SETTLE_MS));
    const statementsAfter = await sqlStatements(server.baseUrl);
    if (!result) throw new Error('autocannon returned nothing');

    const load: Load = summarise([slice]);
    const reference = rate([before, after]);
    const seconds = result.duration;
    const flowsPerSecond = round(stats.flows / seconds);
    const referenceValue = round(reference.opsPerSecond / SIGNATURES_PER_FLOW);
    const statements = statementsAfter - statementsBefore - perMetricsRead;
    const bad = failures(stats) + result.errors + result.timeouts;
    log(
      `  ${flowsPerSecond} flows/s (${stats.flows} flows; server ${load.serverCpuCores ?? '?'} cores, main thread ${load.serverMainThreadCores ?? '?'}, load generator ${load.loadCpuCores} cores, postgres ${load.postgresCpuCores ?? '?'} cores, machine busy ${load.machineBusyCores ?? '?'} cores)`,
    );
    log(`  reference ${reference.opsPerSecond} RS256 signatures/s (before ${rate([before]).opsPerSecond}, after ${rate([after]).opsPerSecond}) / 2 = ${referenceValue}`);
    log(`  ${statements} SQL statements in the window: ${stats.flows > 0 ? round(statements / stats.flows) : '?'} per flow`);
    if (bad > 0) {
      log(
        `FAILED: authorize ${JSON.stringify(stats.authorizeFailures)}, token ${JSON.stringify(stats.tokenFailures)}, ${result.errors} socket errors, ${result.timeouts} timeouts`,
      );
    }

    const members = loadMembers(load);
    const figure: Figure = {
      benchmark: 'flow.authorization_code',
      value: flowsPerSecond,
      unit: 'flows/s',
      reference: 'raw node:crypto RS256 signing on one core / 2 (signatures per flow)',
      reference_value: referenceValue,
      ratio: round(flowsPerSecond / referenceValue, 4),
      sql_per_flow: stats.flows > 0 ? round(statements / stats.flows, 1) : 0,
      flows: stats.flows,
      sql_statements: statements,
      metrics_read_statements: perMetricsRead,
      failures: bad,
      ...(failures(stats) > 0 ? { authorize_failures: stats.authorizeFailures, token_failures: stats.tokenFailures } : {}),
      flow_p50_ms: percentile(stats.flowMs, 50),
      flow_p99_ms: percentile(stats.flowMs, 99),
      authorize_p50_ms: percentile(stats.authorizeMs, 50),
      authorize_p99_ms: percentile(stats.authorizeMs, 99),
      token_p50_ms: percentile(stats.tokenMs, 50),
      token_p99_ms: percentile(stats.tokenMs, 99),
      requests_per_second: round(result.requests.total / seconds),
      latency_p50_ms: members['latency_p50_ms'],
      latency_p99_ms: members['latency_p99_ms'],
      errors: result.errors + result.timeouts,
      seconds: round(seconds, 3),
      server_cpu_cores: members['server_cpu_cores'],
      server_main_thread_cores: members['server_main_thread_cores'],
      flows_per_server_cpu_second: slice.serverCpu ? round(stats.flows / slice.serverCpu) : undefined,
      loadgen_cpu_cores: members['loadgen_cpu_cores'],
      postgres_cpu_cores: members['postgres_cpu_cores'],
      machine_busy_cores: members['machine_busy_cores'],
      reference_signatures_per_s: reference.opsPerSecond,
      reference_before_value: round(rate([before]).opsPerSecond / SIGNATURES_PER_FLOW),
      reference_after_value: round(rate([after]).opsPerSecond / SIGNATURES_PER_FLOW),
      reference_seconds: reference.seconds,
      warmup_seconds: WARM_UP_SECONDS,
      connections: CONNECTIONS,
      database: databases.mode,
      log_level: LOG_LEVEL,
      server_run: 'source (swc require hook)',
      cores: availableParallelism(),
    };
    const code = await stopServer(server);
    if (code !== 0) log(`warning: auth-server exited with code ${code}${describeOutput({ output: server.output })}`);
    return { figure, healthy: bad === 0 };
  } catch (error) {
    await stopServer(server);
    throw Object.assign(error as Error, { output: server.output });
  }
}

async function cleanUp(databases: Databases | undefined, stopTimeoutMs?: number): Promise<void> {
  await Promise.all([...running].map((server) => stopServer(server, stopTimeoutMs).catch(() => undefined)));
  await databases?.dropAll();
  for (const dir of tempDirs) await rm(dir, { recursive: true, force: true }).catch(() => undefined);
  tempDirs.clear();
}

async function main(): Promise<number> {
  let databases: Databases | undefined;
  const figures: Figure[] = [];
  let failed = false;
  let stopping = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      stopping = true;
      log(`${signal}: stopping the server and dropping the database`);
      void cleanUp(databases, SIGNAL_STOP_TIMEOUT_MS).finally(() => {
        process.stdout.write(`${JSON.stringify({ figures })}\n`);
        process.exit(signal === 'SIGINT' ? 130 : 143);
      });
    });
  }
  try {
    databases = await openDatabases(SERVER_URL, log);
    const { figure, healthy } = await measure(databases);
    figures.push(figure);
    failed = !healthy;
  } catch (error) {
    failed = true;
    if (!stopping) log(`failed: ${(error as Error).stack ?? String(error)}${describeOutput(error)}`);
    if ((error as { usage?: boolean }).usage) {
      await cleanUp(databases);
      process.stdout.write(`${JSON.stringify({ figures })}\n`);
      return 2;
    }
  } finally {
    if (!stopping) await cleanUp(databases);
  }
  if (stopping) return new Promise<number>(() => undefined); // the signal handler exits
  process.stdout.write(`${JSON.stringify({ figures })}\n`);
  return failed ? 1 : 0;
}

runBenchmark(main, log);
